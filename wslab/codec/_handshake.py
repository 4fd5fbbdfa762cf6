"""The opening handshake (RFC 6455 §4): build and check it, with no sockets.

The client asks to upgrade an HTTP/1.1 connection; the server agrees with ``101 Switching
Protocols`` and proves it read the request by hashing the client's nonce (§1.3)::

    Sec-WebSocket-Accept = base64( SHA-1( Sec-WebSocket-Key + GUID ) )

Checks come in two flavours, as for frames: ``check_*`` returns every
:class:`HandshakeProblem` found, ``validate_*`` raises the first as a
:class:`~wslab.codec.HandshakeError`. On the server side each problem carries the HTTP
status a server answers; :func:`server_answer` builds that answer. The nonce and the server's
proof (:func:`generate_key`, :func:`accept_key`) are here too; explaining a handshake line by
line (:func:`explain`, :func:`accept_steps`) is in :mod:`wslab.codec._explain`.

Where wslab and the ``websockets`` library (17.x) answer differently, wslab follows the
letter of the RFCs: HTTP/1.0 gets 400 (RFC 6455 §4.2.1 asks for "HTTP/1.1 or higher";
websockets says 505, meant for an unsupported *major* version, RFC 7231 §6.6.6); a bad
Upgrade or Connection header gets 400, the status §4.2.1 names (websockets answers 426
Upgrade Required, which RFC 7231 §6.5.15 also allows); a missing Host gets 400 (RFC 7230
§5.4; websockets leaves that check to the HTTP stack); a version other than 13 gets 426
with ``Sec-WebSocket-Version: 13`` (§4.2.2 /version/, §4.4; websockets says 400).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http
import re
import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from ._errors import HandshakeError
from ._extensions import check_answered_extensions, parse_extensions
from ._http11 import Request, Response, is_token, status_meaning

# -- the nonce and the server's proof (RFC 6455 §1.3) ----------------------------------------

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # appended to the key before hashing (§1.3)
WEBSOCKET_VERSION = "13"  # the only Sec-WebSocket-Version of RFC 6455 (§4.1 item 9, §11.6)
KEY_BYTES = 16  # a Sec-WebSocket-Key is 16 random bytes in base64 (RFC 6455 §4.1 item 7)


def generate_key() -> str:
    """A fresh Sec-WebSocket-Key: 16 random bytes in base64 (RFC 6455 §4.1 item 7)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def _key_bytes(key: str) -> bytes:
    try:
        return key.encode("latin-1")
    except UnicodeEncodeError:
        raise HandshakeError(f"{key!r} cannot be a header value: it has characters outside "
                             f"ISO-8859-1 (a Sec-WebSocket-Key is base64, plain ASCII)",
                             rfc="RFC 7230 §3.2", header="Sec-WebSocket-Key") from None


