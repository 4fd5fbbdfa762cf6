"""Benchmark: does the instrument distort what it measures? Ping RTTs through each layer.

In one run, the same ``websockets`` sync client pings (``ping().wait()``, RFC 6455 §5.5.2:
the server answers with a pong) four targets on 127.0.0.1, in interleaved rounds so that
a busy moment of the machine hits all of them alike:

- ``tcp``: a raw TCP echo server (asyncio, ``TCP_NODELAY``), 6 bytes each way: the floor;
- ``bare``: a bare ``websockets`` asyncio server (``serve``, no logger, no keepalive);
- ``lab``: :class:`wslab.live.LabServer` (which records every frame as an event);
- ``tap``: the same LabServer through a :class:`wslab.live.Tap` (which records every chunk).

It prints the median round trip of each and the ratios (goals: ``lab/bare <= 1.1``,
``tap/lab <= 1.3``). Run: ``python bench/bench_harness.py`` (or ``make bench``);
``--quick`` is a smaller, noisier run (the test suite uses it to check the script works);
``--profile`` runs cProfile on the LabServer's and the tap's event-loop threads.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.sync.client import connect

from wslab.live import LabServer, Tap

PINGS = 200  # per target per round
ROUNDS = 15
TIMEOUT = 5.0  # seconds any one ping or connection may take
PROBE = b"ping!\n"
GOALS = {"lab/bare": 1.1, "tap/lab": 1.3}


class _LoopServer:
    """An asyncio server in a thread of its own (the bare websockets one, the TCP echo)."""

    def __init__(self, start: Callable[[], object]) -> None:
        self.loop = asyncio.new_event_loop()
        self._start = start
        self.thread = threading.Thread(target=self.loop.run_forever, name="bench-server",
                                       daemon=True)
        self.server: asyncio.AbstractServer | object | None = None
        self.port = 0

    def __enter__(self) -> _LoopServer:
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(self._open(), self.loop)
        future.result(TIMEOUT)
        return self

    async def _open(self) -> None:
        self.server = await self._start()  # type: ignore[misc]
        sockets = getattr(self.server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            self.server.close()  # type: ignore[union-attr]
            await asyncio.wait_for(self.server.wait_closed(), TIMEOUT)  # type: ignore[union-attr]

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(TIMEOUT * 2)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()


async def _echo(conn: ServerConnection) -> None:
    async for message in conn:
        await conn.send(message)


def bare_websockets() -> _LoopServer:
    return _LoopServer(lambda: serve(_echo, "127.0.0.1", 0, ping_interval=None,
                                     compression=None))


async def _tcp_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


def tcp_echo() -> _LoopServer:
    return _LoopServer(lambda: asyncio.start_server(_tcp_echo, "127.0.0.1", 0))


@contextmanager
def tcp_client(port: int) -> Iterator[Callable[[], float]]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def once() -> float:
        start = time.perf_counter()
        sock.sendall(PROBE)
        got = b""
        while len(got) < len(PROBE):
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the TCP echo server closed")
            got += chunk
        return time.perf_counter() - start

    try:
        yield once
    finally:
        sock.close()


@contextmanager
def ws_client(url: str) -> Iterator[Callable[[], float]]:
    with connect(url, proxy=None, ping_interval=None, compression=None,
                 open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:

        def once() -> float:
            start = time.perf_counter()
            if not ws.ping(PROBE).wait(TIMEOUT):
                raise TimeoutError(f"no pong from {url} within {TIMEOUT:g} s")
            return time.perf_counter() - start

        yield once


def measure(pings: int, rounds: int, profile: bool = False) -> dict[str, list[float]]:
    """Median-able ping RTT samples (seconds) per target, interleaved rounds."""
    samples: dict[str, list[float]] = {"tcp": [], "bare": [], "lab": [], "tap": []}
    with ExitStack() as stack:
        floor = stack.enter_context(tcp_echo())
        bare = stack.enter_context(bare_websockets())
        lab = stack.enter_context(LabServer(ping_interval=None, ping_timeout=None))
        tap = stack.enter_context(Tap("127.0.0.1", lab.port))
        clients = {
            "tcp": stack.enter_context(tcp_client(floor.port)),
            "bare": stack.enter_context(ws_client(f"ws://127.0.0.1:{bare.port}/")),
            "lab": stack.enter_context(ws_client(lab.url + "/echo")),
            "tap": stack.enter_context(ws_client(tap.url_for("/echo"))),
        }
        profilers = _start_profiling(lab, tap) if profile else []
        for once in clients.values():  # warm up
            for _ in range(20):
                once()
        for _ in range(rounds):
            for name, once in clients.items():
                samples[name] += [once() for _ in range(pings)]
        _stop_profiling(profilers)
    return samples


def _start_profiling(*services: object) -> list[tuple[str, object]]:
    import cProfile

    started = []
    for service in services:
        runner = service._runner  # type: ignore[attr-defined]
        profiler = cProfile.Profile()
        runner.call(_enable(profiler), TIMEOUT)
        started.append((type(service).__name__, profiler, runner))
    return started  # type: ignore[return-value]


async def _enable(profiler: object) -> None:
    profiler.enable()  # type: ignore[attr-defined]


async def _disable(profiler: object) -> None:
    profiler.disable()  # type: ignore[attr-defined]


def _stop_profiling(profilers: list[tuple[str, object]]) -> None:
    import pstats

    for name, profiler, runner in profilers:  # type: ignore[misc]
        runner.call(_disable(profiler), TIMEOUT)
        print(f"\n--- {name}'s event-loop thread, by own time ---")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few pings, one round")
    parser.add_argument("--pings", type=int, default=PINGS, help="pings per target per round")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the LabServer's and the tap's loop threads")
    args = parser.parse_args(argv)
    pings, rounds = (20, 1) if args.quick else (args.pings, args.rounds)
    print(f"python {sys.version.split()[0]}, websockets {websockets.__version__}, "
          f"{pings} pings x {rounds} interleaved rounds per target, 127.0.0.1")
    samples = measure(pings, rounds, args.profile)
    median = {name: statistics.median(values) for name, values in samples.items()}
    for name, value in median.items():
        print(f"{name:>5}: median {value * 1e6:7.1f} us over {len(samples[name])} round trips")
    ratios = {"lab/bare": median["lab"] / median["bare"],
              "tap/lab": median["tap"] / median["lab"],
              "tap/bare": median["tap"] / median["bare"],
              "bare/tcp": median["bare"] / median["tcp"]}
    print(" ".join(f"{name}={value:.2f}" for name, value in ratios.items()))
    print("goals: " + ", ".join(f"{name} <= {goal}" for name, goal in GOALS.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
