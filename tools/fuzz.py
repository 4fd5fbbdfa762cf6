#!/usr/bin/env python3
"""Fuzz wslab's codec: many inputs, reproducible, no exception but the documented ones.

Targets (every input is made from the seed, the target and its index alone, so any one
input can be made again, whatever the number of workers):

- ``dissect``: :func:`wslab.codec.dissect` with each sender and deflate on/off never
  raises; its frames tile the input and serialize back to their bytes; it is JSON.
- ``stream``: :class:`wslab.codec.Decoder`, fed in random chunks, gives frames or raises
  :class:`~wslab.codec.FrameError` (and stays failed); chunking changes nothing (frames,
  messages, error); it fails exactly when ``dissect`` finds a violation, on the same rule.
- ``handshake``: ``parse_request`` / ``parse_response`` (and ``validate_*``) raise
  :class:`~wslab.codec.HandshakeError` only; ``explain`` never raises on bytes.

Inputs are valid frame streams (built with :class:`wslab.codec.Frame` and
:func:`wslab.codec.compressed_frames`: masked, fragmented, control and close frames,
16/64-bit lengths, non-minimal lengths, compressed messages) or valid handshakes
(:func:`wslab.codec.build_request`), then mutated: rewritten headers (FIN, RSV, opcode,
MASK, lying lengths), dropped, duplicated or swapped frames or lines, bit flips, interesting
bytes, inserts, deletes, truncation, splicing, and HTTP games (bare LF or CR, obs-fold,
duplicated headers, long lines, many headers). Each failing input is saved as
``reports/fuzz/crash-*.bin`` with a ``.json`` beside it that says how to replay it.

Usage::

    python tools/fuzz.py                               # 1,000,000 inputs on 2 workers
    python tools/fuzz.py --count 20000 --seed 7 --targets dissect,stream
    python tools/fuzz.py --replay reports/fuzz/crash-stream-0123456789ab.json

Exit status: 0 if every input behaved, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import random
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import wslab.codec as hs
from wslab.codec import (
    DEFAULT_MAX_SIZE,
    Decoder,
    Deflater,
    Frame,
    FrameError,
    HandshakeError,
    LengthEncoding,
    Opcode,
    compressed_frames,
    dissect,
)

TARGETS = ("dissect", "stream", "handshake")
SHARES = {"dissect": 0.4, "stream": 0.35, "handshake": 0.25}  # of --count
DEFAULT_COUNT = 1_000_000
BATCH = 2000  # inputs per task handed to a worker
HANG_SECONDS = 10.0  # one input taking longer than this is a failure
BATCH_TIMEOUT = 900.0  # seconds to wait for a worker's batch before giving up
OUT = Path("reports/fuzz")
SENDERS = (None, "client", "server")
INTERESTING = (0x00, 0x01, 0x0A, 0x0D, 0x20, 0x3A, 0x7E, 0x7F, 0x80, 0x81, 0x88, 0xC0, 0xFF)
LIES = (0, 1, 125, 126, 127, 0xFFFF, 0x10000, 2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1)
CHARS = "aZ09 ~\x00\x7fé✓€\u0800\ufffd🎉"
CLOSE_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
               4999)


class Hang(BaseException):
    """An input ran longer than HANG_SECONDS (a BaseException: the code must not catch it)."""


@dataclass
class Case:
    """One input for one target, with what the target is called with."""

    target: str
    data: bytes
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> str:
        """The configuration counted in the report, e.g. ``sender=client deflate=on``."""
        p = self.params
        if self.target == "handshake":
            return p["kind"]
        return f"sender={p['sender'] or 'any'} deflate={'on' if p['deflate'] else 'off'}"


def rng_for(seed: int, target: str, index: int) -> random.Random:
    return random.Random(f"{seed}/{target}/{index}")


# -- frames ---------------------------------------------------------------------------------


def _length(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.5:
        return rng.randint(0, 16)
    if r < 0.9:
        return rng.randint(0, 300)
    if r < 0.995:
        return rng.choice((124, 125, 126, 127, 128, 200, 1000))
    return rng.choice((0xFFFF, 0x10000))


def _text(rng: random.Random, n: int) -> bytes:
    return "".join(rng.choices(CHARS, k=n)).encode()


def _data(rng: random.Random) -> tuple[int, bytes]:
    n = _length(rng)
    if rng.random() < 0.5:
        return Opcode.TEXT, _text(rng, max(n // 2, 0))
    return Opcode.BINARY, rng.randbytes(n)


def _pieces(rng: random.Random, data: bytes) -> list[bytes]:
    cuts = sorted(rng.randint(0, len(data)) for _ in range(rng.randint(1, 3)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def valid_frames(rng: random.Random, sender: str | None, deflate: bool) -> list[Frame]:
    """A valid stream of frames from ``sender`` (mask keys and data from ``rng``)."""
    frames: list[Frame] = []
    deflater = Deflater(no_context_takeover=rng.random() < 0.3) if deflate else None
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6 if deflater else 5)
        if kind == 0:
            frames.append(Frame(*_data(rng)))
        elif kind == 1:
            op, data = _data(rng)
            parts = _pieces(rng, data)
            new = [Frame(Opcode.CONT, p, fin=False) for p in parts]
            new[0], new[-1] = replace(new[0], opcode=op), replace(new[-1], fin=True)
            if rng.random() < 0.3:
                new.insert(rng.randint(1, len(new)), Frame(Opcode.PING, rng.randbytes(4)))
            frames += new
        elif kind == 2:
            frames.append(Frame(rng.choice((Opcode.PING, Opcode.PONG)),
                                rng.randbytes(rng.choice((0, 1, 4, 125)))))
        elif kind == 3:
            reason = _text(rng, rng.randint(0, 20)).decode()
            frames.append(Frame.close(rng.choice(CLOSE_CODES), reason)
                          if rng.random() < 0.8 else Frame(Opcode.CLOSE))
        elif kind == 4:
            frames.append(Frame(Opcode.BINARY, rng.randbytes(_length(rng)),
                                length_encoding=rng.choice(list(LengthEncoding))))
        else:
            op, data = _data(rng)
            text = data.decode() if op == Opcode.TEXT else data
            sizes = [rng.randint(0, 3) for _ in range(rng.randint(0, 2))]
            try:
                frames += compressed_frames(text, fragment_sizes=sizes, deflater=deflater)
            except ValueError:  # sizes longer than the compressed payload
                frames += compressed_frames(text, deflater=deflater)
    masked = sender == "client" or (sender is None and rng.random() < 0.5)
    out = []
    for f in frames:
        if f.length_encoding is not None and LengthEncoding.minimal(len(f.payload)) > \
                f.length_encoding:
            f = replace(f, length_encoding=None)
        out.append(f.masked_with(rng.randbytes(4)) if masked else f)
    return out


def mutate_frames(rng: random.Random, frames: list[Frame]) -> list[bytes]:
    """Serialize ``frames`` after 0-2 header-level changes (some with lying lengths)."""
    frames = list(frames)
    wires: list[bytes] = []
    lies: dict[int, int] = {}
    for _ in range(rng.choice((0, 1, 1, 2))):
        i = rng.randrange(len(frames))
        f = frames[i]
        op = rng.randrange(7)
        if op == 0:
            f = replace(f, fin=not f.fin)
        elif op == 1:
            bit = rng.choice(("rsv1", "rsv2", "rsv3"))
            f = replace(f, **{bit: not getattr(f, bit)})
        elif op == 2:
            f = replace(f, opcode=rng.randrange(16))
        elif op == 3:
            f = replace(f, masking_key=None if f.masked else rng.randbytes(4))
        elif op == 4:
            lies[i] = max(0, len(f.payload) + rng.randint(-3, 3)) if rng.random() < 0.5 \
                else rng.choice(LIES)
        elif op == 5:
            if len(frames) > 1:
                del frames[i]
            continue
        else:
            frames.insert(rng.randrange(len(frames) + 1), f)
            continue
        frames[i] = f
    for i, f in enumerate(frames):
        lie = lies.get(i)
        if lie is not None and f.length_encoding is not None:
            f = replace(f, length_encoding=None)
        wires.append(f.serialize(declared_length=lie))
    return wires


def mutate_bytes(rng: random.Random, data: bytes, other: bytes) -> bytes:
    """1-4 byte-level mutations; ``other`` is spliced in by one of them."""
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 4))):
        n = len(buf)
        pos = rng.randint(0, n)
        op = rng.randrange(8)
        if op == 0 and n:
            buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
        elif op == 1 and n:
            buf[rng.randrange(n)] = rng.choice(INTERESTING)
        elif op == 2:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif op == 3:
            del buf[pos : pos + rng.randint(1, 16)]
        elif op == 4:
            del buf[pos:]
        elif op == 5 and n:
            start = rng.randrange(n)
            buf[pos:pos] = buf[start : start + rng.randint(1, 32)]
        elif op == 6:
            buf[pos:] = other[rng.randint(0, len(other)) :]
        elif n:
            buf[pos : pos + 1] = bytes([rng.randrange(256)]) * rng.randint(1, 4)
    return bytes(buf)


def frame_bytes(rng: random.Random, sender: str | None, deflate: bool) -> bytes:
    """A frame stream: valid, or mutated at the header level and/or the byte level."""
    if rng.random() < 0.05:
        return rng.randbytes(rng.randint(0, 64))
    wires = mutate_frames(rng, valid_frames(rng, sender, deflate))
    data = b"".join(wires)
    if rng.random() < 0.7:
        other = b"".join(f.serialize() for f in valid_frames(rng, sender, deflate))
        data = mutate_bytes(rng, data, other)
    return data


def frame_params(rng: random.Random) -> dict[str, Any]:
    return {"sender": rng.choice(SENDERS), "deflate": rng.random() < 0.5,
            "max_size": rng.choice((None, None, DEFAULT_MAX_SIZE, rng.randint(0, 300)))}


def make_dissect(rng: random.Random) -> Case:
    params = frame_params(rng)
    return Case("dissect", frame_bytes(rng, params["sender"], params["deflate"]), params)


def make_stream(rng: random.Random) -> Case:
    params = frame_params(rng)
    data = frame_bytes(rng, params["sender"], params["deflate"])
    if rng.random() < 0.2 and len(data) < 4096:
        chunks = [1] * len(data)
    else:
        cuts = sorted(rng.randint(0, len(data)) for _ in range(rng.randint(1, 6)))
        chunks = [b - a for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    return Case("stream", data, {**params, "chunks": chunks})


# -- handshakes -----------------------------------------------------------------------------

URLS = ("ws://example.com/chat", "ws://127.0.0.1:8765/", "wss://[::1]:8443/x?y=1",
        "ws://bücher.example/ä?q=✓", "wss://example.com:443/")
EXTENSIONS = ("permessage-deflate", "permessage-deflate; client_max_window_bits",
              "permessage-deflate; server_max_window_bits=10; client_no_context_takeover",
              'permessage-deflate; client_max_window_bits="15"', "x-webkit-deflate-frame",
              "permessage-deflate; server_max_window_bits=7", "permessage-deflate;;")
PROTOCOLS = ("chat", "superchat", "v1.json", "mqtt")
LINE_BITS = (b",", b";", b" ", b"\t", b"\x00", b"\xff", b"=", b'"', b":", b"\r", b"\n",
             b", permessage-deflate; client_max_window_bits=8", b"; server_max_window_bits=")
START_BITS = (b"GET", b"POST", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"101", b"1O1", b"99",
              b"/", b"*", b"", b"  ", b"HTTP/1.1 101")


def valid_handshake(rng: random.Random) -> tuple[str, bytes, bytes]:
    """``(kind, bytes, request bytes)``: a valid request, or a response to that request."""
    request = hs.build_request(
        rng.choice(URLS), key=rng.randbytes(16).hex() if rng.random() < 0.1 else
        base64.b64encode(rng.randbytes(16)).decode(),
        subprotocols=rng.sample(PROTOCOLS, rng.randint(0, 2)),
        extensions=rng.sample(EXTENSIONS, rng.randint(0, 2)),
        origin=rng.choice((None, "http://example.com")),
        extra_headers=[("X-Fuzz", "".join(rng.choice("aé ,;=\"") for _ in range(5)))]
        if rng.random() < 0.3 else (),
        version=rng.choice((13, 13, 13, 8, "13, 8")))
    raw_request = request.serialize()
    if rng.random() < 0.5:
        return "request", raw_request, raw_request
    if rng.random() < 0.75:
        offered = request.tokens("Sec-WebSocket-Protocol")
        response = hs.build_response(request, subprotocol=rng.choice([None, *offered]),
                                  extensions=rng.choice((None, "permessage-deflate")))
        tail = Frame.text("hi").serialize() if rng.random() < 0.3 else b""
    else:
        response = hs.build_error_response(rng.choice((400, 403, 404, 426, 500, 302)))
        tail = rng.randbytes(rng.randint(0, 8))
    return "response", response.serialize() + tail, raw_request


def mutate_lines(rng: random.Random, data: bytes) -> bytes:
    """One change to the lines of a head: duplicated, dropped, swapped, broken lines..."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.randrange(10)
    if op == 0:
        lines.insert(j, lines[i])
    elif op == 1:
        del lines[i]
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3 and i + 1 < len(lines):
        lines[i : i + 2] = [lines[i] + rng.choice((b"\n", b"\r", b"\n\r")) + lines[i + 1]]
    elif op == 4:
        lines.insert(i + 1, rng.choice((b" folded", b"\tfolded", b" ")))
    elif op == 5:
        lines[i] = lines[i].replace(b":", rng.choice((b" :", b"\t:", b"", b"::")), 1)
    elif op == 6:
        lines[i] += rng.choice(LINE_BITS)
    elif op == 7:
        lines[i] += b"a" * rng.choice((8100, 8189, 8190, 8191, 8192, 9000))
    elif op == 8:
        lines[1:1] = [b"X-Many: 1"] * rng.choice((126, 127, 128, 129))
    else:
        words = lines[0].split(b" ")
        words[rng.randrange(len(words))] = rng.choice(START_BITS)
        lines[0] = b" ".join(words)
    return b"\r\n".join(lines) + (sep if rng.random() < 0.95 else b"\r\n") + rest


