"""`exam find --dir` on a CD against `dcmdump +sd +r`, with and without a DICOMDIR (issue 12).

The CD: 30 studies x 3 series x 56 MR images (64x64, 16 bits) named as ISO 9660 wants
(DICOM/STnnn/SEn/IMnnnn), a DICOMDIR made by dcmtk's `dcmmkdir`, and the usual junk
(AUTORUN.INF, a viewer .exe, README.TXT, a few viewer files). The same files without the
DICOMDIR make the second CD (hard links). Every command is a whole process.

Usage: python bench/dicom_cd.py [--runs 5]. Prints each command, medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ortif_cli.dicom.sample import write_sample_study  # noqa: E402

STUDIES, SERIES, IMAGES = 30, 3, 56


def timed(command: list[str], runs: int) -> float:
    """Median wall time; dcmdump exits non-zero for the junk (not DICOM): only ours must pass."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode and "ortif_cli" in command:
            raise SystemExit(f"{command}: exit {done.returncode}: {done.stderr[-300:]!r}")
    return statistics.median(times)


def write_cd(cd: Path) -> None:
    """The files of the CD, renamed to ISO 9660 names, its junk, and its DICOMDIR."""
    for n in range(STUDIES):
        study = cd / "DICOM" / f"ST{n:03d}"
        written = write_sample_study(
            study / "tmp",
            patient_name=f"PATIENT{n:02d}^Bench",
            patient_id=f"PID{n:03d}",
            modality="MR",
            series=SERIES,
            instances_per_series=IMAGES,
            rows=64,
            columns=64,
        )
        for path in written.paths:
            series = study / f"SE{path.parent.name.removeprefix('SERIES')}"
            series.mkdir(exist_ok=True)
            path.rename(series / f"IM{int(path.stem.removeprefix('IMG')):04d}")
        for folder in sorted((study / "tmp").iterdir()):
            folder.rmdir()
        (study / "tmp").rmdir()
    write_junk(cd)
    subprocess.run(["/usr/bin/dcmmkdir", "+r", "DICOM"], cwd=cd, check=True, capture_output=True)


def write_junk(cd: Path) -> None:
    (cd / "AUTORUN.INF").write_bytes(b"[autorun]\r\nopen=VIEWER\\VIEWER.EXE\r\n")
    (cd / "README.TXT").write_text("Images of your examination. Open VIEWER.EXE.\r\n")
    viewer = cd / "VIEWER"
    viewer.mkdir()
    (viewer / "VIEWER.EXE").write_bytes(b"MZ" + os.urandom(4 << 20))
    for name in ("VIEWER.DLL", "LANG_FR.INI", "LANG_EN.INI", "LOGO.BMP", "HELP.PDF", "SETUP.CFG"):
        (viewer / name).write_bytes(os.urandom(64 << 10))


def link_copy(source: Path, target: Path, skip: str) -> None:
    for folder, _dirs, names in os.walk(source):
        into = target / Path(folder).relative_to(source)
        into.mkdir(parents=True, exist_ok=True)
        for name in names:
            if name != skip:
                os.link(Path(folder, name), into / name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as temp:
        with_dicomdir, without = Path(temp) / "cd", Path(temp) / "cd-no-dicomdir"
        write_cd(with_dicomdir)
        link_copy(with_dicomdir, without, "DICOMDIR")
        files = sum(len(names) for _, _, names in os.walk(with_dicomdir))
        for label, cd in (("with DICOMDIR", with_dicomdir), ("without DICOMDIR", without)):
            ours = [sys.executable, "-m", "ortif_cli", "--json", "exam", "find", "--dir", str(cd)]
            peer = ["/usr/bin/dcmdump", "+sd", "+r", "-q", str(cd)]
            timed(ours, 1)  # warm the page cache for both
            a, b = timed(ours, runs), timed(peer, runs)
            print(f"{files}-file CD {label}: ortif --json exam find --dir CD: {a:.3f} s")
            print(f"  peer: {' '.join(peer[:-1])} CD: {b:.3f} s; ratio {a / b:.2f}x")


if __name__ == "__main__":
    main()
