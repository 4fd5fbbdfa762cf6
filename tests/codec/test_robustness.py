"""wslab.codec._dissect never raises: arbitrary bytes and mutations of valid frames."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dissect import assert_covers

from wslab.codec import Deflater, Dissection, Frame, LengthEncoding, dissect

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
senders = st.sampled_from([None, "client", "server"])
max_sizes = st.none() | st.integers(0, 300)


def check(data: bytes, d: Dissection) -> None:
    """What must hold for any input: frames tile the bytes, fields cover each frame."""
    assert isinstance(d, Dissection) and d.data == data
    json.dumps(d.to_dict(), allow_nan=False)
    pos = 0
    for i, fd in enumerate(d.frames):
        assert (fd.index, fd.offset, fd.raw) == (i, pos, data[pos : pos + fd.length])
        assert fd.length == fd.header_length + fd.payload_length
        assert_covers(fd.fields, data, pos, pos + fd.length)
        assert fd.frame.serialize() == fd.raw  # the decoded frame is exactly these bytes
        assert fd.violations == sorted(fd.violations, key=lambda v: v.offset)
        pos += fd.length
    for v in d.violations:
        assert 0 <= v.offset <= len(data) and v.message
    for m in d.messages:
        assert all(0 <= i < len(d.frames) for i in m.frames)
    if d.incomplete is None:
        assert pos == len(data) and d.partial_fields == [] and d.partial_violations == []
    else:
        inc = d.incomplete
        assert (inc.offset, inc.have) == (pos, len(data) - pos) and inc.need > 0
        assert_covers(d.partial_fields, data, pos, len(data))


@SETTINGS
@given(st.binary(max_size=400), senders, st.booleans(), max_sizes)
def test_arbitrary_bytes(data: bytes, sender: str | None, deflate: bool,
                         max_size: int | None) -> None:
    check(data, dissect(data, sender=sender, deflate=deflate, max_size=max_size))


frames = st.builds(
    Frame,
    opcode=st.integers(0, 15),
    payload=st.binary(max_size=140),
    fin=st.booleans(),
    rsv1=st.booleans(),
    rsv2=st.booleans(),
    rsv3=st.booleans(),
    masking_key=st.none() | st.binary(min_size=4, max_size=4),
    length_encoding=st.none() | st.sampled_from([LengthEncoding.BITS_16, LengthEncoding.BITS_64]),
)


@st.composite
def compressed(draw: st.DrawFn) -> bytes:
    """One or more permessage-deflate messages, fragmented, sharing the LZ77 window."""
    deflater = Deflater()
    out = b""
    for _ in range(draw(st.integers(1, 3))):
        body = draw(st.text(max_size=60) | st.binary(max_size=60))
        payload = deflater.compress(body.encode() if isinstance(body, str) else body)
        cuts = sorted(draw(st.lists(st.integers(0, len(payload)), max_size=3)))
        sizes = [b - a for a, b in zip([0, *cuts], cuts, strict=False)]
        parts = Frame(1 if isinstance(body, str) else 2, payload, rsv1=True).serialize()
        if sizes:  # fragmented: split the compressed payload (RSV1 on the first frame only)
            parts = b"".join(f.serialize() for f in fragments(body, payload, sizes,
                                                              draw(st.booleans())))
        out += parts
    return out


def fragments(body: str | bytes, payload: bytes, sizes: list[int], masked: bool
              ) -> list[Frame]:
    """The frames of ``payload`` cut into ``sizes`` (and the rest), as websockets sends them."""
    key = b"\x01\x02\x03\x04" if masked else None
    out, start = [], 0
    for i, size in enumerate([*sizes, len(payload) - sum(sizes)]):
        opcode = (1 if isinstance(body, str) else 2) if i == 0 else 0
        out.append(Frame(opcode, payload[start : start + size], fin=i == len(sizes),
                         rsv1=i == 0, masking_key=key))
        start += size
    return out


streams = st.lists(frames, max_size=5).map(lambda fs: b"".join(f.serialize() for f in fs))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(streams | compressed()))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "splice", "dup"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            data[min(at, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "splice":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 16))]
    return bytes(data)


@SETTINGS
@given(mutated(), senders, st.booleans(), max_sizes)
def test_mutated_frames(data: bytes, sender: str | None, deflate: bool,
                        max_size: int | None) -> None:
    check(data, dissect(data, sender=sender, deflate=deflate, max_size=max_size))


@settings(max_examples=100, deadline=None)
@given(compressed())
def test_valid_compressed_messages_inflate_cleanly(data: bytes) -> None:
    d = dissect(data, deflate=True)
    check(data, d)
    assert d.violations == [] and all(m.compressed for m in d.messages)


@settings(max_examples=100, deadline=None)
@given(streams, senders)
def test_valid_frames_without_mutation(data: bytes, sender: str | None) -> None:
    check(data, dissect(data, sender=sender))
