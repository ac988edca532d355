"""A region's platform under load: PostgreSQL + `ortif-server serve --workers N` + Locust.

Starts a private PostgreSQL cluster and a server on free loopback ports, seeds requesters,
experts and an inviter, measures one client's STOW throughput alone, runs the Locust users
of locustfile.py headless, samples the server's memory, optionally injects faults (SIGKILL
one worker, restart PostgreSQL), then checks every study by SHA-256 (verify.py) and prints
the figures (also written to OUT/results.json).

    python bench/load/run.py --users 200 --duration 300 [--workers 4] [--faults] [--out DIR]

Exit status: 0 when the targets hold (no error; with --faults, no error that the retries
did not absorb), 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from io import BytesIO
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pg_cluster import Cluster  # noqa: E402
from study_template import study  # noqa: E402
from verify import verify  # noqa: E402

from ortif_cli.api.client import PlatformClient  # noqa: E402
from ortif_cli.api.stow import UploadItem, batches  # noqa: E402
from ortif_cli.localserver import free_port  # noqa: E402
from ortif_cli.transfer import store_with_retries  # noqa: E402
from ortif_server import admin  # noqa: E402
from ortif_server.admin import add_user, init_data_dir  # noqa: E402
from ortif_server.config import ServerSettings  # noqa: E402
from ortif_server.security import hash_password  # noqa: E402

PASSWORD = "load-test-password"
READ_P95_MS = 200
BULK = ("GET /notifications (watch)", "GET /dicomweb/studies/{uid} (pull)")


def main() -> int:
    args = _arguments()
    out = Path(args.out or tempfile.mkdtemp(prefix="ortif-load-"))
    out.mkdir(parents=True, exist_ok=True)
    # in /tmp, not under OUT: the postgres user must reach it when we run as root
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="ortif-load-pg-"))).start()
    kept = False
    try:
        status = _run(args, out, cluster)
        kept = bool(json.loads((out / "results.json").read_text())["verification"]["problems"])
        return status
    finally:
        cluster.stop()
        if kept:  # what went wrong is in the database: `pg_ctl -D DIR/data start` to look
            print(f"verification problems: PostgreSQL's data kept in {cluster.directory}")
        else:
            shutil.rmtree(cluster.directory, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--faults", action="store_true", help="SIGKILL a worker, restart PG")
    parser.add_argument("--baseline-studies", type=int, default=3)
    parser.add_argument("--out", help="directory for logs, CSV and results.json")
    return parser.parse_args()


def _run(args: argparse.Namespace, out: Path, cluster: Cluster) -> int:
    settings = ServerSettings(out / "data", cluster.url)
    accounts = _seed(settings, args.users)
    server = _start_server(settings, out, args.workers)
    try:
        url = f"http://127.0.0.1:{server.port}"
        baseline = _single_client_stow(url, args.baseline_studies)
        sampler = _RssSampler(server.process.pid).start()
        faults = _Faults(server.process.pid, cluster, args.duration) if args.faults else None
        config = _config(out, accounts)
        cpu = _CpuMeter(server.process.pid, cluster)
        started = time.monotonic()
        _locust(url, args, out, config, faults)
        elapsed = time.monotonic() - started
        cpu_used = cpu.stop(elapsed)
        sampler.stop()
        verdict = verify(url, out / "manifest.jsonl", PASSWORD, settings.blobs_dir)
    finally:
        server.stop()
    results = _results(args, out, baseline, sampler, faults, verdict, elapsed)
    results["cpu_seconds"] = cpu_used
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(_report(results))
    return 0 if results["targets"]["held"] else 1


def _seed(settings: ServerSettings, users: int) -> dict[str, list[str]]:
    init_data_dir(settings)
    accounts = {
        "requesters": [f"req{n:03d}" for n in range(math.ceil(users * 3 / 8) + 1)],
        "experts": [f"exp{n:03d}" for n in range(math.ceil(users * 4 / 8) + 1)],
    }
    places = {"requesters": ("CH Charge", "Urgences"), "experts": ("CHU Charge", "Radiologie")}
    known = hash_password(PASSWORD)  # every account shares one argon2 hash: seeding is quick
    with patch.object(admin, "hash_password", lambda _password: known):
        add_user(settings, "inviter", PASSWORD, ("INVITE", "Charge"), "CH Charge", ["Urgences"])
        for kind, names in accounts.items():
            establishment, community = places[kind]
            for name in names:
                names_of = (name.upper(), "Charge")
                add_user(settings, name, PASSWORD, names_of, establishment, [community])
    return accounts


class _Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process, self.port = process, port

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=180)


def _start_server(settings: ServerSettings, out: Path, workers: int) -> _Server:
    port = free_port()
    command = [sys.executable, "-m", "ortif_server", "serve", "--data", str(settings.data_dir)]
    command += ["--database", str(settings.database_url), "--port", str(port)]
    command += ["--workers", str(workers), "--outbox", str(out / "outbox")]
    command += ["--log-format", "json"]
    with (out / "server.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ortif-server exited; see {out / 'server.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                return _Server(process, port)
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("ortif-server did not get ready in time")


def _single_client_stow(url: str, studies: int) -> dict[str, float]:
    """One client alone, the requesters' upload path: studies of 200 instances (none: {})."""
    if not studies:
        return {}
    token = httpx.post(
        f"{url}/api/v1/session", json={"username": "inviter", "password": PASSWORD}
    ).json()["access_token"]
    size = seconds = 0.0
    with PlatformClient(url, token) as client:
        for _ in range(studies):
            _, instances = study(200)
            items = [
                UploadItem(Path(uid), uid, len(data), opener=lambda data=data: BytesIO(data))
                for uid, data in instances.items()
            ]
            for batch in batches(items):
                started = time.perf_counter()
                outcomes = store_with_retries(client, batch, lambda _n: None)
                seconds += time.perf_counter() - started
                assert all(o.ok for o in outcomes), [o.problem for o in outcomes]
                size += sum(item.size for item in batch)
    return {"mb_per_s": size / seconds / 1e6, "instances_per_s": studies * 200 / seconds}