def make_handshake(rng: random.Random) -> Case:
    kind, data, request = valid_handshake(rng)
    if rng.random() < 0.5:
        data = mutate_lines(rng, data)
    if rng.random() < 0.6:
        data = mutate_bytes(rng, data, valid_handshake(rng)[1])
    return Case("handshake", data, {"kind": kind, "request": request.hex()})


# -- checks: each raises on a failure -------------------------------------------------------


def check_dissect(case: Case) -> None:
    p = case.params
    d = dissect(case.data, sender=p["sender"], deflate=p["deflate"], max_size=p["max_size"])
    pos = 0
    for i, fd in enumerate(d.frames):
        assert (fd.index, fd.offset) == (i, pos), "frames tile the input"
        assert fd.raw == case.data[pos : pos + fd.length] == fd.frame.serialize(), \
            "a frame serializes back to its bytes"
        bits = sum(f.bits[1] - f.bits[0] + 1 for f in fd.fields if f.bits is not None)
        at = pos + 2
        for f in (f for f in fd.fields if f.bits is None):
            assert f.offset == at, f"fields cover the frame: {f.name} at {f.offset}, not {at}"
            at += f.length
        assert (bits, at) == (16, pos + fd.length), "fields cover the frame bit for bit"
        pos += fd.length
    assert (d.incomplete.offset if d.incomplete else len(case.data)) == pos
    sample = digest(case.data)
    if sample % 4 == 0:  # the JSON form costs as much as dissecting: 1 input in 4
        json.dumps(d.to_dict(), allow_nan=False)
    if sample % 200 == 0:  # rendering is slower still: 1 input in 200
        str(d)
        d._repr_html_()


