"""Benchmark: wslab's streaming decoder against websockets' Frame.parse, same bytes, same process.

For each case one masked byte stream (client-to-server binary frames, random
keys) is cut into socket-sized chunks (64 KiB, like one ``recv``) and decoded
by both, the way a connection does it: feed a chunk, take the frames it
completes, go on. websockets is driven exactly as its own protocol layer does
(``StreamReader.feed_data`` then ``next()`` on the ``Frame.parse`` generator).
Each side's best of several rounds is reported as frames per second, and
``ratio = wslab / websockets`` (goal: >= 1.0).

Run: ``python bench/bench_codec.py`` (or ``make bench``). ``--quick`` runs a
smaller, noisier version used by the test suite to check that the script works.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

import websockets
from websockets.frames import Frame as WsFrame
from websockets.streams import StreamReader

from wslab.codec import Decoder, Frame, Opcode

CASES = [("64 B", 64, 20_000), ("1 KiB", 1024, 5_000), ("1 MiB", 1024 * 1024, 20)]
CHUNK = 65536


def make_chunks(size: int, count: int, chunk: int) -> list[bytes]:
    """``count`` masked binary frames of ``size`` random bytes, cut into ``chunk``-byte reads."""
    payload = os.urandom(size)
    stream = b"".join(
        Frame(Opcode.BINARY, payload, masking_key=os.urandom(4)).serialize()
        for _ in range(count)
    )
    return [stream[i : i + chunk] for i in range(0, len(stream), chunk)]


def decode_wslab(chunks: list[bytes]) -> list[bytes]:
    """Decode with wslab; return the last payload seen (frames are handled per chunk)."""
    decoder = Decoder(sender="client", max_size=None)
    n = 0
    last = b""
    for data in chunks:
        frames = decoder.feed(data)
        if frames:
            n += len(frames)
            last = frames[-1].payload
        decoder.messages.clear()
    decoder.eof()
    return [n, last]  # type: ignore[list-item]


def decode_websockets(chunks: list[bytes]) -> list[bytes]:
    """Decode with websockets, driving its parser like ``websockets.protocol.Protocol``."""
    reader = StreamReader()
    parse = WsFrame.parse
    parser = parse(reader.read_exact, mask=True, max_size=None, extensions=None)
    n = 0
    last = b""
    for data in chunks:
        reader.feed_data(data)
        while True:
            try:
                next(parser)  # needs more data: wait for the next chunk
                break
            except StopIteration as done:
                n += 1
                last = done.value.data
                parser = parse(reader.read_exact, mask=True, max_size=None, extensions=None)
    return [n, last]  # type: ignore[list-item]


def best_rate(fn: Callable[[list[bytes]], list[bytes]], chunks: list[bytes], count: int,
              rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn(chunks)
        best = min(best, time.perf_counter() - start)
    return count / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, one round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=CHUNK, help="bytes per simulated recv")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    try:
        from websockets.speedups import apply_mask  # noqa: F401

        speedups = "with its C speedups"
    except ImportError:
        speedups = "without C speedups"
    print(f"python {sys.version.split()[0]}, websockets {websockets.__version__} ({speedups}), "
          f"{args.chunk}-byte chunks, best of {rounds}")
    worst = float("inf")
    for name, size, count in CASES:
        if args.quick:
            count = max(2, count // 50)
        chunks = make_chunks(size, count, args.chunk)
        ours, theirs = decode_wslab(chunks), decode_websockets(chunks)
        if ours != theirs or ours[0] != count:
            print(f"{name}: wslab and websockets disagree ({ours[0]} vs {theirs[0]} frames)")
            return 1
        wslab_rate = best_rate(decode_wslab, chunks, count, rounds)
        ws_rate = best_rate(decode_websockets, chunks, count, rounds)
        ratio = wslab_rate / ws_rate
        worst = min(worst, ratio)
        print(f"{count:>6} x {name:<6} wslab={wslab_rate:,.0f} frames/s "
              f"websockets={ws_rate:,.0f} frames/s ratio={ratio:.2f}")
    print(f"worst ratio: {worst:.2f} (goal >= 1.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