def accept_digest(key: str) -> bytes:
    """The 20-byte SHA-1 of ``key + GUID``, the key hashed as text (RFC 6455 §4.2.2 item 5.4).

    Raises:
        HandshakeError: ``key`` has characters that no header can carry.
    """
    return hashlib.sha1(_key_bytes(key) + GUID.encode()).digest()


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for ``key`` (RFC 6455 §4.2.2 item 5.4).

    :func:`wslab.handshake_explain.accept_steps` shows each step (SHA-1 of ``key + GUID``,
    then base64).

    Raises:
        HandshakeError: ``key`` has characters that no header can carry.
    """
    return base64.b64encode(accept_digest(key)).decode()


def decode_base64(value: str) -> bytes | None:
    """The bytes a header value holds in strict base64, or ``None`` if it is not base64."""
    try:
        return base64.b64decode(value.encode("latin-1"), validate=True)
    except (binascii.Error, ValueError):
        return None


def key_problem(key: str) -> str | None:
    """What is wrong with a Sec-WebSocket-Key value; ``None`` when it is valid.

    A key is the base64 encoding of 16 random bytes (RFC 6455 §4.1 item 7), and a server
    checks that (§4.2.1 item 5): the key is decoded for this check only. The Accept value
    hashes the key as *text*, never its decoded bytes (§4.2.2 item 5.4).
    """
    nonce = decode_base64(key)
    if nonce is None:
        return f"{key!r} is not base64"
    if len(nonce) != KEY_BYTES:
        return f"{key!r} decodes to {len(nonce)} bytes, not {KEY_BYTES}"
    return None


def accept_mistake(key: str, got: str) -> str:
    """Why a server answered ``got`` to ``key``, when it is a known mistake; else ``""``.

    The answer starts with a space and is in brackets, to follow the message it explains.
    """
    if got == key:
        return " (the server echoed the key instead of hashing it)"
    raw = decode_base64(key)
    if raw is not None and got == base64.b64encode(hashlib.sha1(raw + GUID.encode())
                                                   .digest()).decode():
        return " (the server hashed the decoded key: hash the key as text)"
    if got == base64.b64encode(hashlib.sha1(_key_bytes(key + GUID)).hexdigest()
                               .encode()).decode():
        return " (the server took base64 of the hex digest, not of the 20 raw bytes)"
    return ""


DEFAULT_PORTS = {"ws": 80, "wss": 443}
HeaderItems = Iterable[tuple[str, str]] | Mapping[str, str]


# -- building ------------------------------------------------------------------------------


def _pairs(headers: HeaderItems) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(n), str(v)) for n, v in items]


def build_request(url: str, *, key: str | None = None, subprotocols: Iterable[str] = (),
                  extensions: Iterable[str] = (), origin: str | None = None,
                  extra_headers: HeaderItems = (), version: int | str = WEBSOCKET_VERSION
                  ) -> Request:
    """The handshake request a client sends to open ``url`` (RFC 6455 §4.1).

    Args:
        url: ``ws://host[:port]/path?query`` or ``wss://...`` (RFC 6455 §3).
        key: the Sec-WebSocket-Key (a fresh random one if ``None``; any text is used as is).
        subprotocols: offered in order of preference (Sec-WebSocket-Protocol).
        extensions: offered extensions, e.g. ``"permessage-deflate; client_max_window_bits"``.
        origin: the Origin header, as a browser sends it.
        extra_headers: more ``(name, value)`` pairs, appended in order.
        version: the Sec-WebSocket-Version (13; anything else to see a server refuse it).
    Raises:
        HandshakeError: ``url`` is not a valid WebSocket URI (RFC 6455 §3).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()

    def bad(why: str) -> HandshakeError:
        return HandshakeError(f"{url!r}: {why}", rfc="RFC 6455 §3")

    if scheme not in DEFAULT_PORTS:
        raise bad("a WebSocket URI starts with ws:// or wss://")
    if "#" in url:
        raise bad("fragment identifiers must not be used in WebSocket URIs")
    if parts.username is not None or not parts.hostname:
        raise bad("expected ws://host[:port]/path with a host and no user info")
    try:
        port = parts.port
    except ValueError:
        raise bad("the port is not a number in 0-65535") from None
    host = parts.hostname
    host = f"[{host}]" if ":" in host else host.encode("idna").decode("ascii")
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    target = "".join(c if "!" <= c <= "~" else quote(c) for c in target)
    headers = [("Host", host), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
               ("Sec-WebSocket-Key", generate_key() if key is None else key)]
    if origin is not None:
        headers.append(("Origin", origin))
    if subprotocols := list(subprotocols):
        headers.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    if extensions := list(extensions):
        headers.append(("Sec-WebSocket-Extensions", ", ".join(extensions)))
    headers.append(("Sec-WebSocket-Version", str(version)))
    return Request("GET", target, headers + _pairs(extra_headers))


