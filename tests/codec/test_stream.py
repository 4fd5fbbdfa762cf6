"""The streaming decoder: any chunking, messages, limits, errors at absolute offsets."""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsref import ws_parse_all

from wslab.codec import (
    Assembler,
    Decoder,
    Frame,
    FrameError,
    Incomplete,
    Opcode,
    Rules,
    close_code_for,
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """Cut ``data`` at the given sizes (cycling), so every chunking can be tried."""
    out, at, i = [], 0, 0
    while at < len(data):
        size = cuts[i % len(cuts)] if cuts else len(data)
        out.append(data[at : at + size])
        at += size
        i += 1
    return out


def first_error(data: bytes, **kwargs: object) -> FrameError:
    """The error a decoder reports for ``data`` (raised now, or kept for the next call)."""
    decoder = Decoder(**kwargs)  # type: ignore[arg-type]
    try:
        decoder.feed(data)
    except FrameError as exc:
        return exc
    assert decoder.error is not None, "no error reported"
    with pytest.raises(FrameError) as info:
        decoder.feed(b"")
    assert info.value is decoder.error
    return decoder.error


def feed_all(decoder: Decoder, chunks: list[bytes]) -> list[Frame]:
    frames: list[Frame] = []
    for chunk in chunks:
        frames += decoder.feed(chunk)
    return frames


# A message: its opcode, its fragments, and control frames to slip in between them.
messages = st.tuples(
    st.sampled_from([Opcode.TEXT, Opcode.BINARY]),
    st.text(max_size=200),
    st.lists(st.integers(0, 60), max_size=4),
    st.lists(st.binary(max_size=20), max_size=2),
)


def build_stream(specs: list[tuple], mask: bool) -> tuple[bytes, list[Frame], list[object]]:
    """Frames for ``specs`` (text split anywhere, even inside a UTF-8 sequence)."""
    frames, expected = [], []
    for opcode, text, cuts, pings in specs:
        data = text.encode()
        bounds = [0, *sorted(cuts), len(data)]
        pieces = [data[a:b] for a, b in itertools.pairwise(bounds)]
        pieces = [p for p in pieces if p] or [b""]
        for i, piece in enumerate(pieces):
            op = opcode if i == 0 else Opcode.CONT
            frames.append(Frame(op, piece, fin=i == len(pieces) - 1))
            if i < len(pieces) - 1 and pings:
                frames.append(Frame(Opcode.PING, pings[i % len(pings)]))
        expected.append(text if opcode == Opcode.TEXT else data)
    if mask:
        frames = [f.masked_with(os.urandom(4)) for f in frames]
    return b"".join(f.serialize() for f in frames), frames, expected


@settings(max_examples=150)
@given(st.lists(messages, max_size=6), st.lists(st.integers(1, 300), max_size=5), st.booleans())
def test_any_chunking_gives_the_same_frames_and_messages(specs, cuts, mask) -> None:
    data, frames, expected = build_stream(specs, mask)
    decoder = Decoder(sender="client" if mask else "server")
    assert feed_all(decoder, chunked(data, cuts)) == frames
    decoder.eof()
    assert [m.data for m in decoder.pop_messages()] == expected
    # websockets' own parser sees the same frames in the same bytes.
    theirs = ws_parse_all(data, mask=mask)
    assert [(int(f.opcode), f.data, f.fin) for f in theirs] == [
        (int(f.opcode), f.payload, f.fin) for f in frames]


@settings(max_examples=60, deadline=None)
@given(st.integers(4096, 300_000), st.lists(st.integers(1, 100_000), max_size=4), st.booleans())
def test_large_frames_in_any_chunking(size: int, cuts: list[int], mask: bool) -> None:
    payload = os.urandom(size)
    frame = Frame.binary(payload, masking_key=os.urandom(4) if mask else None)
    tail = Frame.text("after")
    data = frame.serialize() + tail.serialize()
    decoder = Decoder(max_size=None)
    head = chunked(data[:20], [1])  # byte by byte through the header, then bigger chunks
    assert feed_all(decoder, head + chunked(data[20:], cuts)) == [frame, tail]
    assert [m.data for m in decoder.pop_messages()] == [payload, "after"]


def test_rfc_fragmented_example_with_interleaved_ping() -> None:
    data = bytes.fromhex("01 03 48 65 6c  89 05 48 65 6c 6c 6f  80 02 6c 6f")
    decoder = Decoder()
    frames = decoder.feed(data)
    assert [f.opcode for f in frames] == [Opcode.TEXT, Opcode.PING, Opcode.CONT]
    (message,) = decoder.pop_messages()
    assert (message.text, message.frames) == ("Hello", [0, 2])


def test_code_point_split_across_fragments_is_valid() -> None:
    euro = "€".encode()  # e2 82 ac
    data = (Frame(Opcode.TEXT, euro[:1], fin=False).serialize()
            + Frame(Opcode.CONT, euro[1:2], fin=False).serialize()
            + Frame(Opcode.CONT, euro[2:]).serialize())
    decoder = Decoder()
    decoder.feed(data)
    assert decoder.pop_messages()[0].text == "€"


@pytest.mark.parametrize(("frames", "offset"), [
    # bad continuation byte in the second fragment: reported where the sequence starts
    ([Frame(Opcode.TEXT, b"ab\xe2", fin=False), Frame(Opcode.CONT, b"\x28")], 4),
    # an invalid byte in the second fragment, at its own offset
    ([Frame(Opcode.TEXT, b"ok", fin=False), Frame(Opcode.CONT, b"a\xff")], 7),
    # a sequence cut short by the end of the message
    ([Frame(Opcode.TEXT, b"ab", fin=False), Frame(Opcode.CONT, b"\xe2\x82")], 6),
])
def test_invalid_utf8_across_fragments_names_the_byte(frames: list[Frame], offset: int) -> None:
    error = first_error(b"".join(f.serialize() for f in frames))
    assert error.rule is Rules.TEXT_UTF8
    assert error.offset == offset
    assert close_code_for(error) == 1007


def test_fragmentation_rules() -> None:
    error = first_error(Frame(Opcode.CONT, b"x").serialize())
    assert error.rule is Rules.CONTINUATION_WITHOUT_START
    error = first_error(Frame.text("a", fin=False).serialize() + Frame.text("b").serialize())
    assert (error.rule, error.offset) == (Rules.DATA_DURING_FRAGMENTED, 3)
    assert close_code_for(error) == 1002


def test_frames_before_an_error_are_returned_then_the_error_sticks() -> None:
    good = Frame.text("fine")
    decoder = Decoder()
    frames = decoder.feed(good.serialize() + b"\x83\x00")  # reserved opcode
    assert frames == [good]
    assert decoder.error is not None and decoder.error.offset == 6
    with pytest.raises(FrameError):
        decoder.feed(Frame.text("more").serialize())


def test_max_size_per_frame_and_per_message() -> None:
    with pytest.raises(FrameError) as info:
        Decoder(max_size=10).feed(Frame.binary(bytes(11)).serialize())
    assert info.value.rule is Rules.MESSAGE_TOO_BIG and close_code_for(info.value) == 1009
    data = b"".join(Frame(Opcode.BINARY if i == 0 else Opcode.CONT, bytes(6), fin=i == 1)
                    .serialize() for i in range(2))
    error = first_error(data, max_size=10)
    assert (error.rule, error.offset) == (Rules.MESSAGE_TOO_BIG, 10)


def test_a_2gb_length_header_is_refused_before_any_allocation() -> None:
    header = Frame.binary(b"", masking_key=b"abcd").header(declared_length=2**31)
    with pytest.raises(FrameError) as info:
        Decoder(sender="client").feed(header)
    assert info.value.rule is Rules.MESSAGE_TOO_BIG and "2147483648" in info.value.message


def test_eof_in_the_middle_of_a_frame_says_what_is_missing() -> None:
    decoder = Decoder()
    decoder.feed(Frame.text("Hello").serialize() + b"\x81\x05He")
    with pytest.raises(Incomplete) as info:
        decoder.eof()
    assert (info.value.offset, info.value.have, info.value.need) == (7, 4, 3)
    big = Decoder(max_size=None)  # 100,000 bytes: a 10-byte header
    big.feed(Frame.binary(bytes(100_000)).serialize()[:50_000])
    with pytest.raises(Incomplete) as info:
        big.eof()
    assert (info.value.offset, info.value.have, info.value.need) == (0, 50_000, 50_010)


def test_permessage_deflate_rfc_7692_examples() -> None:
    decoder = Decoder(deflate=True)
    decoder.feed(bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00"))  # §7.2.3.1
    decoder.feed(bytes.fromhex("c1 05 f2 00 11 00 00"))  # §7.2.3.2, sharing the window
    decoder.feed(bytes.fromhex("41 03 f2 48 cd 80 04 c9 c9 07 00"))  # fragmented
    assert [(m.text, m.compressed) for m in decoder.pop_messages()] == [("Hello", True)] * 3


def test_nothing_but_a_close_frame_after_close() -> None:
    data = Frame.close(1000).serialize() + Frame.text("late").serialize()
    error = first_error(data)
    assert (error.rule, error.offset) == (Rules.FRAME_AFTER_CLOSE, 4)


def test_assembler_reports_instead_of_raising() -> None:
    asm = Assembler()
    message, found = asm.add(Frame(Opcode.CONT, b"x"))
    assert message is None and [v.rule for v in found] == [Rules.CONTINUATION_WITHOUT_START]
    message, found = asm.add(Frame.text("hi"), offset=3)
    assert found == [] and message is not None and message.text == "hi"


@settings(max_examples=300)
@given(st.binary(max_size=400), st.lists(st.integers(1, 50), max_size=4),
       st.sampled_from([None, "client", "server"]), st.booleans())
def test_arbitrary_bytes_give_frames_or_a_frame_error(data, cuts, sender, deflate) -> None:
    decoder = Decoder(sender=sender, deflate=deflate, max_size=1000)
    try:
        for chunk in chunked(data, cuts):
            for frame in decoder.feed(chunk):
                assert isinstance(frame, Frame)
        decoder.eof()
    except FrameError as exc:
        assert exc.rule.rfc.startswith("RFC")
        assert exc.offset is None or 0 <= exc.offset < len(data) + 1


@pytest.mark.parametrize("size", [50, 5000, 100_000])
@pytest.mark.parametrize("mask", [None, b"abcd"])
def test_bad_utf8_fails_before_the_frame_is_complete(size: int, mask: bytes | None) -> None:
    payload = b"a" * size + b"\xff" + b"b" * size
    head = Frame.text("x").serialize()
    data = head + Frame(Opcode.TEXT, payload, masking_key=mask).serialize()
    decoder = Decoder(max_size=None)
    frames = decoder.feed(data[: len(data) - size // 2])  # the bad byte is in, the end is not
    assert frames == [Frame.text("x")]
    assert decoder.error is not None and decoder.error.rule is Rules.TEXT_UTF8
    header = len(Frame(Opcode.TEXT, payload, masking_key=mask).header())
    assert decoder.error.offset == len(head) + header + size


def test_valid_text_arriving_in_pieces_is_not_refused_early() -> None:
    euro = "€".encode()
    first = Frame(Opcode.TEXT, b"ab" + euro[:1], fin=False).serialize()
    second = Frame(Opcode.CONT, euro[1:] + "é".encode() * 40).serialize()
    decoder = Decoder()
    decoder.feed(first)
    for i in range(len(second)):  # byte by byte, splitting "é" everywhere
        decoder.feed(second[i : i + 1])
    assert decoder.error is None
    assert decoder.pop_messages()[0].text == "ab€" + "é" * 40


@pytest.mark.parametrize("header", [
    "82 7f 7f ff ff ff ff ff ff ff",  # 2**63 - 1 bytes declared, no limit set
    "82 ff 40 00 00 00 00 00 00 00 61 62 63 64",  # masked, 2**62 bytes declared
])
def test_no_limit_never_allocates_what_a_header_claims(header: str) -> None:
    # Found by tools/fuzz.py: the in-place path allocated the declared length up front.
    decoder = Decoder(max_size=None)
    assert decoder.feed(bytes.fromhex(header) + b"some payload") == []
    assert decoder.buffered == len(bytes.fromhex(header)) + 12


def test_control_frames_are_bounded_by_125_not_by_max_size() -> None:
    pong = Frame(Opcode.PONG, b"x" * 125)
    decoder = Decoder(max_size=14)
    assert decoder.feed(pong.serialize()) == [pong] and decoder.error is None


def test_errors_survive_pickling() -> None:
    import pickle

    from wslab.codec import HandshakeError

    for error in (first_error(b"\x83\x00"), Incomplete(offset=1, have=2, need=3),
                  HandshakeError("bad key", rfc="RFC 6455 §4.2.1", status=400)):
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), str(copy), copy.__dict__) == (type(error), str(error), error.__dict__)
