"""Frames: RFC 6455 §5.7 byte for byte, strict parsing, and agreement with websockets."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsref import ws_parse_all, ws_serialize

from wslab.codec import (
    Frame,
    FrameError,
    Incomplete,
    LengthEncoding,
    Opcode,
    Rules,
    opcode_name,
    parse_frame,
)
from wslab.codec._mask import apply_mask, mask_into, mask_steps

KEY = bytes.fromhex("37fa213d")

# RFC 6455 §5.7, quoted byte for byte.
RFC_EXAMPLES = [
    ("unmasked text Hello", Frame.text("Hello"), "81 05 48 65 6c 6c 6f"),
    ("masked text Hello", Frame.text("Hello", masking_key=KEY), "81 85 37 fa 21 3d 7f 9f 4d 51 58"),
    ("fragment Hel", Frame.text("Hel", fin=False), "01 03 48 65 6c"),
    ("fragment lo", Frame(Opcode.CONT, b"lo"), "80 02 6c 6f"),
    ("unmasked ping", Frame(Opcode.PING, b"Hello"), "89 05 48 65 6c 6c 6f"),
    ("masked pong", Frame(Opcode.PONG, b"Hello", masking_key=KEY),
     "8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
]


@pytest.mark.parametrize(("name", "frame", "wire"), RFC_EXAMPLES, ids=[e[0] for e in RFC_EXAMPLES])
def test_rfc_5_7_examples_build_and_parse(name: str, frame: Frame, wire: str) -> None:
    data = bytes.fromhex(wire)
    assert frame.serialize() == data
    parsed, end = parse_frame(data)
    assert end == len(data)
    assert parsed == frame


def test_rfc_5_7_long_binary_examples() -> None:
    payload256 = os.urandom(256)
    data = Frame.binary(payload256).serialize()
    assert data[:4] == bytes.fromhex("82 7e 01 00") and data[4:] == payload256
    payload64k = os.urandom(65536)
    data = Frame.binary(payload64k).serialize()
    assert data[:10] == bytes.fromhex("82 7f 00 00 00 00 00 01 00 00")
    assert parse_frame(data)[0].payload == payload64k


def test_masking_is_the_rfc_xor() -> None:
    steps = mask_steps(b"Hello", KEY)
    assert [s[3] for s in steps] == list(bytes.fromhex("7f 9f 4d 51 58"))
    assert steps[4] == (4, ord("o"), KEY[0], 0x58)


@given(st.binary(max_size=20000), st.binary(min_size=4, max_size=4))
def test_apply_mask_matches_definition_and_is_an_involution(data: bytes, key: bytes) -> None:
    expected = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    assert apply_mask(data, key) == expected
    assert apply_mask(expected, key) == data


@given(st.binary(min_size=1, max_size=3000), st.binary(min_size=4, max_size=4),
       st.lists(st.integers(1, 700), max_size=8))
def test_mask_into_handles_every_phase(data: bytes, key: bytes, cuts: list[int]) -> None:
    np = pytest.importorskip("numpy")
    out = np.zeros(len(data), dtype=np.uint8)
    at = 0
    for cut in [*cuts, len(data)]:
        piece = data[at : at + cut]
        mask_into(out, at, piece, key)
        at += len(piece)
        if at >= len(data):
            break
    assert out.tobytes() == apply_mask(data, key)


def test_any_bit_pattern_can_be_built() -> None:
    assert Frame(0x3, b"").serialize() == b"\x83\x00"  # reserved opcode
    assert Frame(Opcode.TEXT, b"", rsv1=True, rsv2=True, rsv3=True).serialize() == b"\xf1\x00"
    assert Frame(Opcode.PING, b"x" * 200).serialize()[:4] == b"\x89\x7e\x00\xc8"  # > 125
    assert Frame(Opcode.PING, b"", fin=False).serialize() == b"\x09\x00"  # fragmented control
    forced16 = Frame.text("Hi", length_encoding=LengthEncoding.BITS_16).serialize()
    assert forced16 == b"\x81\x7e\x00\x02Hi"
    forced64 = Frame.text("Hi", length_encoding=LengthEncoding.BITS_64).serialize()
    assert forced64 == b"\x81\x7f" + (2).to_bytes(8, "big") + b"Hi"
    lying = Frame.binary(b"", length_encoding=LengthEncoding.BITS_64).serialize(
        declared_length=1 << 63)
    assert lying == b"\x82\x7f\x80" + bytes(7)
    assert Frame.close(1005, check=False).payload == b"\x03\xed"
    with pytest.raises(ValueError, match="7-bit"):
        Frame.text("x" * 200, length_encoding=LengthEncoding.BITS_7).serialize()
    with pytest.raises(ValueError, match="4 bits"):
        Frame(16)


BROKEN = [
    # (bytes, sender, offset of the problem, rule)
    ("c1 00", None, 0, Rules.RSV_WITHOUT_EXTENSION),
    ("a1 00", None, 0, Rules.RSV_WITHOUT_EXTENSION),
    ("91 00", None, 0, Rules.RSV_WITHOUT_EXTENSION),
    ("83 00", None, 0, Rules.RESERVED_OPCODE),
    ("8b 00", None, 0, Rules.RESERVED_OPCODE),
    ("09 00", None, 0, Rules.CONTROL_FRAGMENTED),
    ("89 7e 00 05 48 65 6c 6c 6f", None, 2, Rules.NON_MINIMAL_LENGTH),
    ("82 7e 00 05 01 02 03 04 05", None, 2, Rules.NON_MINIMAL_LENGTH),
    ("82 7f 00 00 00 00 00 00 ff ff", None, 2, Rules.NON_MINIMAL_LENGTH),
    ("82 7f 80 00 00 00 00 00 00 00", None, 2, Rules.LENGTH_TOP_BIT),
    ("81 05 48 65 6c 6c 6f", "client", 1, Rules.CLIENT_UNMASKED),
    ("81 85 37 fa 21 3d 7f 9f 4d 51 58", "server", 1, Rules.SERVER_MASKED),
    ("88 01 03", None, 2, Rules.CLOSE_ONE_BYTE),
    ("88 02 03 ec", None, 2, Rules.CLOSE_CODE_INVALID),  # 1004
    ("88 02 03 ed", None, 2, Rules.CLOSE_CODE_INVALID),  # 1005
    ("88 02 03 ee", None, 2, Rules.CLOSE_CODE_INVALID),  # 1006
    ("88 02 03 f7", None, 2, Rules.CLOSE_CODE_INVALID),  # 1015
    ("88 02 03 e7", None, 2, Rules.CLOSE_CODE_INVALID),  # 999
    ("88 02 03 f8", None, 2, Rules.CLOSE_CODE_INVALID),  # 1016
    ("88 02 0b b7", None, 2, Rules.CLOSE_CODE_INVALID),  # 2999
    ("88 02 13 88", None, 2, Rules.CLOSE_CODE_INVALID),  # 5000
    ("88 04 03 e8 41 ff", None, 5, Rules.CLOSE_REASON_UTF8),
    ("81 03 41 c3 28", None, 3, Rules.TEXT_UTF8),
]


@pytest.mark.parametrize(("wire", "sender", "offset", "rule"), BROKEN,
                         ids=[f"{b[3].id}-{b[0][:11]}" for b in BROKEN])
def test_strict_parse_names_offset_and_rule(wire: str, sender: str | None, offset: int,
                                            rule: object) -> None:
    data = bytes.fromhex(wire)
    with pytest.raises(FrameError) as info:
        parse_frame(data, sender=sender)  # type: ignore[arg-type]
    assert info.value.rule is rule
    assert info.value.offset == offset
    assert rule.rfc in str(info.value) and f"byte {offset}" in str(info.value)  # type: ignore[attr-defined]


def test_control_frame_too_long_is_named() -> None:
    data = Frame(Opcode.PING, b"x" * 126).serialize()
    with pytest.raises(FrameError) as info:
        parse_frame(data)
    assert info.value.rule is Rules.CONTROL_TOO_LONG
    assert "126 bytes" in info.value.message


def test_rsv1_is_allowed_with_deflate_on_data_frames_only() -> None:
    assert parse_frame(bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00"), deflate=True)[0].rsv1
    with pytest.raises(FrameError) as info:
        parse_frame(bytes.fromhex("c0 00"), deflate=True)
    assert info.value.rule is Rules.RSV1_ON_CONTINUATION
    with pytest.raises(FrameError) as info:
        parse_frame(bytes.fromhex("c9 00"), deflate=True)
    assert info.value.rule is Rules.RSV1_ON_CONTROL


@pytest.mark.parametrize(("data", "have", "need"), [
    ("", 0, 2), ("81", 1, 1), ("81 fe 01", 3, 5), ("82 7f 00 00", 4, 6),
    ("81 85 37 fa", 4, 2), ("81 05 48 65", 4, 3), ("82 7e 01 00", 4, 256),
])
def test_truncated_input_says_how_many_more_bytes(data: str, have: int, need: int) -> None:
    with pytest.raises(Incomplete) as info:
        parse_frame(bytes.fromhex(data))
    assert (info.value.have, info.value.need) == (have, need)
    assert f"{need} more needed" in str(info.value)


def test_opcode_names() -> None:
    names = [opcode_name(i) for i in range(16)]
    assert names[:3] == ["continuation", "text", "binary"]
    assert names[8:11] == ["close", "ping", "pong"]
    assert set(names[3:8] + names[11:]) == {"reserved"}


# -- agreement with the websockets library ---------------------------------------

frames = st.one_of(
    st.builds(lambda op, data, fin: (op, data, fin),
              st.sampled_from([Opcode.CONT, Opcode.BINARY]), st.binary(max_size=70000),
              st.booleans()),
    st.builds(lambda text, fin: (Opcode.TEXT, text.encode(), fin), st.text(max_size=3000),
              st.booleans()),
    st.builds(lambda op, data: (op, data, True),
              st.sampled_from([Opcode.PING, Opcode.PONG]), st.binary(max_size=125)),
)


@given(frames, st.booleans(), st.binary(min_size=4, max_size=4))
def test_wslab_frames_parse_identically_in_websockets(spec: tuple, mask: bool, key: bytes) -> None:
    op, data, fin = spec
    frame = Frame(op, data, fin=fin, masking_key=key if mask else None)
    (theirs,) = ws_parse_all(frame.serialize(), mask=mask)
    assert (int(theirs.opcode), theirs.data, theirs.fin) == (int(op), data, fin)
    assert (theirs.rsv1, theirs.rsv2, theirs.rsv3) == (False, False, False)


@given(frames, st.booleans())
def test_websockets_frames_parse_identically_in_wslab(spec: tuple, mask: bool) -> None:
    op, data, fin = spec
    wire = ws_serialize(op, data, fin=fin, mask=mask)
    ours, end = parse_frame(wire, sender="client" if mask else "server")
    assert end == len(wire)
    assert (int(ours.opcode), ours.payload, ours.fin, ours.masked) == (int(op), data, fin, mask)
    assert ours.serialize() == wire  # same key, same minimal length encoding


@given(st.text(max_size=300), st.integers(1000, 4999).filter(
    lambda c: c in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011) or c >= 3000))
def test_close_frames_agree_with_websockets(reason: str, code: int) -> None:
    from websockets.frames import Close

    raw_reason = reason.encode()[:123].decode("utf-8", "ignore")
    frame = Frame.close(code, raw_reason)
    assert frame.payload == Close(code, raw_reason).serialize()
    assert Close.parse(frame.payload) == Close(code, raw_reason)
    assert frame.close_payload is not None and frame.close_payload.code == code
