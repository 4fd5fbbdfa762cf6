"""The opening handshake and HTTP/1.1 heads (RFC 6455 §4), cross-checked with websockets."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.headers import parse_extension
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri
from websockets.utils import accept_key as ws_accept_key

from wslab.codec import (
    GUID,
    HandshakeError,
    HandshakeExplanation,
    IncompleteHandshake,
    Request,
    Response,
    accept_key,
    accept_steps,
    build_error_response,
    build_request,
    build_response,
    check_request,
    check_response,
    explain,
    generate_key,
    parse_extensions,
    parse_request,
    parse_response,
    server_answer,
    validate_request,
    validate_response,
)
from wslab.view.theme import RED

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
# RFC 6455 §1.3, the SHA-1 and the accept value, as printed in the RFC.
RFC_SHA1 = bytes.fromhex("b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea")
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
# RFC 6455 §1.2: the client's and server's handshakes, as printed in the RFC.
RFC_REQUEST = (
    b"GET /chat HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\n"
    b"Sec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"\r\n"
)
RFC_RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"Sec-WebSocket-Protocol: chat\r\n"
    b"\r\n"
)


def rfc_request() -> Request:
    return build_request("ws://server.example.com/chat", key=RFC_KEY, origin="http://example.com",
                         subprotocols=["chat", "superchat"])


def ws_server_status(data: bytes, **kwargs: object) -> int | None:
    """The status websockets' sans-I/O server answers to ``data`` (None: no answer)."""
    server = ServerProtocol(**kwargs)  # type: ignore[arg-type]
    server.receive_data(data)
    events = server.events_received()
    if not events:
        return None
    response = server.accept(events[0])
    server.send_response(response)
    return parse_response(b"".join(server.data_to_send())).status


def ws_client_accepts(request: Request, response: bytes) -> bool:
    """Whether websockets' sans-I/O client, having sent ``request``, accepts ``response``."""
    client = ClientProtocol(parse_uri("ws://server.example.com/chat"),
                            subprotocols=request.tokens("Sec-WebSocket-Protocol") or None)
    client.key = request.get("Sec-WebSocket-Key")  # the nonce it checks the answer against
    client.send_request(client.connect())
    client.receive_data(response)
    client.events_received()
    return client.state is State.OPEN and client.handshake_exc is None


# -- accept key ------------------------------------------------------------------------------


def test_rfc_1_3_accept_each_step() -> None:
    steps = accept_steps(RFC_KEY)
    assert steps.guid == GUID == "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert steps.concatenated == RFC_KEY + GUID
    assert steps.sha1 == RFC_SHA1
    assert steps.accept == RFC_ACCEPT == accept_key(RFC_KEY)
    text = str(steps)
    assert "b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea" in text
    assert RFC_ACCEPT in text and RFC_KEY + GUID in text
    page = steps._repr_html_()
    assert RFC_ACCEPT in page and "<script" not in page.lower() and "style=" in page
    assert steps.to_dict()["sha1"] == RFC_SHA1.hex()


@settings(max_examples=200)
@given(st.binary(min_size=16, max_size=16))
def test_accept_key_agrees_with_websockets(nonce: bytes) -> None:
    key = base64.b64encode(nonce).decode()
    assert accept_key(key) == ws_accept_key(key)
    assert accept_steps(key).sha1 == hashlib.sha1((key + GUID).encode()).digest()


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40))
def test_accept_key_of_any_ascii_text_agrees_with_websockets(key: str) -> None:
    assert accept_key(key) == ws_accept_key(key)


def test_generate_key_is_16_random_bytes() -> None:
    keys = {generate_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(base64.b64decode(k, validate=True)) == 16 for k in keys)


# -- building --------------------------------------------------------------------------------


