"""permessage-deflate (RFC 7692): RFC examples byte for byte, websockets cross-checks."""

from __future__ import annotations

import itertools
import tracemalloc
import zlib

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from websockets.exceptions import NegotiationError
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode as WsOpcode
from websockets.headers import parse_extension

from wslab.codec import (
    TAIL,
    DeflateParams,
    Deflater,
    ExtensionOffer,
    FrameError,
    HandshakeError,
    Inflater,
    Opcode,
    Rules,
    check_response_params,
    compress_steps,
    compressed_frames,
    explain_params,
    frame_problems,
    inflate_frames,
    negotiate,
    negotiate_steps,
    parse_extensions,
    parse_frame,
)

H = bytes.fromhex
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def wire(*hexes: str) -> list[bytes]:
    return [H(h) for h in hexes]


def inflate_wire(frames: list[bytes], inflater: Inflater | None = None) -> bytes:
    """Parse frames strictly (deflate negotiated), then inflate them as one message."""
    parsed = [parse_frame(f, deflate=True)[0] for f in frames]
    return inflate_frames(parsed, inflater)


# -- RFC 7692 §7.2.3 examples ---------------------------------------------------------------

def test_rfc_7_2_3_1_one_compressed_message() -> None:
    deflater = Deflater()
    assert deflater.compress_raw(b"Hello") == H("f2 48 cd c9 c9 07 00 00 00 ff ff")
    assert Deflater().compress(b"Hello") == H("f2 48 cd c9 c9 07 00")
    [frame] = compressed_frames("Hello")
    assert frame.serialize() == H("c1 07 f2 48 cd c9 c9 07 00")
    assert inflate_wire(wire("c1 07 f2 48 cd c9 c9 07 00")) == b"Hello"


def test_rfc_7_2_3_1_fragmented() -> None:
    frames = compressed_frames("Hello", fragment_sizes=[3])
    assert [f.serialize() for f in frames] == wire("41 03 f2 48 cd", "80 04 c9 c9 07 00")
    inflater = Inflater()
    first = parse_frame(H("41 03 f2 48 cd"), deflate=True)[0]
    last = parse_frame(H("80 04 c9 c9 07 00"), deflate=True)[0]
    out = inflater.decompress(first.payload, fin=first.fin)
    assert inflater.message_size == len(out) and inflater.messages == 0
    out += inflater.decompress(last.payload, fin=last.fin)
    assert out == b"Hello" and inflater.messages == 1


def test_rfc_7_2_3_2_sharing_the_window() -> None:
    deflater = Deflater()
    first = compressed_frames("Hello", deflater=deflater)
    second = compressed_frames("Hello", deflater=deflater)
    assert first[0].serialize() == H("c1 07 f2 48 cd c9 c9 07 00")
    assert second[0].serialize() == H("c1 05 f2 00 11 00 00")
    inflater = Inflater()
    assert inflate_wire(wire("c1 07 f2 48 cd c9 c9 07 00"), inflater) == b"Hello"
    assert inflate_wire(wire("c1 05 f2 00 11 00 00"), inflater) == b"Hello"
    # Without the first message's window, the back-reference points nowhere.
    with pytest.raises(FrameError) as info:
        Inflater().decompress(H("f2 00 11 00 00"), fin=True)
    assert info.value.rule is Rules.DEFLATE_ERROR
    assert "distance" in info.value.message


def test_no_context_takeover_compresses_each_message_alone() -> None:
    deflater = Deflater(no_context_takeover=True)
    assert deflater.compress(b"Hello") == deflater.compress(b"Hello") == H("f2 48 cd c9 c9 07 00")
    inflater = Inflater(no_context_takeover=True)
    for _ in range(3):
        assert inflater.decompress(H("f2 48 cd c9 c9 07 00"), fin=True) == b"Hello"


def test_rfc_7_2_3_3_block_with_no_compression() -> None:
    assert inflate_wire(wire("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00")) == b"Hello"