def digest(data: bytes) -> int:
    """A number that picks which inputs get the slow checks (the same on every run)."""
    return int.from_bytes(hashlib.blake2s(data, digest_size=4).digest(), "big")


def _decode(data: bytes, chunks: Sequence[int], p: dict[str, Any]) -> tuple[Any, ...]:
    """Frames, messages, error and end-of-stream error of a Decoder fed ``chunks``."""
    dec = Decoder(sender=p["sender"], deflate=p["deflate"], max_size=p["max_size"])
    frames: list[Frame] = []
    error: FrameError | None = None
    at = 0
    try:
        for n in chunks:
            frames += dec.feed(data[at : at + n])
            at += n
        frames += dec.feed(b"")  # raises an error stored behind frames returned before
    except FrameError as exc:
        error = exc
        try:
            dec.feed(b"\x81\x00")
        except FrameError as again:
            assert again is exc, "a failed decoder raises the same error again"
        else:
            raise AssertionError("a failed decoder accepted more bytes")
    eof = None
    if error is None:
        try:
            dec.eof()
        except FrameError as exc:
            eof = exc
    return frames, list(dec.messages), _signature(error), _signature(eof)


def _signature(e: FrameError | None) -> tuple[Any, ...] | None:
    return e and (type(e).__name__, e.offset, e.rule.id, getattr(e, "need", None))