def test_rfc_1_2_request_and_response_byte_exact() -> None:
    request = rfc_request()
    assert request.serialize() == bytes(request) == RFC_REQUEST
    assert bytes(build_response(request, subprotocol="chat")) == RFC_RESPONSE
    assert bytes(build_response(RFC_KEY, subprotocol="chat")) == RFC_RESPONSE
    assert parse_request(RFC_REQUEST) == request
    assert parse_response(RFC_RESPONSE) == build_response(request, subprotocol="chat")


@pytest.mark.parametrize("url", [
    "ws://example.com", "ws://example.com:80/", "ws://example.com:8765/x",
    "wss://example.com:443/a/b?c=d&e", "wss://example.com:80/", "ws://EXAMPLE.com/",
    "ws://127.0.0.1:9000/chat", "ws://[::1]:9000/", "ws://[::1]/", "ws://localhost/päth?q=ü",
])
def test_host_and_target_match_websockets_client(url: str) -> None:
    ours = build_request(url)
    theirs = ClientProtocol(parse_uri(url)).connect()
    assert ours.get("Host") == theirs.headers["Host"]
    assert ours.target == theirs.path
    assert ours.start_line == f"GET {theirs.path} HTTP/1.1"


def test_space_in_path_is_percent_encoded() -> None:
    # A request target has no spaces (RFC 7230 §3.1.1): wslab encodes them. websockets 17
    # only encodes non-ASCII URLs and would send "GET /a b HTTP/1.1", a malformed line.
    assert build_request("ws://localhost/a b?c d").target == "/a%20b?c%20d"
    assert ClientProtocol(parse_uri("ws://localhost/a b")).connect().path == "/a b"
    with pytest.raises(HandshakeError):
        parse_request(b"GET /a b HTTP/1.1\r\nHost: localhost\r\n\r\n")


@pytest.mark.parametrize("url", [
    "http://example.com/", "ws://example.com/#frag", "ws://user:pw@example.com/",
    "ws:///chat", "ws://example.com:99999/", "example.com/chat",
])
def test_bad_urls_are_refused_citing_section_3(url: str) -> None:
    with pytest.raises(HandshakeError) as info:
        build_request(url)
    assert info.value.rfc == "RFC 6455 §3"


def test_request_options_and_header_order() -> None:
    request = build_request("wss://h.example/p", key=RFC_KEY, subprotocols=["a", "b"],
                            extensions=["permessage-deflate; client_max_window_bits", "x-y"],
                            extra_headers={"User-Agent": "wslab"}, version=8)
    names = [n for n, _ in request.headers]
    assert names == ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key",
                     "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions",
                     "Sec-WebSocket-Version", "User-Agent"]
    assert request.get("sec-websocket-extensions") == (
        "permessage-deflate; client_max_window_bits, x-y")
    assert request.get("Sec-WebSocket-Version") == "8"


def test_error_responses_carry_the_headers_their_status_requires() -> None:
    r405 = build_error_response(405)
    assert (r405.status, r405.reason, r405.get("Allow")) == (405, "Method Not Allowed", "GET")
    r426 = build_error_response(426)
    assert r426.get("Sec-WebSocket-Version") == "13"
    assert r426.get("Upgrade") == "websocket"  # RFC 7231 §6.5.15
    assert "upgrade" in [t.lower() for t in r426.tokens("Connection")]  # RFC 7230 §6.7
    r400 = build_error_response(400, "Bad Request", body="nope\n")
    assert r400.body == b"nope\n" and r400.get("Content-Length") == "5"
    assert parse_response(bytes(r400)) == r400


# -- cross-checks with websockets -------------------------------------------------------------


