"""Faults under load, at CI scale (bench/load/run.py --faults; the full run is in bench/):
20 Locust users for a minute against `serve --workers 2` on a private PostgreSQL cluster,
one worker SIGKILLed and PostgreSQL restarted in the middle. Clients see at most
retryable errors, the CLI's retries finish every upload, and every study holds exactly
the instances sent (SHA-256 of each against what the load generator sent)."""

from __future__ import annotations

import glob
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import REPO

pytestmark = [
    pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin"), reason="needs PostgreSQL"),
    pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="needs locust"),
]


def test_a_worker_killed_and_postgresql_restarted_under_load_lose_nothing(
    tmp_path: Path,
) -> None:
    command = [sys.executable, "bench/load/run.py", "--users", "20", "--duration", "60"]
    command += ["--workers", "2", "--faults", "--baseline-studies", "0", "--out", str(tmp_path)]
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    results_file = tmp_path / "results.json"
    assert results_file.exists(), run.stdout + run.stderr
    results = json.loads(results_file.read_text())
    faults = [event["fault"] for event in results["faults"]]
    assert faults[0].startswith("SIGKILL worker") and faults[2] == "PostgreSQL restarted", faults
    assert results["faults"][1]["after_s"] is not None, "the killed worker was not replaced"
    assert results["errors"].get("final", 0) == 0, run.stdout
    verification = results["verification"]
    assert verification["problems"] == [] and verification["studies"] > 0, verification
