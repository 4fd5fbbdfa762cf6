"""Run the Autobahn|Testsuite (via kosoku) against the scratch server and a websockets server.

    python tools/conformance.py                  # `make conformance`: cases 1-10, 12, 13
    python tools/conformance.py -i '1.*' -i '5.*' --servers scratch   # a quick subset

Both servers echo every message, accept permessage-deflate, and take messages up to
32 MiB (Autobahn's 9.* cases send 16 MiB): ``wslab.live.ScratchServer`` (wslab's codec
only) and a plain ``websockets.asyncio.server.serve`` echo server. kosoku (``pip install
kosoku``) drives each in turn with ``-p 2`` and writes Autobahn's report layout to
``reports/conformance/<server>/`` (``index.html`` to browse, ``index.json``). The summary
table (a case counts as FAILED when its behavior or its closing behavior failed) is printed
and written to ``reports/conformance/summary.md``.

Exit status: 0 when no case of the scratch server FAILED (websockets is there for
comparison: it fails a few), 1 otherwise, 2 when kosoku is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from wslab.live import ScratchServer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CASES = [f"{n}.*" for n in (1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13)]
MAX_SIZE = 2**25  # 32 MiB: Autobahn 9.* sends messages of up to 16 MiB
VERDICTS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
CLOSE_FAILURES = {"FAILED", "WRONG CODE", "UNCLEAN", "FAILED BY CLIENT"}
KOSOKU_TIMEOUT = 1800  # seconds per server; 12.* and 13.* take a few minutes


def verdict(behavior: str, behavior_close: str) -> str:
    """One verdict per case: FAILED if either part failed (or could not run), else behavior."""
    if behavior in ("FAILED", "ERROR") or behavior_close in CLOSE_FAILURES:
        return "FAILED"
    return behavior


@contextmanager
def websockets_echo_server() -> Iterator[int]:
    """A plain websockets echo server (permessage-deflate on) in a thread; yields its port."""
    loop = asyncio.new_event_loop()
    ready: concurrent.futures.Future[int] = concurrent.futures.Future()
    stop = asyncio.Event()

    async def echo(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):  # failing cases are in the report
            async for message in ws:
                await ws.send(message)

    async def main() -> None:
        try:
            async with serve(echo, "127.0.0.1", 0, max_size=MAX_SIZE,
                             server_header=f"websockets/{websockets.__version__}") as server:
                ready.set_result(server.sockets[0].getsockname()[1])
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),),
                              name="conformance-websockets", daemon=True)
    thread.start()
    try:
        yield ready.result(10)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


@contextmanager
def scratch_server() -> Iterator[int]:
    with ScratchServer(max_size=MAX_SIZE) as srv:
        yield srv.port


SERVERS = {"scratch": scratch_server, "websockets": websockets_echo_server}


def run_kosoku(kosoku: str, port: int, cases: list[str], outdir: Path, parallel: int
               ) -> tuple[dict[str, dict[str, object]], float]:
    """Run kosoku against 127.0.0.1:port; return the agent's index.json entries and seconds."""
    if outdir.exists():
        shutil.rmtree(outdir)
    command = [kosoku, f"127.0.0.1:{port}", "-p", str(parallel), "-o", str(outdir)]
    for case in cases:
        command += ["-i", case]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=KOSOKU_TIMEOUT)
    seconds = time.monotonic() - started
    index = outdir / "index.json"
    if not index.exists():
        raise RuntimeError(f"kosoku wrote no {index} (exit {done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    agents = json.loads(index.read_text())
    if len(agents) != 1:
        raise RuntimeError(f"expected one agent in {index}, found {list(agents)}")
    return next(iter(agents.values())), seconds


def group(case_id: str) -> str:
    return case_id.split(".")[0] + ".*"


def summarize(results: dict[str, tuple[dict[str, dict[str, object]], float]],
              cases: list[str]) -> str:
    """The markdown summary: totals per server, counts per group, every case not OK."""
    lines = ["# Autobahn|Testsuite conformance (kosoku)", "",
             f"Cases: {' '.join(cases)}. Echo servers on 127.0.0.1, max message 32 MiB, "
             "permessage-deflate on. A case is FAILED if its behavior or its closing "
             "behavior failed.", "",
             "| server | cases | " + " | ".join(VERDICTS) + " | time |",
             "|---|---:|" + "---:|" * len(VERDICTS) + "---:|"]
    for name, (cases_run, seconds) in results.items():
        counts = Counter(verdict(str(c["behavior"]), str(c["behaviorClose"]))
                         for c in cases_run.values())
        lines.append(f"| {name} | {len(cases_run)} | "
                     + " | ".join(str(counts[v]) for v in VERDICTS) + f" | {seconds:.1f} s |")
    groups = sorted({group(c) for r, _ in results.values() for c in r},
                    key=lambda g: int(g.split(".")[0]))
    lines += ["", "Per group (OK / NON-STRICT / INFORMATIONAL / UNIMPLEMENTED / FAILED):", "",
              "| group | " + " | ".join(results) + " |", "|---|" + "---|" * len(results)]
    for g in groups:
        cells = []
        for cases_run, _ in results.values():
            counts = Counter(verdict(str(c["behavior"]), str(c["behaviorClose"]))
                             for cid, c in cases_run.items() if group(cid) == g)
            cells.append(" / ".join(str(counts[v]) for v in VERDICTS))
        lines.append(f"| {g} | " + " | ".join(cells) + " |")
    for name, (cases_run, _) in results.items():
        odd = [(cid, c) for cid, c in cases_run.items()
               if (c["behavior"], c["behaviorClose"]) != ("OK", "OK")]
        lines += ["", f"Cases of {name} not OK/OK ({len(odd)}):", ""]
        if odd:
            lines += ["| case | behavior | behaviorClose | remote close code |",
                      "|---|---|---|---|"]
            lines += [f"| {cid} | {c['behavior']} | {c['behaviorClose']} | "
                      f"{c.get('remoteCloseCode')} |" for cid, c in odd]
        else:
            lines.append("(none)")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-i", "--include", action="append", metavar="CASE",
                   help="case id or glob (repeatable; default: 1.* to 10.*, 12.*, 13.*)")
    p.add_argument("-p", "--parallel", type=int, default=2, help="kosoku -p (default 2)")
    p.add_argument("-o", "--out", type=Path, default=ROOT / "reports" / "conformance")
    p.add_argument("--servers", nargs="+", choices=list(SERVERS), default=list(SERVERS))
    args = p.parse_args(argv)
    kosoku = shutil.which("kosoku") or shutil.which("kosoku", path=str(Path(sys.executable)
                                                                      .parent))
    if kosoku is None:
        print("kosoku is not installed: pip install kosoku", file=sys.stderr)
        return 2
    cases = args.include or DEFAULT_CASES
    results = {}
    for name in args.servers:
        print(f"==> {name}: kosoku {' '.join(cases)} -p {args.parallel}", flush=True)
        with SERVERS[name]() as port:
            results[name] = run_kosoku(kosoku, port, cases, args.out / name, args.parallel)
        print(f"    {len(results[name][0])} cases in {results[name][1]:.1f} s", flush=True)
    summary = summarize(results, cases)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.md").write_text(summary)
    print()
    print(summary)
    print(f"reports: {args.out}/<server>/index.html; summary: {args.out / 'summary.md'}")
    scratch = results.get("scratch", ({}, 0.0))[0]
    failed = any(verdict(str(c["behavior"]), str(c["behaviorClose"])) == "FAILED"
                 for c in scratch.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
