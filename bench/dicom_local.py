"""DICOM benchmarks that need no peer: `exam find --dir` vs dcmdump, `exam create` vs img2dcm.

Usage: python bench/dicom_local.py [--runs 3]. Prints each command, the medians, and ratios.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ortif_cli.dicom.sample import write_sample_study  # noqa: E402


def timed(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def timed_each(commands: list[list[str]], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for command in commands:
            subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    ortif = [sys.executable, "-m", "ortif_cli"]
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        cd = root / "cd"
        for n in range(50):  # 50 studies x 100 instances = 5,000 files
            write_sample_study(
                cd / f"P{n:03d}", series=2, instances_per_series=50, rows=64, columns=64
            )
        ours = ortif + ["--json", "exam", "find", "--dir", str(cd)]
        peer = ["/usr/bin/dcmdump", "+sd", "+r", "-q", str(cd)]
        a, b = timed(ours, runs), timed(peer, runs)
        print(f"exam find --dir, 5,000 files: {' '.join(ours[2:])}: {a:.2f} s")
        print(f"  peer: {' '.join(peer)}: {b:.2f} s; ratio {a / b:.2f}x")

        jpegs = root / "jpegs"
        jpegs.mkdir()
        source = Path(temp) / "seed.jpg"
        subprocess.run(
            ["/usr/bin/dcmj2pnm", "--write-jpeg", str(next(cd.rglob("*.dcm"))), str(source)],
            check=True,
            capture_output=True,
        )
        files = []
        for n in range(100):
            target = jpegs / f"img{n:03d}.jpg"
            shutil.copy(source, target)
            files.append(str(target))
        out = root / "out"
        ours = ortif + [
            "exam",
            "create",
            "--description",
            "bench",
            "--patient-name",
            "X^Y",
            "--patient-id",
            "P",
            "--out",
            str(out),
            *files,
        ]
        peers = [["/usr/bin/img2dcm", f, str(root / f"{Path(f).stem}.dcm")] for f in files]
        a, b = timed(ours, runs), timed_each(peers, runs)
        print(f"exam create, 100 JPEG: ortif exam create ... --out DIR FILE...: {a:.2f} s")
        print(f"  peer: /usr/bin/img2dcm IN OUT, once per file: {b:.2f} s; ratio {a / b:.2f}x")


if __name__ == "__main__":
    main()