def test_rfc_7_2_3_4_bfinal_block() -> None:
    inflater = Inflater()
    assert inflater.decompress(H("f3 48 cd c9 c9 07 00 00"), fin=True) == b"Hello"
    # The stream ended (BFINAL): the next message starts a new one, context or not.
    assert inflater.decompress(H("f2 48 cd c9 c9 07 00"), fin=True) == b"Hello"


def test_rfc_7_2_3_5_two_blocks() -> None:
    payload = H("f2 48 05 00 00 00 ff ff ca c9 c9 07 00")
    assert Inflater().decompress(payload, fin=True) == b"Hello"
    deflater = Deflater()  # zlib writes exactly these blocks for "He" then "llo"
    assert deflater.compress(b"He", fin=False) + deflater.compress(b"llo") == payload


def test_rfc_7_2_3_6_empty_fragment() -> None:
    deflater = Deflater()
    first = deflater.compress(b"Hello", fin=False)
    assert first == H("f2 48 cd c9 c9 07 00 00 00 ff ff")
    assert deflater.compress(b"", fin=True) == H("00")
    inflater = Inflater()
    assert inflater.decompress(first, fin=False) + inflater.decompress(H("00"), fin=True) \
        == b"Hello"
    assert Deflater().compress(b"") == H("00")  # an empty message, too
    assert compressed_frames(b"")[0].serialize() == H("c2 01 00")
    assert Inflater().decompress(H("00"), fin=True) == b""


@pytest.mark.parametrize("bits", range(8, 16))
def test_rfc_examples_inflate_with_every_window(bits: int) -> None:
    for payload in ("f2 48 cd c9 c9 07 00", "00 05 00 fa ff 48 65 6c 6c 6f 00",
                    "f3 48 cd c9 c9 07 00 00", "f2 48 05 00 00 00 ff ff ca c9 c9 07 00"):
        assert Inflater(max_window_bits=bits).decompress(H(payload), fin=True) == b"Hello"


def test_window_bits_8_compresses_with_9() -> None:
    with pytest.raises(ValueError, match="Invalid initialization"):
        zlib.compressobj(wbits=-8)  # the zlib limitation the docstring explains
    deflater = Deflater(max_window_bits=8)
    assert (deflater.max_window_bits, deflater.window_bits) == (8, 9)
    data = bytes(range(256)) * 8
    assert Inflater(max_window_bits=9).decompress(deflater.compress(data), fin=True) == data
    with pytest.raises(ValueError, match="8-15"):
        Deflater(max_window_bits=16)
    with pytest.raises(ValueError, match="8-15"):
        Inflater(max_window_bits=7)


# -- bounds and bad data -------------------------------------------------------------------

def test_deflate_bomb_is_bounded() -> None:
    bomb = Deflater().compress(b"\0" * 20_000_000)
    assert len(bomb) < 30_000
    limit = 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(FrameError) as info:
            Inflater(max_size=limit).decompress(bomb, fin=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.rule is Rules.MESSAGE_TOO_BIG
    assert "max_size=1000000" in info.value.message
    assert peak < 4 * limit, f"inflating a bomb allocated {peak} bytes"


def test_bomb_spread_over_fragments_is_bounded() -> None:
    bomb = Deflater().compress(b"A" * 5_000_000)
    inflater = Inflater(max_size=100_000)
    produced = 0
    with pytest.raises(FrameError) as info:
        for start in range(0, len(bomb), 100):
            chunk = bomb[start:start + 100]
            produced += len(inflater.decompress(chunk, fin=start + 100 >= len(bomb)))
    assert info.value.rule is Rules.MESSAGE_TOO_BIG
    assert produced <= 100_000


def test_max_size_is_per_message_and_exact() -> None:
    deflater, inflater = Deflater(), Inflater(max_size=1000)
    for _ in range(3):
        assert len(inflater.decompress(deflater.compress(b"x" * 1000), fin=True)) == 1000
    with pytest.raises(FrameError, match="max_size=1000"):
        inflater.decompress(deflater.compress(b"x" * 1001), fin=True)


@pytest.mark.parametrize("payload", ["ff", "ff ff ff ff", "07 ff 00", "00 05 00 00 00"])
def test_corrupt_data_is_a_frame_error(payload: str) -> None:
    zobj = zlib.decompressobj(-15)
    with pytest.raises(zlib.error) as raw:
        zobj.decompress(H(payload) + TAIL)
    with pytest.raises(FrameError) as info:
        Inflater().decompress(H(payload), fin=True)
    assert info.value.rule is Rules.DEFLATE_ERROR
    assert str(raw.value) in info.value.message  # names zlib's complaint
    assert info.value.offset is None


def test_inflater_recovers_after_an_error() -> None:
    inflater = Inflater()
    with pytest.raises(FrameError):
        inflater.decompress(H("ff"), fin=True)
    assert inflater.decompress(H("f2 48 cd c9 c9 07 00"), fin=True) == b"Hello"


@SETTINGS
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=4))
def test_random_bytes_give_data_or_frame_error(fragments: list[bytes]) -> None:
    inflater = Inflater(max_size=10_000)
    try:
        for i, fragment in enumerate(fragments):
            assert isinstance(inflater.decompress(fragment, fin=i == len(fragments) - 1), bytes)
    except FrameError as exc:
        assert exc.rule in (Rules.DEFLATE_ERROR, Rules.MESSAGE_TOO_BIG)