def test_wslab_request_is_accepted_by_websockets_server() -> None:
    request = build_request("ws://server.example.com/chat", subprotocols=["chat"],
                            extensions=["permessage-deflate; client_max_window_bits"])
    server = ServerProtocol(subprotocols=["chat"], extensions=[ServerPerMessageDeflateFactory()])
    server.receive_data(bytes(request))
    [ws_request] = server.events_received()
    ws_response = server.accept(ws_request)
    server.send_response(ws_response)
    assert server.handshake_exc is None and server.state is State.OPEN
    response = parse_response(b"".join(server.data_to_send()))
    assert response.status == 101
    assert validate_response(response, request) is response
    assert response.get("Sec-WebSocket-Protocol") == "chat"
    assert response.get("Sec-WebSocket-Extensions", "").startswith("permessage-deflate")


def test_websockets_client_request_parses_and_validates_and_accepts_our_answer() -> None:
    client = ClientProtocol(parse_uri("ws://localhost:8765/room?x=1"), origin="http://localhost",
                            subprotocols=["chat", "v2"],
                            extensions=[ClientPerMessageDeflateFactory()])
    client.send_request(client.connect())
    request = parse_request(b"".join(client.data_to_send()))
    assert validate_request(request, origins=["http://localhost"]) is request
    assert request.target == "/room?x=1" and request.get("host") == "localhost:8765"
    assert check_request(request, subprotocols=["v2"]) == []
    answer = server_answer(request, subprotocols=["v2"])
    assert answer.status == 101 and answer.get("Sec-WebSocket-Protocol") == "v2"
    client.receive_data(bytes(answer))
    client.events_received()
    assert client.handshake_exc is None and client.state is State.OPEN
    assert client.subprotocol == "v2"


def mutate(request: Request, case: str) -> Request:
    if case == "post":
        return request.replace(method="POST")
    if case == "http/1.0":
        return request.replace(version="HTTP/1.0")
    header, _, value = case.partition("=")
    return request.with_header(header, value or None)


# case, wslab status, header named, RFC section cited, what websockets 17 answers
FAILURES = [
    ("post", 405, None, "§4.2.1 item 1", 405),
    # RFC 6455 §4.2.1 item 1 wants "HTTP/1.1 or higher" and names 400; websockets says
    # 505, which RFC 7231 §6.6.6 reserves for an unsupported *major* version.
    ("http/1.0", 400, None, "§4.2.1 item 1", 505),
    # Host is required (RFC 7230 §5.4 says 400); websockets leaves it to the HTTP stack.
    ("Host", 400, "Host", "§4.2.1 item 2", 101),
    # §4.2.1 names 400 for a handshake that does not match it; websockets answers 426
    # Upgrade Required with Upgrade: websocket, which RFC 7231 §6.5.15 also allows.
    ("Upgrade", 400, "Upgrade", "§4.2.1 item 3", 426),
    ("Upgrade=h2c", 400, "Upgrade", "§4.2.1 item 3", 426),
    ("Connection=keep-alive", 400, "Connection", "§4.2.1 item 4", 426),
    ("Connection", 400, "Connection", "§4.2.1 item 4", 426),
    ("Sec-WebSocket-Key", 400, "Sec-WebSocket-Key", "§4.2.1 item 5", 400),
    ("Sec-WebSocket-Key=tooshort", 400, "Sec-WebSocket-Key", "§4.2.1 item 5", 400),
    ("Sec-WebSocket-Key=AAECAwQFBgcICQoLDA0O", 400, "Sec-WebSocket-Key", "§4.2.1 item 5", 400),
    # §4.2.2 /version/ and §4.4: refuse with 426 and Sec-WebSocket-Version: 13; websockets
    # answers 400 without saying which version it speaks.
    ("Sec-WebSocket-Version=8", 426, "Sec-WebSocket-Version", "§4.4", 400),
    ("Sec-WebSocket-Version", 426, "Sec-WebSocket-Version", "§4.4", 400),
    ("Origin=http://evil.example", 403, "Origin", "§10.2", 403),
]


