"""The CLI killed (SIGKILL) during an upload, then run again: every instance once, same hashes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from ortif_cli.api.client import PlatformClient
from tests.conftest import PATIENCE, REQUESTER, Ortif
from tests.dicom_factory import write_study

TO_EXPERT = "CHU Lyon/Neuroradiologie/MARTIN"
PATIENT = ["--patient-name", "LEFÈVRE", "--patient-id", "PID-001"]
PATIENT += ["--patient-birth-date", "1970-02-14"]


def killed_then_resumed(ortif: Ortif, tmp_path: Path) -> tuple[int, dict[str, str], dict[str, str]]:
    """Kill `exam add` once the first images are on the platform, run it again.

    Returns the dossier id, what the platform holds and the files' own hashes.
    """
    study = write_study(tmp_path / "cd", series=8, instances_per_series=60, rows=256, columns=256)
    ortif.login(REQUESTER)
    dossier = ortif("--json", "dossier", "create", "--to", TO_EXPERT, *PATIENT).json()["id"]
    assert ortif.server
    with PlatformClient(ortif.server) as anonymous:
        token = anonymous.login(REQUESTER.username, REQUESTER.password).access_token
    command = [sys.executable, "-m", "ortif_cli", "--server", ortif.server, "exam", "add"]
    process = subprocess.Popen(
        [*command, str(dossier), "--dir", str(tmp_path / "cd")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    with PlatformClient(ortif.server, token) as client:
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline and process.poll() is None:
            if client.lookup_instances(study.sop_instance_uids[:40]):
                break
            time.sleep(0.02)
        process.kill()
        process.wait()
        again = ortif("--json", "exam", "add", str(dossier), "--dir", str(tmp_path / "cd"))
        assert again.exit_code == 0, again.stderr
        assert again.json()["sent"] + again.json()["already_present"] == 480
        assert again.json()["already_present"] > 0
        present = client.lookup_instances(study.sop_instance_uids)
    expected = {
        uid: hashlib.sha256(path.read_bytes()).hexdigest()
        for uid, path in zip(study.sop_instance_uids, study.paths, strict=True)
    }
    return dossier, present, expected


def test_killed_during_upload_then_resumed(ortif: Ortif, tmp_path: Path) -> None:
    _, present, expected = killed_then_resumed(ortif, tmp_path)
    assert present == expected  # every instance, once (by SOP Instance UID), same bytes


def test_study_count_after_concurrent_uploads(ortif: Ortif, tmp_path: Path) -> None:
    dossier, _, _ = killed_then_resumed(ortif, tmp_path)
    shown = ortif("--json", "dossier", "show", str(dossier)).json()
    exams = [e for step in shown["steps"] for e in step["exams"]]
    assert [e["instance_count"] for e in exams] == [480]