# -- websockets cross-checks: compression -------------------------------------------------

messages = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=6), st.integers(1, 400)),
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def as_bytes(message: str | bytes) -> tuple[WsOpcode, bytes]:
    if isinstance(message, str):
        return WsOpcode.TEXT, message.encode()
    return WsOpcode.BINARY, message


@SETTINGS
@given(st.lists(st.tuples(messages, st.lists(st.integers(0, 400), max_size=3)),
                min_size=1, max_size=4),
       st.booleans(), st.integers(9, 15))
def test_websockets_encode_wslab_inflates(msgs: list, no_takeover: bool, bits: int) -> None:
    encoder = PerMessageDeflate(False, no_takeover, 15, bits)
    inflater = Inflater(no_context_takeover=no_takeover, max_window_bits=bits)
    for message, cuts in msgs:
        opcode, data = as_bytes(message)
        chunks = split(data, cuts)
        out = b""
        for i, chunk in enumerate(chunks):
            frame = encoder.encode(WsFrame(opcode if i == 0 else WsOpcode.CONT, chunk,
                                           fin=i == len(chunks) - 1))
            assert frame.rsv1 == (i == 0)
            out += inflater.decompress(frame.data, fin=frame.fin)
        assert out == data


@SETTINGS
@given(st.lists(messages, min_size=1, max_size=4), st.booleans(), st.integers(9, 15), st.data())
def test_wslab_frames_websockets_decodes(msgs: list, no_takeover: bool, bits: int,
                                         draw: st.DataObject) -> None:
    deflater = Deflater(no_context_takeover=no_takeover, max_window_bits=bits)
    twin = Deflater(no_context_takeover=no_takeover, max_window_bits=bits)
    decoder = PerMessageDeflate(no_takeover, False, bits, 15)
    for message in msgs:
        _, data = as_bytes(message)
        size = len(twin.compress(data))  # zlib is deterministic: the same payload follows
        sizes = draw.draw(st.lists(st.integers(0, size), max_size=3).filter(
            lambda s, n=size: sum(s) <= n))
        frames = compressed_frames(message, fragment_sizes=sizes, deflater=deflater)
        assert sum(len(f.payload) for f in frames) == size
        assert [f.rsv1 for f in frames] == [True] + [False] * (len(frames) - 1)
        assert all(f.opcode == Opcode.CONT for f in frames[1:]) and frames[-1].fin
        out = b""
        for f in frames:
            assert frame_problems(f, deflate=True) == []
            decoded = decoder.decode(WsFrame(WsOpcode(int(f.opcode)), f.payload, fin=f.fin,
                                             rsv1=f.rsv1))
            assert not decoded.rsv1
            out += decoded.data
        assert out == data


@SETTINGS
@given(st.lists(st.lists(messages, min_size=1, max_size=3), min_size=1, max_size=3),
       st.booleans(), st.integers(9, 15))
