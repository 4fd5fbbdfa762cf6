"""wslab.codec._dissect: RFC 6455 §5.7 byte for byte, every violation at its offset, truncation,
and agreement with the websockets library."""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import requires
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode as WsOpcode
from websockets.streams import StreamReader

from wslab.codec import (
    Dissection,
    Field,
    Frame,
    Incomplete,
    LengthEncoding,
    Opcode,
    Rules,
    dissect,
    dissect_frame,
    parse_frame,
)

HELLO = b"Hello"
FIELD_ORDER = ["FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK", "payload length"]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def assert_covers(fields: list[Field], data: bytes, start: int, stop: int) -> None:
    """Every bit of ``data[start:stop]`` is in exactly one field, fields are in wire order,
    and each field's ``raw`` is what the wire holds there."""
    seen: Counter[tuple[int, int]] = Counter()
    previous = (start, -1)
    for f in fields:
        first = f.bits[0] if f.bits is not None else 0
        assert (f.offset, first) > previous or f.length == 0, f"{f.name} out of order"
        previous = (f.offset, first)
        if f.bits is not None:
            assert f.length == 1
            lo, hi = f.bits
            for bit in range(lo, hi + 1):
                seen[(f.offset, bit)] += 1
            assert f.raw == (data[f.offset] >> (7 - hi)) & ((1 << (hi - lo + 1)) - 1)
        else:
            seen.update((o, b) for o in range(f.offset, f.offset + f.length) for b in range(8))
            wire = data[f.offset : f.offset + f.length]
            assert f.raw == (int.from_bytes(wire, "big") if isinstance(f.raw, int) else wire)
        assert f.meaning and "\n" not in f.meaning
    assert seen == Counter({(o, b): 1 for o in range(start, stop) for b in range(8)})


def only(data: bytes, **kwargs: object) -> Dissection:
    d = dissect(data, **kwargs)  # type: ignore[arg-type]
    assert d.incomplete is None
    for fd in d.frames:
        assert_covers(fd.fields, data, fd.offset, fd.offset + fd.length)
        json.dumps(fd.to_dict())
    return d


def rules_at(d: Dissection) -> set[tuple[int, str]]:
    return {(v.offset, v.rule.id) for v in d.violations}


# -- RFC 6455 §5.7, byte for byte -----------------------------------------------------


def test_single_frame_unmasked_text() -> None:
    d = only(h("81 05 48 65 6c 6c 6f"), sender="server")
    (fd,) = d.frames
    assert [f.name for f in fd.fields] == [*FIELD_ORDER, "payload"]
    by = {f.name: f for f in fd.fields}
    assert by["FIN"].value is True and by["RSV1"].value is False
    assert by["opcode"].value is Opcode.TEXT and by["opcode"].raw == 1
    assert by["opcode"].meaning == "0x1 text frame"
    assert by["MASK"].value is False and by["MASK"].offset == 1
    assert by["payload length"].raw == 5 and by["payload length"].bits == (1, 7)
    assert (by["payload"].offset, by["payload"].length, by["payload"].value) == (2, 5, HELLO)
    assert fd.frame == Frame(Opcode.TEXT, HELLO, length_encoding=LengthEncoding.BITS_7)
    assert (fd.header_length, fd.payload_length, fd.length, fd.text) == (2, 5, 7, "Hello")
    assert d.violations == [] and d.messages[0].text == "Hello" and fd.message is d.messages[0]


def test_single_frame_masked_text() -> None:
    data = h("81 85 37 fa 21 3d 7f 9f 4d 51 58")
    (fd,) = only(data, sender="client").frames
    by = {f.name: f for f in fd.fields}
    assert [f.name for f in fd.fields] == [*FIELD_ORDER, "masking key", "payload"]
    assert by["MASK"].value is True
    assert (by["masking key"].offset, by["masking key"].raw) == (2, h("37 fa 21 3d"))
    assert by["payload"].raw == h("7f 9f 4d 51 58") and by["payload"].value == HELLO
    assert fd.frame.masking_key == h("37fa213d") and fd.text == "Hello"
    assert fd.mask_steps(limit=2) == [(0, 0x7F, 0x37, ord("H")), (1, 0x9F, 0xFA, ord("e"))]
    assert fd.violations == []