def build_response(request_or_key: Request | str, *, subprotocol: str | None = None,
                   extensions: str | Iterable[str] | None = None,
                   extra_headers: HeaderItems = ()) -> Response:
    """The ``101 Switching Protocols`` a server answers (RFC 6455 §4.2.2 item 5).

    Args:
        request_or_key: the client's request, or just its Sec-WebSocket-Key.
        subprotocol: the one subprotocol picked, if any.
        extensions: the accepted extensions (a header value or several).
        extra_headers: more ``(name, value)`` pairs, appended in order.
    Raises:
        HandshakeError: the request has no Sec-WebSocket-Key.
    """
    key = request_or_key
    if isinstance(request_or_key, Request):
        key = request_or_key.get("Sec-WebSocket-Key")
        if key is None:
            raise HandshakeError("the request has no Sec-WebSocket-Key to answer",
                                 rfc="RFC 6455 §4.2.1 item 5", status=400,
                                 header="Sec-WebSocket-Key")
    headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
               ("Sec-WebSocket-Accept", accept_key(str(key)))]
    if subprotocol is not None:
        headers.append(("Sec-WebSocket-Protocol", subprotocol))
    if isinstance(extensions, str):
        extensions = [extensions]
    if extensions := list(extensions or ()):
        headers.append(("Sec-WebSocket-Extensions", ", ".join(extensions)))
    return Response(101, "Switching Protocols", headers + _pairs(extra_headers))


def build_error_response(status: int, reason: str | None = None, *, headers: HeaderItems = (),
                         body: str | bytes | None = None) -> Response:
    """An HTTP error response refusing the handshake, with the headers its status requires.

    405 carries ``Allow: GET`` (RFC 7231 §6.5.5). 426 carries ``Upgrade: websocket`` (RFC 7231
    §6.5.15) with ``Connection: Upgrade`` (RFC 7230 §6.7) and ``Sec-WebSocket-Version: 13``
    (RFC 6455 §4.2.2, §4.4). The connection closes after it, as websockets does.
    """
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    reason = phrase if reason is None else reason
    text = f"{status} {reason}\n" if body is None else body
    data = text.encode() if isinstance(text, str) else bytes(text)
    out = [("Connection", "close")]
    if status == 405:
        out.append(("Allow", "GET"))
    if status == 426:
        out = [("Connection", "Upgrade, close"), ("Upgrade", "websocket"),
               ("Sec-WebSocket-Version", WEBSOCKET_VERSION)]
    out += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    return Response(status, reason, out + _pairs(headers), body=data)


# -- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandshakeProblem:
    """One thing wrong with a handshake.

    Attributes:
        message: what is wrong, in one sentence.
        header: the header concerned (``None`` for the start line).
        rfc: where the rule is written.
        status: the HTTP status a server answers (requests), else ``None``.
        offset: byte offset of the line concerned, when the message was parsed.
    """

    message: str
    header: str | None
    rfc: str
    status: int | None = None
    offset: int | None = None

    def error(self) -> HandshakeError:
        return HandshakeError(self.message, rfc=self.rfc, status=self.status,
                              header=self.header, offset=self.offset)

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "header": self.header, "rfc": self.rfc,
                "status": self.status, "offset": self.offset}

    def __str__(self) -> str:
        return str(self.error())


def _shown(message: Request | Response, name: str) -> str:
    values = message.get_all(name)
    return f"{name} is {', '.join(values)!r}" if values else f"no {name} header"


def _where(message: Request | Response, header: str | None) -> int | None:
    if not message.offsets:
        return None
    return message.offsets[0] if header is None else message.line_offset(header)