def test_streamed_compression_websockets_decodes(msgs: list, no_takeover: bool,
                                                 bits: int) -> None:
    deflater = Deflater(no_context_takeover=no_takeover, max_window_bits=bits)
    decoder = PerMessageDeflate(no_takeover, False, bits, 15)
    for parts in msgs:
        chunks = [as_bytes(p)[1] for p in parts]
        out = b""
        for i, chunk in enumerate(chunks):
            fin = i == len(chunks) - 1
            payload = deflater.compress(chunk, fin=fin)
            out += decoder.decode(WsFrame(WsOpcode.BINARY if i == 0 else WsOpcode.CONT,
                                          payload, fin=fin, rsv1=i == 0)).data
        assert out == b"".join(chunks)


def test_websockets_hello_matches_the_rfc() -> None:
    encoder = PerMessageDeflate(False, False, 15, 15)
    assert encoder.encode(WsFrame(WsOpcode.TEXT, b"Hello")).data == H("f2 48 cd c9 c9 07 00")
    assert encoder.encode(WsFrame(WsOpcode.TEXT, b"Hello")).data == H("f2 00 11 00 00")


# -- teaching helpers ------------------------------------------------------------------------

def test_compress_steps() -> None:
    deflater = Deflater()
    steps = compress_steps("Hello", deflater)
    assert steps.raw == H("f2 48 cd c9 c9 07 00 00 00 ff ff")
    assert steps.tail == TAIL and steps.payload == H("f2 48 cd c9 c9 07 00")
    assert steps.frame.serialize() == H("c1 07 f2 48 cd c9 c9 07 00")
    text = str(steps)
    for needle in ("f2 48 cd c9 c9 07 00 00 00 ff ff", "00 00 ff ff", "RSV1=1",
                   "c1 07 f2 48 cd c9 c9 07 00", "§7.2.1", "context takeover"):
        assert needle in text
    again = compress_steps("Hello", deflater)
    assert again.index == 1 and again.payload == H("f2 00 11 00 00")
    alone = compress_steps(b"Hello", Deflater(no_context_takeover=True))
    assert alone.opcode == Opcode.BINARY and "reset" in str(alone)
    long = compress_steps(bytes(range(200)))
    assert "more)" in long.to_text(limit=16)


def test_compressed_frames_masked() -> None:
    key = H("37 fa 21 3d")
    frames = compressed_frames("Hello", fragment_sizes=[3], mask=key)
    assert all(f.masking_key == key for f in frames)
    parsed = [parse_frame(f.serialize(), sender="client", deflate=True)[0] for f in frames]
    assert inflate_frames(parsed) == b"Hello"
    randomly = compressed_frames("Hello", fragment_sizes=[1, 1], mask=True)
    assert len(randomly) == 3 and all(f.masked for f in randomly)


def test_compressed_frames_bad_sizes() -> None:
    with pytest.raises(ValueError, match="7-byte"):
        compressed_frames("Hello", fragment_sizes=[4, 4])
    with pytest.raises(ValueError):
        compressed_frames("Hello", fragment_sizes=[-1])
    exact = compressed_frames("Hello", fragment_sizes=[3, 4])
    assert len(exact) == 2 and exact[-1].fin


# -- Sec-WebSocket-Extensions ---------------------------------------------------------------

def test_parse_extensions_examples() -> None:
    value = ' permessage-deflate ;client_max_window_bits ,, x-foo; a = "1" ;b=c\t'
    assert parse_extensions(value) == [
        ExtensionOffer("permessage-deflate", (("client_max_window_bits", None),)),
        ExtensionOffer("x-foo", (("a", "1"), ("b", "c"))),
    ]
    assert parse_extensions('a; b="x\\yz"') == [ExtensionOffer("a", (("b", "xyz"),))]


@pytest.mark.parametrize("value", [
    "", " ", ",", "permessage-deflate;", "permessage-deflate; a=", "a b", "x;=1", '"x"',
    'x; a="unterminated', 'x; a="b c"', "x; a=b=c", "x;; a", "é", "x; a=\"\"",
])
def test_parse_extensions_malformed(value: str) -> None:
    with pytest.raises(HandshakeError) as info:
        parse_extensions(value, offset=40)
    assert info.value.rfc == "RFC 6455 §9.1" and info.value.status == 400
    assert info.value.header == "Sec-WebSocket-Extensions"
    assert info.value.offset is not None and info.value.offset >= 40
    with pytest.raises(Exception) as theirs:  # websockets agrees: InvalidHeaderFormat
        parse_extension(value.strip(" \t"))
    assert type(theirs.value).__name__ == "InvalidHeaderFormat"


