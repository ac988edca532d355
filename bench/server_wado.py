"""WADO-RS of a ~300-instance CT study on loopback: ortif-server against Orthanc's DICOMweb.

Generates the CT study of bench/ct_study.py (512x512, 16 bits, random pixels: ~158 MB),
stores it once into a fresh ortif-server (SQLite) and a fresh Orthanc with its DICOMweb
plugin, then, for each run, times on each server with the same httpx client:
- **study**: `GET /studies/{uid}` as `multipart/related; type="application/dicom";
  transfer-syntax=*` (the files as stored), body read to the end;
- **frames**: `GET .../instances/{sop}/frames/1` for every instance, one after the other
  on one connection, as OHIF asks (`type="application/octet-stream"; transfer-syntax=*`);
- **metadata**: `GET /studies/{uid}/series/{series}/metadata` (what OHIF loads first).
Prints the medians, the ratios (ortif-server throughput / Orthanc's: above 1 is faster),
and each server's peak RSS (VmHWM) after all runs.

    python bench/server_wado.py [--instances 300] [--runs 3] [--loads study,frames,metadata]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from ct_study import write_ct_study
from pydicom import dcmread
from server_stow import ORTHANC, orthanc_config, stow, wait_until

from ortif_cli.localserver import free_port

STUDY_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'
FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
Workload = Callable[[httpx.Client], int]


@contextmanager
def serving(command: list[str], ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(ready_url, process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def peak_rss_mb(process: subprocess.Popen[bytes]) -> float:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def ortif_server(work: Path) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[bytes]]]:
    data, port = work / "ortif-data", free_port()
    server = [sys.executable, "-m", "ortif_server"]
    subprocess.run([*server, "init", "--data", str(data)], check=True, capture_output=True)
    user = ["user", "add", "--data", str(data), "--username", "bench", "--password-stdin"]
    names = ["--last-name", "BENCH", "--first-name", "Bench"]
    subprocess.run([*server, *user, *names], input=b"bench-pw\n", check=True, capture_output=True)
    url = f"http://127.0.0.1:{port}"
    serve = [*server, "serve", "--data", str(data), "--port", str(port)]
    with serving(serve, f"{url}/api/v1/health") as process:
        login = {"username": "bench", "password": "bench-pw"}
        token = httpx.post(f"{url}/api/v1/session", json=login).json()["access_token"]
        yield f"{url}/dicomweb", {"Authorization": f"Bearer {token}"}, process


@contextmanager
def orthanc(work: Path) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[bytes]]]:
    url = orthanc_config(work)
    with serving([ORTHANC, str(work / "orthanc.json")], f"{url}/system") as process:
        yield f"{url}/dicom-web", {}, process


def workloads(study: str, instances: list[tuple[str, str]]) -> dict[str, Workload]:
    """name -> function returning the bytes it read."""
    series = instances[0][0]

    def study_body(client: httpx.Client) -> int:
        size = 0
        with client.stream("GET", f"/studies/{study}", headers={"Accept": STUDY_ACCEPT}) as r:
            r.raise_for_status()
            for chunk in r.iter_bytes():
                size += len(chunk)
        return size

    def frames(client: httpx.Client) -> int:
        size = 0
        for series_uid, sop in instances:
            url = f"/studies/{study}/series/{series_uid}/instances/{sop}/frames/1"
            answer = client.get(url, headers={"Accept": FRAME_ACCEPT})
            answer.raise_for_status()
            size += len(answer.content)
        return size

    def metadata(client: httpx.Client) -> int:
        answer = client.get(f"/studies/{study}/series/{series}/metadata")
        answer.raise_for_status()
        assert len(answer.json()) == len(instances)
        return len(answer.content)

    return {"study": study_body, "frames": frames, "metadata": metadata}


def timed(base_url: str, headers: dict[str, str], workload: Workload) -> tuple[float, int]:
    with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
        started = time.perf_counter()
        size = workload(client)
        return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--loads", default="study,frames,metadata", help="comma-separated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ortif-bench-") as tmp:
        work = Path(tmp)
        study, paths = write_ct_study(work / "study", args.instances, patient_name="BENCH^WADO")
        headers = [dcmread(p, stop_before_pixels=True) for p in paths]
        instances = [(str(h.SeriesInstanceUID), str(h.SOPInstanceUID)) for h in headers]
        megabytes = sum(p.stat().st_size for p in paths) / 1e6
        print(f"study: {len(paths)} instances, {megabytes:.1f} MB", flush=True)
        (work / "o").mkdir(), (work / "x").mkdir()
        with ortif_server(work / "o") as ours, orthanc(work / "x") as theirs:
            servers = {"ortif-server": ours, "Orthanc": theirs}
            for base_url, auth, _ in servers.values():
                stow(f"{base_url}/studies", paths, auth)
            loads = workloads(study, instances)
            chosen = {name: loads[name] for name in args.loads.split(",")}
            results = run(servers, chosen, args.runs)
            rss = {name: peak_rss_mb(process) for name, (_, _, process) in servers.items()}
    report(results, rss, len(instances))


def run(
    servers: dict[str, tuple[str, dict[str, str], subprocess.Popen[bytes]]],
    loads: dict[str, Workload],
    runs: int,
) -> dict[tuple[str, str], list[tuple[float, int]]]:
    results: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for number in range(1, runs + 1):
        line = []
        for load_name, load in loads.items():
            for name, (base_url, auth, _) in servers.items():
                seconds, size = timed(base_url, auth, load)
                results.setdefault((load_name, name), []).append((seconds, size))
                line.append(f"{load_name}/{name} {seconds:.2f} s")
        print(f"run {number}: " + ", ".join(line), flush=True)
    return results


def report(
    results: dict[tuple[str, str], list[tuple[float, int]]], rss: dict[str, float], count: int
) -> None:
    medians = {key: statistics.median(s for s, _ in runs) for key, runs in results.items()}
    for (load, name), seconds in medians.items():
        size = results[(load, name)][0][1] / 1e6
        extra = f"{count / seconds:7.0f} frames/s" if load == "frames" else ""
        print(f"{load:8} {name:13} median {seconds:6.3f} s {size / seconds:8.1f} MB/s {extra}")
    for load in dict.fromkeys(load for load, _ in medians):
        ratio = medians[(load, "Orthanc")] / medians[(load, "ortif-server")]
        print(f"{load:8} throughput ortif-server / Orthanc: {ratio:.2f}")
    for name, megabytes in rss.items():
        print(f"peak RSS {name}: {megabytes:.0f} MB")


if __name__ == "__main__":
    main()
