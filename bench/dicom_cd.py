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
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ortif_cli.dicom.sample import write_sample_study  # noqa: E402

STUDIES, SERIES, IMAGES = 30, 3, 56


def run(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU is user + system time of the process.

    dcmdump exits non-zero for the junk (not DICOM): only ours must succeed.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode and "ortif_cli" in command:
        raise SystemExit(f"{command}: exit {done.returncode}: {done.stderr[-300:]!r}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def side_by_side(ours: list[str], peer: list[str], runs: int) -> list[tuple[float, float]]:
    """Medians of (wall, CPU) for ours then the peer, runs interleaved so that a change in
    the machine's load falls on both alike."""
    run(ours), run(peer)  # warm the page cache for both
    times: list[list[tuple[float, float]]] = [[], []]
    for _ in range(runs):
        times[0].append(run(ours))
        times[1].append(run(peer))
    return [
        (statistics.median(t[0] for t in one), statistics.median(t[1] for t in one))
        for one in times
    ]


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
            (wall, cpu), (peer_wall, peer_cpu) = side_by_side(ours, peer, runs)
            print(f"{files}-file CD {label}, medians of {runs} interleaved runs:")
            print(f"  ortif --json exam find --dir CD: wall {wall:.3f} s, CPU {cpu:.3f} s")
            print(f"  dcmdump +sd +r -q CD: wall {peer_wall:.3f} s, CPU {peer_cpu:.3f} s")
            print(f"  ratio: wall {wall / peer_wall:.2f}x, CPU {cpu / peer_cpu:.2f}x")


if __name__ == "__main__":
    main()