tokens = st.one_of(st.sampled_from(["permessage-deflate", "client_max_window_bits", "x", "10"]),
                   st.text("abz-_.!#$%&'*+^`|~09AZ", min_size=1, max_size=6))
ows = st.sampled_from(["", " ", "\t", " \t "])


@st.composite
def headers(draw: st.DrawFn) -> str:
    elements = []
    for _ in range(draw(st.integers(1, 3))):
        item = draw(tokens)
        for _ in range(draw(st.integers(0, 3))):
            item += draw(ows) + ";" + draw(ows) + draw(tokens)
            kind = draw(st.sampled_from(["none", "token", "quoted"]))
            if kind != "none":
                value = draw(tokens)
                if kind == "quoted":
                    escaped = "".join(("\\" + c) if draw(st.booleans()) else c for c in value)
                    value = f'"{escaped}"'
                item += draw(ows) + "=" + draw(ows) + value
        elements.append(item + draw(ows))
    glue = draw(st.sampled_from([",", ", ", " ,\t", ",,"]))
    return draw(ows) + glue.join(elements) + draw(ows)


@SETTINGS
@given(headers())
def test_parse_extensions_matches_websockets(value: str) -> None:
    theirs = parse_extension(value.strip(" \t"))
    ours = parse_extensions(value)
    assert [(o.name, list(o.params)) for o in ours] == [(n, list(p)) for n, p in theirs]


@SETTINGS
@given(st.text('ab-=;," \\\t1é', max_size=20))
def test_parse_extensions_accepts_what_websockets_accepts(value: str) -> None:
    try:
        theirs = parse_extension(value.strip(" \t"))
    except Exception:
        theirs = None
    try:
        ours = [(o.name, list(o.params)) for o in parse_extensions(value)]
    except HandshakeError:
        ours = None
    assert ours == (None if theirs is None else [(n, list(p)) for n, p in theirs])


# -- parameters and negotiation -------------------------------------------------------------

def offer(value: str) -> ExtensionOffer:
    [element] = parse_extensions(value)
    return element


def test_from_offer() -> None:
    params = DeflateParams.from_offer(offer(
        'permessage-deflate; client_no_context_takeover; server_max_window_bits="10"; '
        "client_max_window_bits"))
    assert params == DeflateParams(False, True, 10, True)
    assert params.to_header() == ("permessage-deflate; client_no_context_takeover; "
                                  "server_max_window_bits=10; client_max_window_bits")
    assert DeflateParams.from_offer(offer("permessage-deflate")) == DeflateParams()


@pytest.mark.parametrize(("params", "rfc", "words"), [
    ("foo", "RFC 7692 §7.1", "unknown parameter 'foo'"),
    ("server_no_context_takeover; server_no_context_takeover", "RFC 7692 §7.1", "more than once"),
    ("server_no_context_takeover=1", "RFC 7692 §7.1.1.1", "takes no value"),
    ("client_no_context_takeover=x", "RFC 7692 §7.1.1.2", "takes no value"),
    ("server_max_window_bits", "RFC 7692 §7.1.2.1", "no value"),
    ("server_max_window_bits=7", "RFC 7692 §7.1.2.1", "8-15"),
    ("server_max_window_bits=16", "RFC 7692 §7.1.2.1", "8-15"),
    ("client_max_window_bits=08", "RFC 7692 §7.1.2.2", "leading zeros"),
    ("client_max_window_bits=9; client_max_window_bits=9", "RFC 7692 §7.1", "more than once"),
])
def test_from_offer_errors(params: str, rfc: str, words: str) -> None:
    with pytest.raises(HandshakeError) as info:
        DeflateParams.from_offer(offer(f"permessage-deflate; {params}"))
    assert info.value.rfc == rfc and words in info.value.message