def check_stream(case: Case) -> None:
    p = case.params
    chunked = _decode(case.data, p["chunks"], p)
    whole = _decode(case.data, [len(case.data)], p)
    assert chunked == whole, f"chunking changed the result: {chunked[2:]} != {whole[2:]}"
    frames, _, error, eof = whole
    d = dissect(case.data, sender=p["sender"], deflate=p["deflate"], max_size=p["max_size"])
    found = [(v.offset, v.rule.id) for v in d.violations]
    if error is None:
        assert not found, f"Decoder accepts what dissect says breaks {found[:1]}"
        assert [fd.frame.payload for fd in d.frames] == [f.payload for f in frames]
        assert (eof is None) == (d.incomplete is None), "both see the same incomplete tail"
    elif error[2] != "message-too-big":
        # (max_size differs by design: Decoder refuses any frame, control frames too, as
        # websockets does, that declares more, at its length; dissect reports a message
        # over it, at its payload. So message-too-big is left out of the comparison.)
        assert (error[1], error[2]) in found, f"Decoder says {error[1:3]}, dissect {found}"


def check_handshake(case: Case) -> None:
    p = case.params
    request = hs.parse_request(bytes.fromhex(p["request"]))
    if p["kind"] == "request":
        try:
            hs.validate_request(hs.parse_request(case.data))
        except HandshakeError:
            pass
        explained = hs.explain(case.data, subprotocols=PROTOCOLS[:2])
        if isinstance(explained.message, hs.Request):
            hs.server_answer(explained.message).serialize()
    else:
        try:
            hs.validate_response(hs.parse_response(case.data), request)
        except HandshakeError:
            pass
        explained = hs.explain(case.data, request=request)
    json.dumps(explained.to_dict(), allow_nan=False)
    if digest(case.data) % 50 == 0:
        str(explained)
        explained._repr_html_()