def test_fragmented_text_is_reassembled() -> None:
    d = only(h("01 03 48 65 6c") + h("80 02 6c 6f"))
    first, last = d.frames
    assert (first.frame.fin, first.frame.opcode, first.text, first.message) == (
        False, Opcode.TEXT, "Hel", None)
    assert (last.offset, last.frame.fin, last.frame.opcode, last.text) == (
        5, True, Opcode.CONT, "lo")
    (message,) = d.messages
    assert (message.text, message.payload, message.frames) == ("Hello", HELLO, [0, 1])
    assert last.message is message and d.violations == []


@pytest.mark.parametrize(("data", "opcode", "sender"), [
    (h("89 05 48 65 6c 6c 6f"), Opcode.PING, "server"),
    (h("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), Opcode.PONG, "client"),
])
def test_ping_and_masked_pong(data: bytes, opcode: Opcode, sender: str) -> None:
    d = only(data, sender=sender)
    (fd,) = d.frames
    assert (fd.frame.opcode, fd.frame.payload, fd.text) == (opcode, HELLO, None)
    assert d.violations == [] and d.messages == []


@pytest.mark.parametrize(("header", "size", "ext_len"), [
    (h("82 7e 01 00"), 256, 2),
    (h("82 7f 00 00 00 00 00 01 00 00"), 65536, 8),
])
def test_extended_lengths(header: bytes, size: int, ext_len: int) -> None:
    payload = os.urandom(size)
    d = only(header + payload, sender="server")
    (fd,) = d.frames
    by = {f.name: f for f in fd.fields}
    assert by["payload length"].raw == (126 if ext_len == 2 else 127)
    ext = by["extended payload length"]
    assert (ext.offset, ext.length, ext.raw, ext.value) == (2, ext_len, size, size)
    assert by["payload"].offset == 2 + ext_len and by["payload"].value == payload
    assert fd.payload_length == size and fd.frame.payload == payload and d.violations == []
    assert d.messages[0].payload == payload and d.messages[0].opcode == Opcode.BINARY


# -- every rule, at its offset --------------------------------------------------------

R = Rules
CLOSE_1000 = h("88 02 03 e8")
VIOLATIONS = [
    # (bytes, dissect kwargs, offset, rule)
    (h("c1 05") + HELLO, {}, 0, R.RSV_WITHOUT_EXTENSION),
    (h("a1 05") + HELLO, {}, 0, R.RSV_WITHOUT_EXTENSION),
    (h("91 05") + HELLO, {}, 0, R.RSV_WITHOUT_EXTENSION),
    *[(bytes([0x80 | op, 0]), {}, 0, R.RESERVED_OPCODE) for op in (*range(3, 8), *range(11, 16))],
    (h("89 7e 00 7e") + bytes(126), {}, 1, R.CONTROL_TOO_LONG),
    (h("09 00"), {}, 0, R.CONTROL_FRAGMENTED),
    (h("82 7e 00 05") + HELLO, {}, 2, R.NON_MINIMAL_LENGTH),
    (h("82 7f 00 00 00 00 00 00 00 05") + HELLO, {}, 2, R.NON_MINIMAL_LENGTH),
    (h("82 7f 00 00 00 00 00 00 01 00") + bytes(256), {}, 2, R.NON_MINIMAL_LENGTH),
    (h("81 05") + HELLO, {"sender": "client"}, 1, R.CLIENT_UNMASKED),
    (h("81 85 37 fa 21 3d 7f 9f 4d 51 58"), {"sender": "server"}, 1, R.SERVER_MASKED),
    (h("88 01 03"), {}, 2, R.CLOSE_ONE_BYTE),
    *[(h("88 02") + code.to_bytes(2, "big"), {}, 2, R.CLOSE_CODE_INVALID)
      for code in (1004, 1005, 1006, 1015, 999, 1016, 2999, 5000)],
    (h("81 03 48 ff 6c"), {}, 3, R.TEXT_UTF8),
    (h("81 01 c3"), {}, 2, R.TEXT_UTF8),  # ends inside a code point
    (h("88 05 03 e8 41 ff 42"), {}, 5, R.CLOSE_REASON_UTF8),
    (h("88 8a 01 02 03 04") + bytes(b ^ (1, 2, 3, 4)[i % 4] for i, b in
                                    enumerate(h("03 e8") + "é".encode()[:1] + b"bcdefgh")),
     {}, 8, R.CLOSE_REASON_UTF8),
    (h("80 02 6c 6f"), {}, 0, R.CONTINUATION_WITHOUT_START),
    (h("01 03 48 65 6c 81 02 6c 6f"), {}, 5, R.DATA_DURING_FRAGMENTED),
    (h("01 03 48 65 6c 82 02 6c 6f"), {}, 5, R.DATA_DURING_FRAGMENTED),
    (CLOSE_1000 + h("81 00"), {}, 4, R.FRAME_AFTER_CLOSE),
    (h("81 05") + HELLO, {"max_size": 4}, 2, R.MESSAGE_TOO_BIG),
    (h("01 03 48 65 6c 80 02 6c 6f"), {"max_size": 4}, 7, R.MESSAGE_TOO_BIG),
    (h("41 03 f2 48 cd c0 04 c9 c9 07 00"), {"deflate": True}, 5, R.RSV1_ON_CONTINUATION),
    (h("c9 00"), {"deflate": True}, 0, R.RSV1_ON_CONTROL),
    (h("c1 03 ff ff ff"), {"deflate": True}, 2, R.DEFLATE_ERROR),
]


@pytest.mark.parametrize(("data", "kwargs", "offset", "rule"), VIOLATIONS,
                         ids=[f"{v[3].id}-{i}" for i, v in enumerate(VIOLATIONS)])
def test_violation_at_offset(data: bytes, kwargs: dict, offset: int, rule: object) -> None:
    d = only(data, **kwargs)
    assert (offset, rule.id) in rules_at(d)  # type: ignore[attr-defined]
    owner = [fd for fd in d.frames if fd.offset <= offset < fd.offset + max(fd.length, 1)]
    assert any(v.rule is rule for v in owner[-1].violations)
    assert all(v.rfc == v.rule.rfc and v.message for v in d.violations)


def test_violations_agree_with_the_strict_parser() -> None:
    """For single frames the first violation is what parse_frame raises (same rule, offset)."""
    message_level = {R.CONTINUATION_WITHOUT_START, R.DATA_DURING_FRAGMENTED,
                     R.FRAME_AFTER_CLOSE, R.MESSAGE_TOO_BIG}
    for data, kwargs, _, rule in VIOLATIONS:
        if set(kwargs) - {"sender"} or len(dissect(data).frames) != 1 or rule in message_level:
            continue
        d = dissect(data, **kwargs)
        with pytest.raises(Exception) as info:
            parse_frame(data, **kwargs)
        first = d.violations[0]
        assert (info.value.offset, info.value.rule) == (first.offset, first.rule)


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999])
def test_sendable_close_codes_pass(code: int) -> None:
    d = only(h("88 05") + code.to_bytes(2, "big") + b"bye")
    (fd,) = d.frames
    assert (fd.close_code, fd.close_reason, d.violations) == (code, "bye", [])