def test_from_response_needs_a_client_window_value() -> None:
    with pytest.raises(HandshakeError) as info:
        DeflateParams.from_offer(offer("permessage-deflate; client_max_window_bits"),
                                 response=True)
    assert info.value.rfc == "RFC 7692 §7.1.2.2" and "client must fail" in info.value.message
    with pytest.raises(HandshakeError, match="not permessage-deflate"):
        DeflateParams.from_offer(offer("x-webkit-deflate-frame"))
    with pytest.raises(ValueError, match=r"7\.1\.2\.1"):
        DeflateParams(server_max_window_bits=16)
    with pytest.raises(ValueError):
        DeflateParams(server_max_window_bits=True)  # type: ignore[arg-type]


PARAM_NAMES = ["server_no_context_takeover", "client_no_context_takeover",
               "server_max_window_bits", "client_max_window_bits", "foo"]
param_lists = st.lists(st.tuples(st.sampled_from(PARAM_NAMES),
                                 st.sampled_from([None, "8", "9", "12", "15", "16", "08", "x"])),
                       max_size=4)


def ws_rejects(call: object) -> str | None:
    """None if accepted; the websockets exception class name otherwise."""
    try:
        call()  # type: ignore[operator]
    except NegotiationError as exc:
        return type(exc).__name__
    return None


@SETTINGS
@given(param_lists, st.booleans())
def test_from_offer_validity_matches_websockets(params: list, response: bool) -> None:
    if response:
        factory = ClientPerMessageDeflateFactory(client_max_window_bits=True)
        theirs = ws_rejects(lambda: factory.process_response_params(params, []))
    else:
        theirs = ws_rejects(lambda: ServerPerMessageDeflateFactory()
                            .process_request_params(params, []))
    try:
        DeflateParams.from_offer(ExtensionOffer("permessage-deflate", tuple(params)),
                                 response=response)
        ours = None
    except HandshakeError:
        ours = "rejected"
    # websockets' plain NegotiationError here is its own zlib limit (window 8), not invalidity.
    assert (ours is None) == (theirs in (None, "NegotiationError"))


def deflate_params(*, offer_side: bool, client_min: int = 8) -> st.SearchStrategy:
    client = [None, *range(client_min, 16)] + ([True] if offer_side else [])
    return st.builds(DeflateParams, st.booleans(), st.booleans(),
                     st.sampled_from([None, *range(8, 16)]), st.sampled_from(client))


@SETTINGS
@given(deflate_params(offer_side=True), st.booleans(), st.booleans(),
       st.sampled_from([None, *range(9, 16)]), st.sampled_from([None, *range(8, 16)]),
       st.booleans())
@example(DeflateParams(server_max_window_bits=8), False, False, None, None, False)
@example(DeflateParams(client_max_window_bits=12), True, False, 10, 9, True)
@example(DeflateParams(True, True, 12, None), False, False, 9, 10, True)
def test_negotiate_matches_websockets_server(params: DeflateParams, snct: bool, cnct: bool,
                                             smwb: int | None, cmwb: int | None,
                                             require: bool) -> None:
    assume(not (require and cmwb is None))
    config = {"server_no_context_takeover": snct, "client_no_context_takeover": cnct,
              "server_max_window_bits": smwb, "client_max_window_bits": cmwb}
    factory = ServerPerMessageDeflateFactory(**config, require_client_max_window_bits=require)
    try:
        theirs = factory.process_request_params(list(params.to_offer().params), [])[0]
    except NegotiationError:
        theirs = None
    ours = negotiate([params.to_offer()], **config, require_client_max_window_bits=require)
    assert (None if ours is None else list(ours.to_offer().params)) == theirs
    assert DeflateParams.from_offer(params.to_offer()) == params  # header round trip
    assert DeflateParams.from_offer(parse_extensions(params.to_header())[0]) == params


