"""Startup cost of `ortif --version` against `python -c pass`, in the same run.

    python bench/startup.py [--runs 20]

Both are started as fresh subprocesses of this interpreter (`python -m ortif_cli`, so a
console-script shim does not count), alternately, after one warm-up each; the median
and the best wall time are printed, and the difference of the medians is checked
against the target (0.15 s). Exit 1 when over the target.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TARGET = 0.15
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "ortif --version": [sys.executable, "-m", "ortif_cli", "--version"],
    "ortif --help": [sys.executable, "-m", "ortif_cli", "--help"],
}


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():
        wall_time(command)
    for _ in range(runs):
        for name, command in COMMANDS.items():
            times[name].append(wall_time(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:18} median {medians[name]:.3f} s   best {min(values):.3f} s")
    overhead = medians["ortif --version"] - medians["python -c pass"]
    verdict = "ok" if overhead <= TARGET else "OVER TARGET"
    print(
        f"ortif --version costs {overhead:+.3f} s over python (target +{TARGET:.2f} s): {verdict}"
    )
    return 0 if overhead <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