MAKERS: dict[str, Callable[[random.Random], Case]] = {
    "dissect": make_dissect, "stream": make_stream, "handshake": make_handshake}
# Each check catches the documented errors itself: any exception out of it is a failure.
CHECKS: dict[str, Callable[[Case], None]] = {
    "dissect": check_dissect, "stream": check_stream, "handshake": check_handshake}


# -- the campaign ---------------------------------------------------------------------------


@dataclass
class Failure:
    """The first input that failed one way (same target, exception type and place)."""

    case: Case
    seed: int
    index: int
    error: str
    where: str
    trace: str
    count: int = 1

    @property
    def key(self) -> tuple[str, str, str]:
        return self.case.target, self.error.split(":")[0], self.where


def _on_alarm(signum: int, frame: Any) -> None:
    raise Hang(f"one input ran over {HANG_SECONDS} s")


def _failure(exc: BaseException, case: Case, seed: int, index: int) -> Failure:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno} in {tb[-1].name}" if tb else "?"
    return Failure(case, seed, index, f"{type(exc).__name__}: {exc}"[:500], where,
                   "".join(traceback.format_exception(exc)))


def run_one(case: Case, seed: int, index: int) -> Failure | None:
    """Run one case; return the failure (``None`` if it behaved)."""
    timed = hasattr(signal, "setitimer") and signal.getsignal(signal.SIGALRM) is _on_alarm
    try:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
        CHECKS[case.target](case)
    except (Exception, Hang) as exc:
        return _failure(exc, case, seed, index)
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return None