def check_request(request: Request, *, origins: Collection[str | None] | None = None,
                  subprotocols: Collection[str] | None = None) -> list[HandshakeProblem]:
    """Every problem a server finds in ``request``, in the order of RFC 6455 §4.2.1.

    Args:
        origins: allowed Origin values (``None`` in it allows requests without Origin);
            ``None`` allows any origin.
        subprotocols: the subprotocols the server speaks; when given, the client must
            offer one of them (as websockets does; the RFC also lets a server go on
            without any, §4.2.2 /subprotocol/).
    """
    out: list[HandshakeProblem] = []

    def add(message: str, header: str | None, rfc: str, status: int = 400) -> None:
        out.append(HandshakeProblem(message, header, rfc, status, _where(request, header)))

    if request.method != "GET":
        add(f"the method is {request.method}; the handshake must be a GET",
            None, "RFC 6455 §4.1 item 2; §4.2.1 item 1; the 405 is HTTP's, RFC 9110 §15.5.6",
            405)
    version = re.fullmatch(r"HTTP/([0-9])\.([0-9])", request.version)
    if not version or (int(version[1]), int(version[2])) < (1, 1):
        add(f"{request.version} is not HTTP/1.1 or higher, as the handshake needs",
            None, "RFC 6455 §4.2.1 item 1")
    if not request.target.startswith(("/", "http://", "https://")):
        add(f"the request target {request.target!r} is not a path like /chat",
            None, "RFC 6455 §4.2.1 item 1; §3")
    elif "#" in request.target:
        add("the request target has a fragment (#...), not allowed in WebSocket URIs",
            None, "RFC 6455 §3")
    hosts = request.get_all("Host")
    if len(hosts) != 1 or not hosts[0]:
        add(f"{'no' if not hosts else len(hosts) if len(hosts) > 1 else 'an empty'} Host "
            f"header; exactly one is required", "Host", "RFC 6455 §4.2.1 item 2; RFC 7230 §5.4")
    if "websocket" not in [t.lower() for t in request.tokens("Upgrade")]:
        add(f"{_shown(request, 'Upgrade')}; it must contain the token websocket", "Upgrade",
            "RFC 6455 §4.2.1 item 3")
    if "upgrade" not in [t.lower() for t in request.tokens("Connection")]:
        add(f"{_shown(request, 'Connection')}; this comma-separated list must contain the token "
            "Upgrade", "Connection", "RFC 6455 §4.2.1 item 4")
    keys = request.get_all("Sec-WebSocket-Key")
    what = ("missing" if not keys else f"sent {len(keys)} times" if len(keys) > 1 else
            key_problem(keys[0]))
    if what is not None:
        add(f"Sec-WebSocket-Key {what}; it must be one base64 value of {KEY_BYTES} bytes",
            "Sec-WebSocket-Key", "RFC 6455 §4.2.1 item 5")
    versions = request.get_all("Sec-WebSocket-Version")
    if len(versions) > 1:
        add("Sec-WebSocket-Version sent more than once", "Sec-WebSocket-Version",
            "RFC 6455 §11.3.5")
    elif versions != [WEBSOCKET_VERSION]:
        add(f"Sec-WebSocket-Version is {repr(versions[0]) if versions else 'missing'}; this "
            f"server speaks 13 and says so in its answer", "Sec-WebSocket-Version",
            "RFC 6455 §4.2.2 /version/; §4.4", 426)
    origin = request.get_all("Origin")
    if len(origin) > 1:
        add("more than one Origin header", "Origin", "RFC 6454 §7.3")
    elif origins is not None and (origin[0] if origin else None) not in origins:
        add(f"Origin {origin[0]!r} is not allowed here" if origin else "no Origin header, and "
            "this server accepts only listed origins", "Origin",
            "RFC 6455 §4.2.2 /origin/; §10.2", 403)
    offered = request.tokens("Sec-WebSocket-Protocol")
    bad = [p for p in offered if not is_token(p)]
    if bad or len(set(offered)) != len(offered):
        add(f"Sec-WebSocket-Protocol must list unique tokens: {offered}",
            "Sec-WebSocket-Protocol", "RFC 6455 §4.1 item 10")
    elif subprotocols is not None and not set(offered) & set(subprotocols):
        add(f"none of the offered subprotocols {offered} is one this server speaks: "
            f"{list(subprotocols)}", "Sec-WebSocket-Protocol", "RFC 6455 §4.2.2 /subprotocol/")
    for value in request.get_all("Sec-WebSocket-Extensions"):
        try:
            parse_extensions(value)
        except HandshakeError as exc:
            add(exc.message, "Sec-WebSocket-Extensions", exc.rfc)
    return out