@pytest.mark.parametrize(("case", "status", "header", "section", "ws_status"), FAILURES)
def test_server_side_failures(case: str, status: int, header: str | None, section: str,
                              ws_status: int) -> None:
    origins = ["http://example.com"]
    request = mutate(parse_request(RFC_REQUEST), case)
    problems = check_request(request, origins=origins)
    assert [p.status for p in problems] == [status]
    [problem] = problems
    assert problem.header == header and section in problem.rfc
    with pytest.raises(HandshakeError) as info:
        validate_request(request, origins=origins)
    assert (info.value.status, info.value.header) == (status, header)
    assert section in info.value.rfc and section in str(info.value)
    answer = server_answer(request, origins=origins)
    assert answer.status == status
    if status == 405:
        assert answer.get("Allow") == "GET"
    if status == 426:
        assert answer.get("Sec-WebSocket-Version") == "13"
    # Offsets point into the bytes: at the line concerned, or at the empty line if missing.
    parsed = parse_request(bytes(request))
    [located] = check_request(parsed, origins=origins)
    line = bytes(request)[located.offset:].split(b"\r\n", 1)[0].decode()
    if header is None:
        assert line == request.start_line
    elif header in request:
        assert line.lower().startswith(header.lower() + ":")
    else:
        assert line == ""
    assert ws_server_status(bytes(request), origins=origins) == ws_status


def test_rfc_request_passes_both_servers() -> None:
    assert check_request(parse_request(RFC_REQUEST), origins=["http://example.com"]) == []
    assert ws_server_status(RFC_REQUEST, origins=["http://example.com"]) == 101


def test_connection_is_a_comma_separated_list_and_names_ignore_case() -> None:
    data = RFC_REQUEST.replace(b"Connection: Upgrade", b"connection: keep-alive, UPGRADE")
    data = data.replace(b"Upgrade: websocket", b"UPGRADE: WebSocket")
    request = parse_request(data)
    assert check_request(request) == []
    assert ws_server_status(data) == 101
    split = RFC_REQUEST.replace(b"Connection: Upgrade", b"Connection: keep-alive\r\n"
                                b"Connection: Upgrade")
    request = parse_request(split)
    assert request.get_all("CONNECTION") == ["keep-alive", "Upgrade"]
    assert check_request(request) == [] and ws_server_status(split) == 101


def test_subprotocol_policy_and_pick() -> None:
    request = parse_request(RFC_REQUEST)
    assert server_answer(request, subprotocols=["superchat", "chat"]).get(
        "Sec-WebSocket-Protocol") == "chat"  # the client's preference comes first
    [problem] = check_request(request, subprotocols=["mqtt"])
    assert problem.status == 400 and problem.header == "Sec-WebSocket-Protocol"
    assert ws_server_status(RFC_REQUEST, subprotocols=["mqtt"]) == 400
    dup = request.with_header("Sec-WebSocket-Protocol", "chat, chat")
    assert [p.header for p in check_request(dup)] == ["Sec-WebSocket-Protocol"]


# -- client side -------------------------------------------------------------------------------


def response_cases() -> list[tuple[str, bytes, str, str]]:
    good = RFC_RESPONSE
    wrong = accept_key(generate_key())
    return [
        ("wrong accept", good.replace(RFC_ACCEPT.encode(), wrong.encode()),
         "Sec-WebSocket-Accept", "check 4"),
        ("echoed key", good.replace(RFC_ACCEPT.encode(), RFC_KEY.encode()),
         "Sec-WebSocket-Accept", "check 4"),
        ("no accept", good.replace(b"Sec-WebSocket-Accept: " + RFC_ACCEPT.encode() + b"\r\n", b""),
         "Sec-WebSocket-Accept", "check 4"),
        ("no upgrade", good.replace(b"Upgrade: websocket\r\n", b""), "Upgrade", "check 2"),
        ("other upgrade", good.replace(b"Upgrade: websocket", b"Upgrade: h2c"), "Upgrade",
         "check 2"),
        ("no connection", good.replace(b"Connection: Upgrade\r\n", b""), "Connection", "check 3"),
        ("bad connection", good.replace(b"Connection: Upgrade", b"Connection: close"),
         "Connection", "check 3"),
        ("extension not offered", good.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: "
                                               b"permessage-deflate\r\n\r\n"),
         "Sec-WebSocket-Extensions", "check 5"),
        ("protocol not offered", good.replace(b"Protocol: chat", b"Protocol: mqtt"),
         "Sec-WebSocket-Protocol", "check 6"),
        ("403", b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", None, "check 1"),
    ]


