"""`ortif exam add --pacs` against the sequential peer route, and its peak memory.

Generates a CT study (512x512, 16 bits, random pixels), loads it into a fresh Orthanc
(TCP_NODELAY=1, C-GET allowed), and for each run starts a fresh ortif-server, then times:

- ours: `ortif exam add DOSSIER --pacs orthanc --study UID` (C-GET piped into STOW-RS);
- peer: `TCP_NODELAY=1 /usr/bin/getscu ... -od DIR` then one `curl` STOW-RS POST of the
  same files (multipart body prebuilt, not timed: this favours the peer).

Prints medians, the ratio (target ≤ 0.8) and the peak RSS of `exam add` (GNU time).

    python bench/dicom_pacs.py [--instances 300] [--runs 3]
    python bench/dicom_pacs.py --instances 2000 --runs 1 --orthanc nodelay   # ~1 GB: RSS
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from ct_study import write_ct_study

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ortif_cli.api.client import PlatformClient  # noqa: E402
from ortif_cli.localserver import Account, LocalServer, free_port  # noqa: E402

ORTHANC = "/usr/sbin/Orthanc"
BOUNDARY = "ortif-bench"
REQUESTER = Account("req", "pw-req-1", "DURAND", "Marie", "CH A", "Radiologie")
EXPERT = Account("exp", "pw-exp-1", "MARTIN", "Pierre", "CHU B", "Neuro")


def start_orthanc(root: Path, nodelay: bool = True) -> tuple[subprocess.Popen[bytes], int, str]:
    dicom_port, http_port = free_port(), free_port()
    config = {
        "StorageDirectory": str(root / "db"),
        "IndexDirectory": str(root / "db"),
        "DicomAet": "ORTHANC",
        "DicomPort": dicom_port,
        "HttpPort": http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DefaultEncoding": "Utf8",
        "DicomAlwaysAllowGet": True,
        "DicomAlwaysAllowFind": True,
        "Plugins": [],
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "orthanc.json").write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if k != "TCP_NODELAY"}
    if nodelay:
        env["TCP_NODELAY"] = "1"
    process = subprocess.Popen(
        [ORTHANC, str(root / "orthanc.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{http_port}"
    for _ in range(100):
        try:
            httpx.get(f"{url}/system", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return process, dicom_port, url


def platform(root: Path) -> LocalServer:
    root.mkdir(parents=True, exist_ok=True)
    server = LocalServer(root)
    server.init()
    server.add_user(REQUESTER)
    server.add_user(EXPERT)
    server.start()
    return server


def cli_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORTIF_")}
    for sub, var in (("c", "XDG_CONFIG_HOME"), ("k", "XDG_CACHE_HOME"), ("d", "XDG_DATA_HOME")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    return env


def ortif(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    command = [sys.executable, "-m", "ortif_cli", *args]
    done = subprocess.run(command, env=env, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr}")
    return done.stdout


def ours(root: Path, dicom_port: int, study: str) -> tuple[float, int]:
    server = platform(root / "platform")
    try:
        env = cli_env(root / "home")
        base = ["--server", server.url]
        ortif(env, *base, "login", "--username", "req", "--password-stdin", stdin="pw-req-1\n")
        ortif(
            env,
            "pacs",
            "add",
            "orthanc",
            "--host",
            "127.0.0.1",
            "--port",
            str(dicom_port),
            "--aet",
            "ORTHANC",
        )
        dossier = json.loads(
            ortif(
                env,
                *base,
                "--json",
                "dossier",
                "create",
                "--to",
                "CHU B/Neuro/MARTIN",
                "--patient-name",
                "DUPONT",
                "--patient-id",
                "PID-B",
                "--patient-birth-date",
                "1970-02-14",
            )
        )["id"]
        command = [
            "/usr/bin/time",
            "-f",
            "%M",
            sys.executable,
            "-m",
            "ortif_cli",
            *base,
            "exam",
            "add",
            str(dossier),
            "--pacs",
            "orthanc",
            "--study",
            study,
        ]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        return elapsed, int(done.stderr.strip().splitlines()[-1])
    finally:
        server.stop()


def peer(root: Path, dicom_port: int, study: str) -> float:
    server = platform(root / "platform")
    try:
        with PlatformClient(server.url) as anonymous:
            token = anonymous.login("req", "pw-req-1").access_token
        out = root / "getscu"
        out.mkdir()
        env = {**os.environ, "TCP_NODELAY": "1"}
        started = time.perf_counter()
        subprocess.run(
            [
                "/usr/bin/getscu",
                "-aec",
                "ORTHANC",
                "-S",
                "-k",
                "QueryRetrieveLevel=STUDY",
                "-k",
                f"StudyInstanceUID={study}",
                "-od",
                str(out),
                "127.0.0.1",
                str(dicom_port),
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        retrieved = time.perf_counter() - started
        body = root / "body"
        with body.open("wb") as stream:
            for path in sorted(out.iterdir()):
                stream.write(f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode())
                stream.write(path.read_bytes())
                stream.write(b"\r\n")
            stream.write(f"--{BOUNDARY}--\r\n".encode())
        started = time.perf_counter()
        subprocess.run(
            [
                "curl",
                "-sf",
                "-o",
                "/dev/null",
                "-X",
                "POST",
                "--data-binary",
                f"@{body}",
                "-H",
                f'Content-Type: multipart/related; type="application/dicom"; boundary={BOUNDARY}',
                "-H",
                f"Authorization: Bearer {token}",
                f"{server.url}/dicomweb/studies",
            ],
            check=True,
        )
        uploaded = time.perf_counter() - started
        print(f"  peer run: getscu {retrieved:.2f} s, curl STOW-RS {uploaded:.2f} s", flush=True)
        return retrieved + uploaded
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--orthanc", choices=("both", "packaged", "nodelay"), default="both")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        study, paths = write_ct_study(root / "study", options.instances)
        size = sum(p.stat().st_size for p in paths)
        print(
            f"study: {options.instances} CT instances, {size / 1e6:.1f} MB; medians of "
            f"{options.runs}",
            flush=True,
        )
        for label, nodelay in (("Orthanc as packaged", False), ("Orthanc TCP_NODELAY=1", True)):
            if options.orthanc != "both" and nodelay != (options.orthanc == "nodelay"):
                continue
            measure(
                root / label.replace(" ", "_"), label, nodelay, study, paths, size, options.runs
            )


def measure(
    root: Path, label: str, nodelay: bool, study: str, paths: list[Path], size: int, runs: int
) -> None:
    orthanc, dicom_port, url = start_orthanc(root / "orthanc", nodelay)
    try:
        with httpx.Client(timeout=60) as http:
            for path in paths:
                http.post(f"{url}/instances", content=path.read_bytes()).raise_for_status()
        mine, theirs, rss = [], [], []
        for run in range(runs):
            elapsed, peak = ours(root / f"ours{run}", dicom_port, study)
            mine.append(elapsed)
            rss.append(peak)
            theirs.append(peer(root / f"peer{run}", dicom_port, study))
    finally:
        orthanc.terminate()
        orthanc.wait()
    a, b = statistics.median(mine), statistics.median(theirs)
    print(f"[{label}]")
    speed = size / 1e6 / a
    print(f"ours: ortif exam add DOSSIER --pacs orthanc --study UID: {a:.2f} s, {speed:.0f} MB/s")
    print(f"peer: TCP_NODELAY=1 getscu -S -k ... -od DIR + curl --data-binary @body: {b:.2f} s")
    print(f"ratio ours/peer: {a / b:.2f} (target <= 0.8)")
    print(
        f"peak RSS of exam add: {max(rss) / 1024:.0f} MB (runs: {[round(r / 1024) for r in rss]})"
    )


if __name__ == "__main__":
    main()