def validate_request(request: Request, *, origins: Collection[str | None] | None = None,
                     subprotocols: Collection[str] | None = None) -> Request:
    """Return ``request`` if a server accepts it.

    Raises:
        HandshakeError: the first problem, with the status a server answers.
    """
    problems = check_request(request, origins=origins, subprotocols=subprotocols)
    if problems:
        raise problems[0].error()
    return request


def server_answer(request: Request, *, origins: Collection[str | None] | None = None,
                  subprotocols: Collection[str] | None = None) -> Response:
    """The response a server sends: 101, or the error for the first problem found.

    The subprotocol picked is the first the client offers that the server speaks.
    """
    problems = check_request(request, origins=origins, subprotocols=subprotocols)
    if problems:
        first = problems[0]
        return build_error_response(first.status or 400,
                                    body=f"Failed to open a WebSocket connection: "
                                         f"{first.message} ({first.rfc}).\n")
    picked = next((p for p in request.tokens("Sec-WebSocket-Protocol")
                   if subprotocols is not None and p in subprotocols), None)
    return build_response(request, subprotocol=picked)


def check_response(response: Response, request: Request | None = None
                   ) -> list[HandshakeProblem]:
    """Every check a client makes on the server's answer, point by point (RFC 6455 §4.1).

    Args:
        request: the request it answers; without it the Accept value and what was
            offered cannot be checked.
    """
    out: list[HandshakeProblem] = []

    def add(message: str, header: str | None, step: int) -> None:
        out.append(HandshakeProblem(message, header, f"RFC 6455 §4.1, check {step}", None,
                                    _where(response, header)))

    if response.status != 101:
        add(f"status {response.status} {response.reason}, not 101: "
            f"{status_meaning(response)}", None, 1)
        return out
    if response.version != "HTTP/1.1":
        add(f"a 101 response is HTTP/1.1, not {response.version} (§4.2.2 item 5.1)", None, 1)
    upgrade = response.get_all("Upgrade")
    if len(upgrade) != 1 or upgrade[0].lower() != "websocket":
        add(f"{_shown(response, 'Upgrade')}; it must be websocket", "Upgrade", 2)
    if "upgrade" not in [t.lower() for t in response.tokens("Connection")]:
        add(f"{_shown(response, 'Connection')}; it must contain the token Upgrade",
            "Connection", 3)
    got = response.get_all("Sec-WebSocket-Accept")
    key = request.get("Sec-WebSocket-Key") if request is not None else None
    if len(got) != 1:
        add(f"Sec-WebSocket-Accept is {'missing' if not got else 'sent more than once'}",
            "Sec-WebSocket-Accept", 4)
    elif key is not None and got[0] != (expected := accept_key(key)):
        add(f"Sec-WebSocket-Accept is {got[0]!r}, expected {expected!r}"
            f"{accept_mistake(key, got[0])}", "Sec-WebSocket-Accept", 4)
    offered = request.get_all("Sec-WebSocket-Extensions") if request is not None else None
    for message in check_answered_extensions(response.get_all("Sec-WebSocket-Extensions"),
                                             offered):
        add(message, "Sec-WebSocket-Extensions", 5)
    picked = response.tokens("Sec-WebSocket-Protocol")
    asked = request.tokens("Sec-WebSocket-Protocol") if request is not None else None
    if len(picked) > 1:
        add(f"the server must pick one subprotocol, not {picked}", "Sec-WebSocket-Protocol", 6)
    elif picked and asked is not None and picked[0] not in asked:
        add(f"subprotocol {picked[0]!r} was not offered (offered: {asked or 'none'})",
            "Sec-WebSocket-Protocol", 6)
    return out


def validate_response(response: Response, request: Request | None = None) -> Response:
    """Return ``response`` if the client accepts it.

    Raises:
        HandshakeError: the first problem found (see :func:`check_response`).
    """
    problems = check_response(response, request)
    if problems:
        raise problems[0].error()
    return response
