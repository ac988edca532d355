"""STOW-RS ingest of a ~300-instance CT study on loopback: ortif-server against Orthanc.

Generates 300 CT instances (512x512, 16 bits, random pixels: ~158 MB) with pydicom, starts
a fresh ortif-server (SQLite, or --database URL) and a fresh Orthanc with its DICOMweb plugin
for each run, sends the study as one streamed multipart/related request with the same httpx
client to each, and prints the medians of the runs in MB/s and their ratio.

    python bench/server_stow.py [--instances 300] [--runs 3] [--database POSTGRESQL_URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from ct_study import write_ct_study
from server_list import database as fresh_database

from ortif_cli.localserver import free_port

ORTHANC = "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
BOUNDARY = "ortif-bench-boundary"
CONTENT_TYPE = f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'
CHUNK = 1 << 20


def body(paths: list[Path]) -> Iterator[bytes]:
    """The multipart/related body, read from disk in chunks (nothing prebuilt)."""
    for path in paths:
        yield f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode()
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
        yield b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


def stow(url: str, paths: list[Path], headers: dict[str, str]) -> float:
    """Seconds to send the study in one streamed request and get the answer."""
    with httpx.Client(timeout=600) as client:
        started = time.perf_counter()
        answer = client.post(
            url, content=body(paths), headers={**headers, "Content-Type": CONTENT_TYPE}
        )
        elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise SystemExit(f"{url}: HTTP {answer.status_code}: {answer.text[:300]}")
    return elapsed


def wait_until(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited during start-up")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer in time")


@contextmanager
def running(command: list[str], ready_url: str) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(ready_url, process)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_ortif(work: Path, paths: list[Path], server_url: str | None) -> float:
    """One run into a fresh ortif-server (SQLite, or a fresh database on `server_url`)."""
    with fresh_database(server_url) as database:
        return _run_ortif(work, paths, database)


def _run_ortif(work: Path, paths: list[Path], database: str | None) -> float:
    data, port = work / "ortif-data", free_port()
    server = [sys.executable, "-m", "ortif_server"]
    db = ["--database", database] if database else []
    subprocess.run([*server, "init", "--data", str(data), *db], check=True, capture_output=True)
    user = ["user", "add", "--data", str(data), "--username", "bench", "--password-stdin"]
    names = ["--last-name", "BENCH", "--first-name", "Bench", *db]
    subprocess.run([*server, *user, *names], input=b"bench-pw\n", check=True, capture_output=True)
    url = f"http://127.0.0.1:{port}"
    serve = [*server, "serve", "--data", str(data), "--port", str(port), *db]
    with running(serve, f"{url}/api/v1/health"):
        login = {"username": "bench", "password": "bench-pw"}
        token = httpx.post(f"{url}/api/v1/session", json=login).json()["access_token"]
        return stow(f"{url}/dicomweb/studies", paths, {"Authorization": f"Bearer {token}"})


def orthanc_config(work: Path) -> str:
    """Write `work/orthanc.json` (HTTP only, DICOMweb plugin, on a free port); its base URL."""
    port, storage = free_port(), work / "orthanc-storage"
    config = {
        "Name": "bench",
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "Plugins": [DICOMWEB_PLUGIN],
        "DicomWeb": {"Enable": True},
    }
    (work / "orthanc.json").write_text(json.dumps(config))
    url = f"http://127.0.0.1:{port}"
    return url


def run_orthanc(work: Path, paths: list[Path]) -> float:
    url = orthanc_config(work)
    with running([ORTHANC, str(work / "orthanc.json")], f"{url}/system"):
        return stow(f"{url}/dicom-web/studies", paths, {})


def fresh(parent: Path, name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=name, dir=parent))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database", help="a PostgreSQL server URL: a fresh database per run (default: SQLite)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ortif-bench-") as tmp:
        work = Path(tmp)
        _study, paths = write_ct_study(
            work / "study", args.instances, patient_name="BENCH^STOW", patient_id="BENCH-1"
        )
        megabytes = sum(p.stat().st_size for p in paths) / 1e6
        print(f"study: {len(paths)} instances, {megabytes:.1f} MB", flush=True)
        times: dict[str, list[float]] = {"ortif-server": [], "Orthanc": []}
        for run in range(1, args.runs + 1):
            times["ortif-server"].append(run_ortif(fresh(work, "o"), paths, args.database))
            times["Orthanc"].append(run_orthanc(fresh(work, "x"), paths))
            print(
                f"run {run}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
                flush=True,
            )
    rates = {name: megabytes / statistics.median(t) for name, t in times.items()}
    for name, rate in rates.items():
        print(f"{name:13} median {statistics.median(times[name]):6.2f} s  {rate:6.1f} MB/s")
    print(f"ratio ortif-server / Orthanc: {rates['ortif-server'] / rates['Orthanc']:.2f}")


if __name__ == "__main__":
    main()