@SETTINGS
@given(deflate_params(offer_side=True, client_min=9), deflate_params(offer_side=False))
@example(DeflateParams(), DeflateParams(client_max_window_bits=8))
@example(DeflateParams(client_max_window_bits=True), DeflateParams(client_max_window_bits=8))
@example(DeflateParams(True, False, 10, 12), DeflateParams(False, True, 11, 13))
def test_check_response_matches_websockets_client(offered: DeflateParams,
                                                  answered: DeflateParams) -> None:
    factory = ClientPerMessageDeflateFactory(
        offered.server_no_context_takeover, offered.client_no_context_takeover,
        offered.server_max_window_bits, offered.client_max_window_bits)
    assert list(factory.get_request_params()) == list(offered.to_offer().params)
    theirs = ws_rejects(lambda: factory.process_response_params(
        list(answered.to_offer().params), []))
    problems = check_response_params(offered, answered)
    if answered.client_max_window_bits == 8 and not problems:
        assert theirs == "NegotiationError"  # websockets cannot compress with 8 bits (zlib)
    else:
        assert (problems == []) == (theirs is None)
    assert all(p.rfc.startswith("RFC 7692 §7.1.") for p in problems)


def test_check_response_unoffered_client_window() -> None:
    [problem] = check_response_params(DeflateParams(), DeflateParams(client_max_window_bits=10))
    assert problem.param == "client_max_window_bits" and problem.rfc == "RFC 7692 §7.1.2.2"
    assert "did not offer" in str(problem)
    assert problem.to_error().rfc == "RFC 7692 §7.1.2.2"
    assert check_response_params(DeflateParams(client_max_window_bits=True),
                                 DeflateParams(client_max_window_bits=10)) == []
    [valueless] = check_response_params(DeflateParams(client_max_window_bits=True),
                                        DeflateParams(client_max_window_bits=True))
    assert "without a value" in valueless.message


def test_negotiate_steps_explains_each_offer() -> None:
    value = ("x-foo, permessage-deflate; server_max_window_bits=8, permessage-deflate; bar, "
             "permessage-deflate; client_max_window_bits, permessage-deflate")
    steps = negotiate_steps(value, client_max_window_bits=10)
    assert [why.split(":")[0] for _, _, why in steps] == [
        "skipped", "declined", "declined", "accepted", "not considered"]
    assert "zlib" in steps[1][2] and "unknown parameter 'bar'" in steps[2][2]
    assert negotiate(value, client_max_window_bits=10) == DeflateParams(
        client_max_window_bits=10)
    assert negotiate("x-foo") is None
    with pytest.raises(ValueError):
        negotiate("permessage-deflate", server_max_window_bits=8)


def test_explain_params() -> None:
    rows = explain_params(DeflateParams(True, False, 10, True))
    assert [r[0] for r in rows] == PARAM_NAMES[:4]
    assert [r[1] for r in rows] == ["present", "absent", "10", "(no value)"]
    sections = ["7.1.1.1", "7.1.1.2", "7.1.2.1", "7.1.2.2"]
    for (name, _, meaning), section in zip(rows, sections, strict=True):
        assert meaning.endswith(f"(RFC 7692 §{section})"), name
    assert "2^10 = 1024 bytes" in rows[2][2]
    agreed = explain_params(DeflateParams(client_max_window_bits=9), response=True)
    assert "2^9 = 512 bytes" in agreed[3][2] and "32768" in agreed[2][2]


def test_agreed_params_build_matching_codecs() -> None:
    agreed = DeflateParams(client_no_context_takeover=True, server_max_window_bits=10)
    server_out, client_in = agreed.deflater("server"), agreed.inflater("client", max_size=99)
    assert (server_out.no_context_takeover, server_out.max_window_bits) == (False, 10)
    assert (client_in.no_context_takeover, client_in.max_window_bits, client_in.max_size) \
        == (False, 10, 99)
    client_out, server_in = agreed.deflater("client"), agreed.inflater("server")
    assert (client_out.no_context_takeover, client_out.max_window_bits) == (True, 15)
    assert (server_in.no_context_takeover, server_in.max_window_bits) == (True, 15)
    for text in ("Hello", "Hello", "Hello world"):
        data = text.encode()
        assert client_in.decompress(server_out.compress(data), fin=True) == data
        assert server_in.decompress(client_out.compress(data), fin=True) == data