def test_close_reason_is_decoded_leniently() -> None:
    (fd,) = only(h("88 04 03 e8 41 ff")).frames
    assert (fd.close_code, fd.close_reason) == (1000, "A\ufffd")
    (fd,) = only(h("88 00")).frames
    assert (fd.close_code, fd.close_reason, fd.violations) == (None, None, [])


@pytest.mark.parametrize("char", ["é", "€", "😀"])
def test_code_point_split_across_fragments_is_valid(char: str) -> None:
    raw = ("a" + char + "b").encode()
    cuts = list(range(1, len(raw)))  # one byte per fragment: every split
    parts = [raw[i:j] for i, j in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    data = b"".join(bytes([(0x80 if i == len(parts) - 1 else 0) | (1 if i == 0 else 0),
                           len(p)]) + p for i, p in enumerate(parts))
    d = only(data)
    assert d.violations == [] and d.messages[0].text == "a" + char + "b"


@pytest.mark.parametrize("fragments", [
    [h("41 c3"), h("41")],          # lead byte, then not a continuation byte
    [h("41 e2 82"), h("41")],       # 3-byte sequence cut short
    [h("41"), h("e2 82")],          # ends inside a code point at the final fragment
    [h("41"), h("ed a0 80")],       # a surrogate
    [h("f0 9f"), h("98"), h("ff")],
])
def test_invalid_utf8_across_fragments_at_absolute_offset(fragments: list[bytes]) -> None:
    data, starts = b"", []
    for i, part in enumerate(fragments):
        b0 = (0x80 if i == len(fragments) - 1 else 0) | (1 if i == 0 else 0)
        starts.append(len(data) + 2)
        data += bytes([b0, len(part)]) + part
    whole = b"".join(fragments)
    with pytest.raises(UnicodeDecodeError) as info:
        whole.decode("utf-8")
    index, bad = info.value.start, None
    for start, part in zip(starts, fragments, strict=True):
        if index < len(part):
            bad = start + index
            break
        index -= len(part)
    d = dissect(data)
    assert [(v.offset, v.rule) for v in d.violations] == [(bad, Rules.TEXT_UTF8)]
    assert [m.text for m in d.messages] == [None]  # kept as bytes, not as text


def test_after_a_data_frame_interrupts_the_new_message_goes_on() -> None:
    d = only(h("01 03 48 65 6c 81 02 6c 6f"))
    assert [m.text for m in d.messages] == ["lo"]


def test_control_frame_between_fragments_is_fine() -> None:
    d = only(h("01 03 48 65 6c") + h("89 00") + h("80 02 6c 6f"))
    assert d.violations == [] and d.messages[0].text == "Hello"


# -- permessage-deflate (RFC 7692 §7.2.3) ---------------------------------------------


def test_deflate_examples() -> None:
    d = only(h("c1 07 f2 48 cd c9 c9 07 00") + h("c1 05 f2 00 11 00 00"), deflate=True)
    assert [fd.text for fd in d.frames] == ["Hello", "Hello"]  # context takeover
    assert [m.compressed for m in d.messages] == [True, True] and d.violations == []
    d = only(h("41 03 f2 48 cd 80 04 c9 c9 07 00"), deflate=True)
    assert [fd.text for fd in d.frames] == [None, "Hello"] and d.violations == []
    d = only(h("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00"), deflate=True)
    assert d.frames[0].text == "Hello"


def test_without_deflate_rsv1_is_a_violation_and_nothing_is_inflated() -> None:
    d = only(h("c1 07 f2 48 cd c9 c9 07 00"))
    assert rules_at(d) >= {(0, R.RSV_WITHOUT_EXTENSION.id)}
    (message,) = d.messages
    assert (message.payload, message.compressed, message.text) == (
        h("f2 48 cd c9 c9 07 00"), False, None)


# -- truncation --------------------------------------------------------------------------

TRUNCATED = [
    (h("81"), 0, 1, 1),                                  # second header byte missing
    (h("81 7e 01"), 0, 3, 1),                            # 16-bit length cut
    (h("82 7f 00 00"), 0, 4, 6),                         # 64-bit length cut
    (h("81 85 37 fa"), 0, 4, 2),                         # masking key cut
    (h("81 05 48 65"), 0, 4, 3),                         # payload cut
    (h("81 85 37 fa 21 3d 7f"), 0, 7, 4),                # masked payload cut
    (h("82 7e 01 00") + bytes(10), 0, 14, 246),
    (h("81 05 48 65 6c 6c 6f 81"), 7, 1, 1),             # a whole frame, then a cut one
]


@pytest.mark.parametrize(("data", "offset", "have", "need"), TRUNCATED)
def test_truncated_input(data: bytes, offset: int, have: int, need: int) -> None:
    d = dissect(data)
    inc = d.incomplete
    assert isinstance(inc, Incomplete) and inc.rule is Rules.TRUNCATED
    assert (inc.offset, inc.have, inc.need) == (offset, have, need)
    assert sum(fd.length for fd in d.frames) == offset
    assert_covers(d.partial_fields, data, offset, len(data))
    with pytest.raises(Incomplete) as strict:  # the strict parser agrees on `need`
        parse_frame(data, offset)
    assert (strict.value.have, strict.value.need) == (have, need)
    assert d.to_dict()["incomplete"]["need"] == need


def test_nothing_is_not_incomplete() -> None:
    d = dissect(b"")
    assert (d.frames, d.incomplete, d.violations) == ([], None, [])


def test_header_violations_of_a_frame_that_cannot_be_complete() -> None:
    d = dissect(h("82 7f 80 00 00 00 00 00 00 00"))
    assert d.incomplete is not None and d.incomplete.need == 1 << 63
    assert rules_at(d) == {(2, R.LENGTH_TOP_BIT.id)}
    d = dissect(h("82 7f 00 00 00 00 00 10 00 00"), max_size=1000)
    assert (1, R.MESSAGE_TOO_BIG.id) in rules_at(d)


# -- API -------------------------------------------------------------------------------


def test_dissect_frame_and_to_dict() -> None:
    d = dissect_frame(Frame.text("Hello", masking_key=h("37fa213d")), sender="client")
    assert d.data == h("81 85 37 fa 21 3d 7f 9f 4d 51 58")
    out = json.loads(json.dumps(d.to_dict()))
    (frame,) = out["frames"]
    assert (frame["masking_key"], frame["payload"], frame["text"]) == (
        "37fa213d", HELLO.hex(), "Hello")
    assert frame["fields"][0] == {"name": "FIN", "offset": 0, "length": 1, "bits": [0, 0],
                                  "raw": 1, "value": True,
                                  "meaning": d.frames[0].fields[0].meaning}
    assert out["incomplete"] is None and out["messages"][0]["text"] == "Hello"


def test_str_and_html_delegate_to_render() -> None:
    d = dissect(h("81 05 48 65 6c 6c 6f"))
    assert "Hello" in str(d) and "Hello" in d._repr_html_()


def test_bytearray_and_memoryview_inputs() -> None:
    data = h("81 05 48 65 6c 6c 6f")
    assert dissect(bytearray(data)).frames[0].text == dissect(memoryview(data)).frames[0].text


# -- agreement with the websockets library ---------------------------------------------

WS_OPCODES = [WsOpcode.CONT, WsOpcode.TEXT, WsOpcode.BINARY, WsOpcode.CLOSE, WsOpcode.PING,
              WsOpcode.PONG]


def ws_parse(data: bytes, *, mask: bool) -> WsFrame:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = WsFrame.parse(reader.read_exact, mask=mask, max_size=None, extensions=None)
    try:
        while True:
            next(parser)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("unreachable")


@st.composite
def ws_frames(draw: st.DrawFn) -> WsFrame:
    opcode = draw(st.sampled_from(WS_OPCODES))
    control = opcode in (WsOpcode.CLOSE, WsOpcode.PING, WsOpcode.PONG)
    data = draw(st.binary(max_size=125 if control else 70_000 if draw(st.booleans()) else 300))
    return WsFrame(opcode, data, fin=True if control else draw(st.booleans()))


@settings(max_examples=150, deadline=None)
@given(ws_frames(), st.booleans())
def test_websockets_serialized_frames_dissect_identically(ws: WsFrame, mask: bool) -> None:
    data = ws.serialize(mask=mask, extensions=[])
    d = dissect(data)
    assert d.incomplete is None and len(d.frames) == 1
    fd = d.frames[0]
    assert_covers(fd.fields, data, 0, len(data))
    f = fd.frame
    assert (f.fin, int(f.opcode), f.rsv1, f.rsv2, f.rsv3, f.payload, f.masked) == (
        ws.fin, int(ws.opcode), ws.rsv1, ws.rsv2, ws.rsv3, bytes(ws.data), mask)


@st.composite
def wslab_frames(draw: st.DrawFn) -> Frame:
    ws = draw(ws_frames())
    key = draw(st.none() | st.binary(min_size=4, max_size=4))
    fits = [e for e in LengthEncoding if e is not LengthEncoding.BITS_7 or len(ws.data) <= 125]
    fits = [e for e in fits if e is not LengthEncoding.BITS_16 or len(ws.data) <= 0xFFFF]
    encoding = draw(st.none() | st.sampled_from(fits))
    return Frame(int(ws.opcode), bytes(ws.data), fin=ws.fin, masking_key=key,
                 length_encoding=encoding)


@settings(max_examples=150, deadline=None)
@given(wslab_frames())
def test_wslab_frames_parse_identically_in_websockets(frame: Frame) -> None:
    data = frame.serialize()
    ws = ws_parse(data, mask=frame.masked)
    assert (ws.fin, int(ws.opcode), ws.rsv1, ws.rsv2, ws.rsv3, bytes(ws.data)) == (
        frame.fin, int(frame.opcode), frame.rsv1, frame.rsv2, frame.rsv3, frame.payload)
    fd = dissect(data).frames[0]
    assert (fd.frame.payload, fd.frame.fin, int(fd.frame.opcode)) == (
        bytes(ws.data), ws.fin, int(ws.opcode))
    assert fd.frame.masking_key == frame.masking_key


def test_rfc_examples_agree_with_websockets() -> None:
    for data, mask in [(h("81 05 48 65 6c 6c 6f"), False),
                       (h("81 85 37 fa 21 3d 7f 9f 4d 51 58"), True),
                       (h("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), True),
                       (h("82 7e 01 00") + bytes(range(256)), False)]:
        ws = ws_parse(data, mask=mask)
        fd = only(data).frames[0]
        assert (int(fd.frame.opcode), fd.frame.payload, fd.frame.fin) == (
            int(ws.opcode), bytes(ws.data), ws.fin)


# -- agreement with Wireshark's dissector (tshark) --------------------------------------

TSHARK_FIELDS = ["websocket.fin", "websocket.rsv", "websocket.opcode", "websocket.mask",
                 "websocket.payload_length", "websocket.payload_length_ext_16",
                 "websocket.payload_length_ext_64", "websocket.masking_key",
                 "websocket.payload.text", "websocket.payload.close.status_code",
                 "websocket.payload.close.reason"]


def tshark_frames(packets: list[bytes], tmp: Path) -> list[dict[str, list[str]]]:
    """Each packet (one whole frame) as Wireshark dissects it: {field: [values]}."""
    dump = tmp / "dump.txt"
    dump.write_text("".join("O\n" + "".join(f"{i:06x} {p[i:i + 16].hex(' ')}\n"
                                            for i in range(0, len(p), 16)) for p in packets))
    pcap = tmp / "frames.pcap"
    subprocess.run(["text2pcap", "-q", "-D", "-4", "127.0.0.1,127.0.0.1", "-T", "50000,8765",
                    str(dump), str(pcap)], check=True, capture_output=True, timeout=60)
    out = subprocess.run(["tshark", "-r", str(pcap), "-d", "tcp.port==8765,websocket",
                          "-T", "json", *(a for f in TSHARK_FIELDS for a in ("-e", f))],
                         check=True, capture_output=True, timeout=120)
    return [p["_source"]["layers"] for p in json.loads(out.stdout)]


def test_fields_agree_with_wireshark(tmp_path: Path) -> None:
    requires("tshark", "compare the dissector with Wireshark's")
    requires("text2pcap", "turn bytes into a capture for tshark")
    rng = random.Random(6455)
    frames = [Frame.text("Hello"), Frame.text("Hello", masking_key=h("37fa213d")),
              Frame(Opcode.PING, HELLO), Frame(Opcode.PONG, HELLO, masking_key=h("37fa213d")),
              Frame.binary(bytes(256)), Frame.close(1000, "bye"), Frame.close(None),
              Frame.text("é€😀", length_encoding=LengthEncoding.BITS_64)]
    for _ in range(40):
        opcode = rng.choice([1, 2, 8, 9, 10, 3, 11])
        payload = (rng.choice([b"", b"Hi", "dÉjà".encode(), b"x" * 300]) if opcode != 8
                   else rng.choice([1000, 1001, 3000, 4999]).to_bytes(2, "big") + b"why")
        payload = payload[:125] if opcode >= 8 else payload
        frames.append(Frame(opcode, payload, rsv1=rng.random() < 0.2, rsv3=rng.random() < 0.2,
                            masking_key=rng.choice([None, rng.randbytes(4)]),
                            length_encoding=rng.choice([None, LengthEncoding.BITS_16,
                                                        LengthEncoding.BITS_64])))
    packets = [f.serialize() for f in frames]
    for packet, shark in zip(packets, tshark_frames(packets, tmp_path), strict=True):
        (fd,) = dissect(packet).frames
        by = {f.name: f for f in fd.fields}
        mine = {
            "websocket.fin": [str(int(fd.frame.fin))],
            "websocket.rsv": [f"0x{fd.frame.rsv1 * 4 + fd.frame.rsv2 * 2 + fd.frame.rsv3:02x}"],
            "websocket.opcode": [str(int(fd.frame.opcode))],
            "websocket.mask": [str(int(fd.frame.masked))],
            "websocket.payload_length": [str(by["payload length"].raw)],
        }
        if "extended payload length" in by:
            bits = 16 if by["extended payload length"].length == 2 else 64
            mine[f"websocket.payload_length_ext_{bits}"] = [str(fd.payload_length)]
        if fd.frame.masking_key is not None:
            mine["websocket.masking_key"] = [fd.frame.masking_key.hex()]
            shark["websocket.masking_key"] = [k.replace(":", "") for k in
                                              shark.get("websocket.masking_key", [])]
        if fd.text:
            mine["websocket.payload.text"] = [fd.text]
        if fd.close_code is not None:
            mine["websocket.payload.close.status_code"] = [str(fd.close_code)]
            if fd.close_reason:
                mine["websocket.payload.close.reason"] = [fd.close_reason]
        assert mine == shark, packet.hex(" ")