def _config(out: Path, accounts: dict[str, list[str]]) -> Path:
    path = out / "config.json"
    config = {
        **accounts,
        "inviter": "inviter",
        "password": PASSWORD,
        "outbox": str(out / "outbox"),
        "manifest": str(out / "manifest.jsonl"),
        "summary": str(out / "summary.json"),
    }
    path.write_text(json.dumps(config))
    return path


def _locust(url: str, args: argparse.Namespace, out: Path, config: Path, faults: Any) -> None:
    command = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless"]
    command += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s"]
    command += ["--host", url, "--csv", str(out / "locust"), "--only-summary"]
    command += ["--stop-timeout", "120", "--exit-code-on-error", "0"]
    environment = {**os.environ, "ORTIF_LOAD_CONFIG": str(config)}
    with (out / "locust.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, env=environment)
        if faults is not None:
            faults.start()
        if process.wait() != 0:
            raise RuntimeError(f"locust failed; see {out / 'locust.log'}")
    if faults is not None:
        faults.join()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process and its descendants, reaped ones included."""
    parents: dict[int, int] = {}
    seconds: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        # utime, stime, and cutime, cstime: the children it has waited for
        seconds[pid] = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def total(pid: int) -> float:
        return seconds.get(pid, 0.0) + sum(total(c) for c, p in parents.items() if p == pid)

    return total(root)


class _CpuMeter:
    """CPU used by the server, PostgreSQL and Locust while the load runs."""

    def __init__(self, server_pid: int, cluster: Cluster) -> None:
        self.server_pid, self.cluster = server_pid, cluster
        self.postgres_pid = cluster.postmaster_pid()
        self.server = _tree_cpu_seconds(server_pid)
        self.postgres = _tree_cpu_seconds(self.postgres_pid)
        self.locust = _reaped_children_cpu()

    def stop(self, elapsed: float) -> dict[str, float | None]:
        restarted = self.cluster.postmaster_pid() != self.postgres_pid
        postgres = None if restarted else _tree_cpu_seconds(self.postgres_pid) - self.postgres
        used = {
            "server_s": _tree_cpu_seconds(self.server_pid) - self.server,
            "postgresql_s": postgres,
            "locust_s": _reaped_children_cpu() - self.locust,
        }
        cores = os.cpu_count() or 1
        return {
            **{k: None if v is None else round(v, 1) for k, v in used.items()},
            "available_s": round(elapsed * cores, 1),
        }


def _reaped_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _workers(pid: int) -> list[int]:
    """The worker processes (not multiprocessing's resource tracker)."""
    return [
        child
        for child in _children(pid)
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


class _RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.done = pid, threading.Event()
        self.max_total_mb = self.max_process_mb = 0.0

    def start(self) -> _RssSampler:  # type: ignore[override]
        super().start()
        return self

    def run(self) -> None:
        while not self.done.wait(1.0):
            sizes = [_rss_mb(p) for p in [self.pid, *_children(self.pid)]]
            self.max_total_mb = max(self.max_total_mb, sum(sizes))
            self.max_process_mb = max(self.max_process_mb, *sizes)

    def stop(self) -> None:
        self.done.set()
        self.join()


class _Faults(threading.Thread):
    """At 35% of the run SIGKILL one worker; at 65% restart PostgreSQL."""

    def __init__(self, pid: int, cluster: Cluster, duration: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.cluster, self.duration = pid, cluster, duration
        self.events: list[dict[str, Any]] = []

    def run(self) -> None:
        time.sleep(self.duration * 0.35)
        before = _workers(self.pid)
        os.kill(before[0], signal.SIGKILL)
        self.events.append(
            {"at_s": round(self.duration * 0.35), "fault": f"SIGKILL worker {before[0]}"}
        )
        replaced = self._replaced(before[0], len(before))
        self.events.append({"fault": "worker replaced", "after_s": replaced})
        time.sleep(max(0.0, self.duration * 0.65 - self.duration * 0.35 - (replaced or 0)))
        started = time.monotonic()
        self.cluster.restart()
        down = round(time.monotonic() - started, 1)
        self.events.append(
            {"at_s": round(self.duration * 0.65), "fault": "PostgreSQL restarted", "took_s": down}
        )

    def _replaced(self, killed: int, count: int) -> float | None:
        """Seconds until the parent has `count` live workers again, the killed one gone."""
        started = time.monotonic()
        while time.monotonic() - started < 120:
            now = set(_workers(self.pid))
            if len(now) == count and killed not in now:
                return round(time.monotonic() - started, 1)
            time.sleep(0.5)
        return None


def _endpoints(out: Path) -> list[dict[str, Any]]:
    rows = []
    with (out / "locust_stats.csv").open() as stats:
        for row in csv.DictReader(stats):
            rows.append(
                {
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": float(row["Requests/s"]),
                    "p50": float(row["50%"] or 0),
                    "p95": float(row["95%"] or 0),
                    "p99": float(row["99%"] or 0),
                }
            )
    return rows


def _results(
    args: argparse.Namespace,
    out: Path,
    baseline: dict[str, float],
    sampler: _RssSampler,
    faults: _Faults | None,
    verdict: Any,
    elapsed: float,
) -> dict[str, Any]:
    endpoints = _endpoints(out)
    summary = json.loads((out / "summary.json").read_text())
    stow = summary["stow"]
    under_load = {
        "aggregate_mb_per_s": stow["bytes"] / elapsed / 1e6,
        "per_request_mb_per_s": stow["bytes"] / stow["seconds"] / 1e6 if stow["seconds"] else 0,
        "studies": stow["studies"],
        "instances": stow["instances"],
    }
    reads = [e for e in endpoints if e["name"].startswith("GET ") and e["name"] not in BULK]
    errors = summary["errors"]
    failures = sum(e["failures"] for e in endpoints if e["name"] != "Aggregated")
    targets = {
        "errors": errors.get("final", 0) == 0 and (args.faults or failures == 0),
        "verified": verdict.ok,
        "read_p95_ms": max((e["p95"] for e in reads), default=0) < READ_P95_MS,
        "stow_throughput": bool(baseline)
        and under_load["aggregate_mb_per_s"] >= 0.8 * baseline["mb_per_s"],
    }
    targets["held"] = all(targets.values())
    return {
        "command": " ".join(sys.argv),
        "users": args.users,
        "workers": args.workers,
        "duration_s": round(elapsed),
        "faults": faults.events if faults else [],
        "errors": errors,
        "failed_attempts": failures,
        "endpoints": endpoints,
        "stow_single_client": baseline,
        "stow_under_load": under_load,
        "server_rss_mb": {
            "max_total": round(sampler.max_total_mb),
            "max_process": round(sampler.max_process_mb),
        },
        "verification": {
            "studies": verdict.studies,
            "instances": verdict.instances,
            "interrupted_by_the_end": verdict.interrupted,
            "problems": verdict.problems[:20],
        },
        "targets": targets,
    }


def _report(results: dict[str, Any]) -> str:
    lines = [
        f"{results['command']}",
        f"{results['users']} users, {results['workers']} workers, {results['duration_s']} s",
        "| endpoint | requests | failed | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for e in results["endpoints"]:
        lines.append(
            f"| {e['name']} | {e['requests']} | {e['failures']} | {e['rps']:.1f} | "
            f"{e['p50']:.0f} | {e['p95']:.0f} | {e['p99']:.0f} |"
        )
    base, load = results["stow_single_client"], results["stow_under_load"]
    alone = (
        f"{base['mb_per_s']:.1f} MB/s ({base['instances_per_s']:.0f} instances/s)"
        if base
        else "not measured"
    )
    lines += [
        f"STOW alone: {alone}; under load: {load['aggregate_mb_per_s']:.1f} MB/s in all, "
        f"{load['per_request_mb_per_s']:.1f} MB/s per upload; "
        f"{load['studies']} studies, {load['instances']} instances",
        f"server RSS: {results['server_rss_mb']}",
        f"CPU seconds while the load ran: {results['cpu_seconds']}",
        f"errors: {results['errors']}; failed attempts: {results['failed_attempts']}",
        f"faults: {results['faults']}",
        f"verification: {results['verification']}",
        f"targets: {results['targets']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
