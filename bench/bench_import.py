"""What ``import wslab`` costs: wall time and peak resident memory, in fresh interpreters.

Each case runs ``RUNS`` times in a new ``python -c`` (bytecode compiled first, as on a
user's machine after the first import); the median is printed, with bare ``python`` as
the floor. Run it with ``make bench``.
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 15
CASES = {
    "python (the floor)": "pass",
    "import wslab": "import wslab",
    "a decoder that decoded": "import wslab; from wslab.codec import Decoder; "
                              "Decoder().feed(bytes.fromhex('8100'))",
    "import wslab.notebook": "import wslab.notebook",
}
PROBE = ("import resource, time; t = time.perf_counter(); {code}; "
         "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")


def measure(code: str) -> tuple[float, float]:
    """Median milliseconds and MiB (peak RSS) of running ``code`` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    times, sizes = [], []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", PROBE.format(code=code)], env=env,
                             capture_output=True, text=True, check=True, timeout=60).stdout
        seconds, kib = out.split()
        times.append(float(seconds) * 1000)
        sizes.append(int(kib) / 1024)
    return statistics.median(times), statistics.median(sizes)


def main() -> None:
    compileall.compile_dir(ROOT / "wslab", quiet=1)
    print(f"python {sys.version.split()[0]}, median of {RUNS} fresh interpreters")
    for name, code in CASES.items():
        ms, mib = measure(code)
        print(f"  {name:24s} {ms:7.1f} ms   peak RSS {mib:6.1f} MiB")


if __name__ == "__main__":
    main()