def run_batch(task: tuple[str, int, int, int]) -> tuple[str, Counter[str], list[Failure]]:
    """Run inputs ``start`` to ``stop`` of one target; the first failure of each kind."""
    target, seed, start, stop = task
    if hasattr(signal, "setitimer") and multiprocessing.parent_process() is not None:
        signal.signal(signal.SIGALRM, _on_alarm)
    configs: Counter[str] = Counter()
    failures: dict[tuple[str, str, str], Failure] = {}
    for index in range(start, stop):
        try:
            case = MAKERS[target](rng_for(seed, target, index))
        except Exception as exc:  # a bug of this tool: reported, never hidden
            failure: Failure | None = _failure(exc, Case(target, b"", {"generator": True}),
                                               seed, index)
        else:
            configs[case.config] += 1
            failure = run_one(case, seed, index)
        if failure is not None:
            if failure.key in failures:
                failures[failure.key].count += 1
            else:
                failures[failure.key] = failure
    return target, configs, list(failures.values())


@dataclass
class Report:
    seed: int
    workers: int
    counts: Counter[str] = field(default_factory=Counter)
    configs: dict[str, Counter[str]] = field(default_factory=dict)
    failures: dict[tuple[str, str, str], Failure] = field(default_factory=dict)
    elapsed: float = 0.0
    saved: list[Path] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, target: str, configs: Counter[str], failures: list[Failure]) -> None:
        self.counts[target] += sum(configs.values())
        self.configs.setdefault(target, Counter()).update(configs)
        for f in failures:
            if f.key in self.failures:
                self.failures[f.key].count += f.count
            else:
                self.failures[f.key] = f

    def __str__(self) -> str:
        lines = []
        for target in sorted(self.counts, key=TARGETS.index):
            n = self.counts[target]
            parts = ", ".join(f"{c} {k:,}" for c, k in sorted(self.configs[target].items()))
            lines.append(f"  {target:<10} {n:>9,} inputs  ({parts})")
        rate = self.total / self.elapsed if self.elapsed else 0
        lines.append(f"  {'total':<10} {self.total:>9,} inputs in {self.elapsed:.1f} s "
                     f"({rate:,.0f}/s, {self.workers} worker(s), seed {self.seed})")
        if not self.failures:
            lines.append("  no failures")
        for f, path in zip(self.failures.values(), self.saved, strict=False):
            lines += [f"  FAILED {f.case.target} x{f.count}: {f.error[:200]}",
                      f"    at {f.where}; input ({len(f.case.data)} bytes) saved as {path}",
                      f"    replay: python tools/fuzz.py --replay {path.with_suffix('.json')}"]
        return "\n".join(lines)


def tasks_for(count: int, seed: int, targets: Sequence[str]) -> list[tuple[str, int, int, int]]:
    total = sum(SHARES[t] for t in targets)
    per = {t: round(count * SHARES[t] / total) for t in targets}
    per[targets[0]] += count - sum(per.values())
    tasks = [(t, seed, a, min(a + BATCH, per[t])) for t in targets for a in range(0, per[t], BATCH)]
    return sorted(tasks, key=lambda task: (task[2], targets.index(task[0])))