@pytest.mark.parametrize("case", response_cases(), ids=lambda c: c[0])
def test_client_side_failures(case: tuple[str, bytes, str, str]) -> None:
    name, data, header, check = case
    request = parse_request(RFC_REQUEST)
    response = parse_response(data)
    [problem] = check_response(response, request)
    assert problem.header == header and problem.rfc == f"RFC 6455 §4.1, {check}"
    assert problem.status is None
    with pytest.raises(HandshakeError):
        validate_response(response, request)
    assert not ws_client_accepts(request, data)  # websockets' client refuses it too
    if name == "wrong accept":
        assert RFC_ACCEPT in problem.message and "expected" in problem.message
    if name == "echoed key":
        assert "echoed" in problem.message
    if name == "403":
        assert "Origin" in problem.message  # what a 403 usually means here


def test_good_response_accepted_by_both_clients() -> None:
    request = parse_request(RFC_REQUEST)
    assert check_response(parse_response(RFC_RESPONSE), request) == []
    assert ws_client_accepts(request, RFC_RESPONSE)


def test_offered_extension_may_be_accepted() -> None:
    request = rfc_request().with_header("Sec-WebSocket-Extensions", "permessage-deflate")
    response = build_response(request, extensions="permessage-deflate")
    assert check_response(response, request) == []


# -- parsing ----------------------------------------------------------------------------------


def test_offsets_point_at_each_line() -> None:
    request = parse_request(RFC_REQUEST + b"\x81\x00")
    starts = [m.end() for m in re.finditer(rb"\r\n", RFC_REQUEST)]
    assert request.offsets == [0, *starts[:-1]]