def save(failure: Failure, out: Path) -> Path:
    """Write the failing input as ``crash-<target>-<hash>.bin`` and its ``.json``."""
    out.mkdir(parents=True, exist_ok=True)
    name = f"crash-{failure.case.target}-{hashlib.sha1(failure.case.data).hexdigest()[:12]}"
    path = out / f"{name}.bin"
    path.write_bytes(failure.case.data)
    meta = {"target": failure.case.target, "params": failure.case.params, "seed": failure.seed,
            "index": failure.index, "error": failure.error, "where": failure.where,
            "count": failure.count, "traceback": failure.trace,
            "input_hex": failure.case.data.hex(),
            "replay": f"python tools/fuzz.py --replay {path.with_suffix('.json')}"}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return path


def campaign(count: int = DEFAULT_COUNT, *, seed: int | None = None, workers: int = 2,
             targets: Sequence[str] = TARGETS, out: Path = OUT,
             progress: Callable[[str], None] | None = None) -> Report:
    """Run ``count`` inputs over ``targets``; save each kind of failure under ``out``."""
    seed = int.from_bytes(os.urandom(4), "big") if seed is None else seed
    report = Report(seed, workers)
    tasks = tasks_for(count, seed, list(targets))
    started = time.monotonic()
    step = max(count // 10, 1)
    mark = step
    pool = None
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        pool = multiprocessing.get_context("fork").Pool(workers)
        pending = pool.imap_unordered(run_batch, tasks)
    try:
        for task in tasks:
            try:
                result = pending.next(BATCH_TIMEOUT) if pool is not None else run_batch(task)
            except multiprocessing.TimeoutError:
                raise RuntimeError(f"no batch done in {BATCH_TIMEOUT} s: a worker died (killed "
                                   "for memory?) or hangs outside the checks") from None
            report.add(*result)
            if progress is not None and report.total >= mark:
                mark += step
                progress(f"  {report.total:>9,} / {count:,} inputs, {len(report.failures)} "
                         f"kind(s) of failure, {time.monotonic() - started:.0f} s")
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    report.elapsed = time.monotonic() - started
    report.saved = [save(f, out) for f in report.failures.values()]
    return report


def replay(path: Path) -> Failure | None:
    """Run a saved input again (``crash-*.json`` or its ``.bin``); return its failure."""
    meta = json.loads(path.with_suffix(".json").read_text())
    case = Case(meta["target"], path.with_suffix(".bin").read_bytes(), meta["params"])
    return run_one(case, meta["seed"], meta["index"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="inputs in all")
    parser.add_argument("--seed", type=int, help="default: a random one (printed)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated")
    parser.add_argument("--out", type=Path, default=OUT, help="where failing inputs go")
    parser.add_argument("--replay", type=Path, help="run one saved input again")
    parser.add_argument("--index", help="make input TARGET:INDEX of --seed again and run it")
    args = parser.parse_args(argv)
    if args.replay or args.index:
        if args.replay:
            failure = replay(args.replay)
        else:
            target, index = args.index.split(":")
            case = MAKERS[target](rng_for(args.seed or 0, target, int(index)))
            failure = run_one(case, args.seed or 0, int(index))
        print(failure.trace if failure else "no failure: the input behaves")
        return 1 if failure else 0
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - set(TARGETS)
    if unknown or not targets:
        parser.error(f"--targets: choose among {', '.join(TARGETS)}")
    seed = int.from_bytes(os.urandom(4), "big") if args.seed is None else args.seed
    print(f"wslab fuzz: {args.count:,} inputs over {', '.join(targets)}, seed {seed}, "
          f"{args.workers} worker(s) (same seed, same inputs)", flush=True)
    report = campaign(args.count, seed=seed, workers=args.workers, targets=targets,
                      out=args.out, progress=lambda line: print(line, flush=True))
    print(report, flush=True)
    return 1 if report.failures else 0


if __name__ == "__main__":
    if hasattr(signal, "setitimer"):  # a hanging input fails, also with --workers 1
        signal.signal(signal.SIGALRM, _on_alarm)
    sys.exit(main())