@pytest.mark.parametrize(("data", "offset", "rfc"), [
    (b"GET / HTTP/1.1\r\nHost: a\r\n  folded\r\n\r\n", 25, "RFC 7230 §3.2.4"),
    (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 20, "RFC 7230 §3.2.4"),
    (b"GET / HTTP/1.1\r\nHost a\r\n\r\n", 16, "RFC 7230 §3.2"),
    (b"GET / HTTP/1.1\nHost: a\r\n\r\n", 14, "RFC 7230 §3"),
    (b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n", 23, "RFC 7230 §3.2"),
    (b"GET  / HTTP/1.1\r\n\r\n", 0, "RFC 7230 §3.1.1"),
    (b"GET / HTTP/11\r\n\r\n", 6, "RFC 7230 §2.6"),
    (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, "RFC 7230 §3.1"),
    (b"\x16\x03\x01\x02\x00\x01\x00", 0, "RFC 6455 §3"),
])
def test_malformed_requests_name_offset_and_rule(data: bytes, offset: int, rfc: str) -> None:
    with pytest.raises(HandshakeError) as info:
        parse_request(data)
    assert (info.value.offset, info.value.rfc, info.value.status) == (offset, rfc, 400)
    assert not isinstance(info.value, IncompleteHandshake)


@pytest.mark.parametrize("cut", [0, 1, 20, len(RFC_REQUEST) - 3, len(RFC_REQUEST) - 1])
def test_truncated_handshake_says_how_much_was_seen(cut: int) -> None:
    with pytest.raises(IncompleteHandshake) as info:
        parse_request(RFC_REQUEST[:cut])
    assert info.value.have == cut and info.value.offset == cut
    assert f"{cut} byte(s) seen" in str(info.value)
    head = RFC_REQUEST[:cut]
    assert info.value.need == min(n for n in range(1, 5) if (head + b"\r\n\r\n"[4 - n:])
                                  .endswith(b"\r\n\r\n"))
    assert parse_request(RFC_REQUEST[:cut] + RFC_REQUEST[cut:]) == rfc_request()


def test_over_long_lines_get_414_and_431() -> None:
    with pytest.raises(HandshakeError) as info:
        parse_request(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
    assert info.value.status == 414
    with pytest.raises(HandshakeError) as info:
        parse_request(b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n")
    assert info.value.status == 431


def test_response_body_and_following_frames() -> None:
    error = parse_response(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\n\r\noops+more")
    assert error.body == b"oops"
    assert parse_response(RFC_RESPONSE + b"\x81\x05Hello").body == b""
    explained = explain(RFC_RESPONSE + b"\x81\x05Hello", request=rfc_request())
    assert explained.trailing == 7 and explained.ok


@pytest.mark.parametrize("value", [
    "permessage-deflate", "permessage-deflate; client_max_window_bits",
    "permessage-deflate; server_max_window_bits=10; client_no_context_takeover, foo",
    'permessage-deflate; client_max_window_bits="12"', "a;b=c;d, e",
])
def test_extension_parsing_agrees_with_websockets(value: str) -> None:
    ours = [(offer.name, list(offer.params)) for offer in parse_extensions(value)]
    assert ours == [(n, list(p)) for n, p in parse_extension(value)]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_handshake_error(data: bytes) -> None:
    for parse in (parse_request, parse_response):
        try:
            parse(data)
        except HandshakeError:
            pass
    explained = explain(data)
    assert isinstance(explained, HandshakeExplanation)
    json.dumps(explained.to_dict())
    assert str(explained) and explained._repr_html_()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(RFC_REQUEST)), st.binary(min_size=1, max_size=4),
       st.integers(0, 4))
def test_mutated_handshakes_only_raise_handshake_error(at: int, junk: bytes, drop: int) -> None:
    data = RFC_REQUEST[:at] + junk + RFC_REQUEST[at + drop:]
    for blob in (data, data.replace(RFC_REQUEST[:18], b"HTTP/1.1 101 Hi")):
        explained = explain(blob)
        json.dumps(explained.to_dict())
        try:
            message = parse_request(blob) if explained.kind == "request" else parse_response(blob)
        except HandshakeError:
            continue
        if isinstance(message, Request):
            check_request(message)
        else:
            check_response(message, rfc_request())


@given(st.lists(st.from_regex(r"[a-z][a-z0-9.]{0,8}", fullmatch=True), max_size=4, unique=True),
       st.from_regex(r"/[a-z0-9/]{0,12}", fullmatch=True))
def test_round_trip_built_request(subprotocols: list[str], path: str) -> None:
    request = build_request(f"ws://example.com{path}", subprotocols=subprotocols)
    assert parse_request(bytes(request)) == request
    assert check_request(request) == []
    response = server_answer(request, subprotocols=subprotocols or None)
    assert parse_response(bytes(response)) == response
    assert check_response(response, request) == []


# -- explaining -------------------------------------------------------------------------------


def test_explain_request_line_by_line() -> None:
    data = RFC_REQUEST.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate; "
                               b"client_max_window_bits\r\nX-Custom: 1\r\n\r\n")
    explained = explain(data)
    assert explained.kind == "request" and explained.ok
    assert [n.offset for n in explained.lines] == parse_request(data).offsets
    assert all(n.meaning and n.rfc for n in explained.lines)
    notes = {n.name: n for n in explained.lines if n.name}
    assert "§4.1 item 7" in notes["Sec-WebSocket-Key"].rfc
    assert "74 68 65 20" in notes["Sec-WebSocket-Key"].meaning  # "the " in hex
    assert "RFC 7692 §7.1.2.2" in notes["Sec-WebSocket-Extensions"].meaning
    assert notes["X-Custom"].meaning.startswith("not part of the WebSocket handshake")
    assert explained.answer is not None and explained.answer.status == 101
    assert explained.answer.get("Sec-WebSocket-Accept") == RFC_ACCEPT
    as_json = json.loads(json.dumps(explained.to_dict()))
    assert as_json["answer"]["status"] == 101 and len(as_json["lines"]) == len(explained.lines)
    assert "Sec-WebSocket-Key" in str(explained)


def test_explain_bad_request_marks_lines_and_answers_the_error() -> None:
    data = RFC_REQUEST.replace(b"Version: 13", b"Version: 8")
    explained = explain(data)
    [problem] = explained.problems
    assert problem.status == 426
    [marked] = [n for n in explained.lines if n.problem]
    assert marked.name == "Sec-WebSocket-Version" and marked.offset == problem.offset
    assert explained.answer is not None and explained.answer.status == 426
    page = explained._repr_html_()
    assert "<script" not in page.lower() and f"color:{RED}" in page  # the problem line in red
    assert "426" in str(explained)


def test_explain_unparseable_and_truncated() -> None:
    truncated = explain(RFC_REQUEST[:30])
    assert truncated.message is None and truncated.answer is None  # a server waits for more
    assert "30 byte(s) seen" in truncated.problems[0].message
    folded = explain(b"GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n")
    assert folded.answer is not None and folded.answer.status == 400
    assert folded.problems[0].offset == 25
    response = explain(RFC_RESPONSE.replace(RFC_ACCEPT.encode(), b"x" * 28), request=rfc_request())
    assert response.kind == "response" and response.answer is None
    assert [p.header for p in response.problems] == ["Sec-WebSocket-Accept"]


def test_messages_render() -> None:
    request, response = rfc_request(), build_response(RFC_KEY)
    assert str(request).startswith("GET /chat HTTP/1.1\nHost: server.example.com\n")
    assert f"({len(RFC_REQUEST)} bytes" in str(request)
    for message in (request, response, build_error_response(426)):
        page = message._repr_html_()
        assert "<script" not in page.lower() and "\\r\\n" in page
    assert isinstance(response, Response)


@pytest.mark.parametrize(("digest", "hint"), [
    (lambda key: hashlib.sha1(base64.b64decode(key) + GUID.encode()).digest(), "decoded key"),
    (lambda key: hashlib.sha1((key + GUID).encode()).hexdigest().encode(), "hex digest"),
])
def test_wrong_accept_hints_at_the_usual_mistakes(digest: object, hint: str) -> None:
    request = rfc_request()
    wrong = base64.b64encode(digest(RFC_KEY)).decode()  # type: ignore[operator]
    [problem] = check_response(build_response(request).with_header("Sec-WebSocket-Accept",
                                                                    wrong), request)
    assert hint in problem.message and wrong in problem.message


def test_absolute_form_target_and_bad_targets() -> None:
    request = rfc_request().replace(target="http://server.example.com/chat")
    assert check_request(request) == []  # RFC 6455 §4.1 item 3 allows an absolute URI
    for target in ("*", "server.example.com:80", "/chat#frag"):
        [problem] = check_request(rfc_request().replace(target=target))
        assert problem.status == 400 and problem.header is None


def test_explain_wants_bytes() -> None:
    with pytest.raises(HandshakeError, match="takes bytes"):
        explain(RFC_REQUEST.decode())  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "says", "never"), [
    ("Upgrade", "switch protocols", "closed"),
    ("close", "closed after this response", "switch protocols"),
    ("keep-alive, Upgrade", "keep the TCP connection open", "closed"),
])
def test_connection_header_is_explained_by_its_tokens(value: str, says: str, never: str) -> None:
    from wslab.codec import describe_header

    meaning, rfc = describe_header("Connection", value, request=False)
    assert says in meaning and never not in meaning and "RFC 7230 §6.1" in rfc
