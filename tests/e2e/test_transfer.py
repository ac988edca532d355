"""The walking skeleton: one complete imaging transfer, driven through the CLI over HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ortif_cli.api.client import PlatformClient
from ortif_cli.dicom.sample import write_sample_study
from ortif_cli.localserver import LocalServer
from tests.conftest import EXPERT, OUTSIDER, REQUESTER, Ortif

pytestmark = pytest.mark.e2e


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_complete_transfer(ortif: Ortif, live_server: LocalServer, tmp_path: Path) -> None:
    study = write_sample_study(
        tmp_path / "cd",
        patient_name="LEFÈVRE^Hélène",
        patient_id="PID-E2E-1",
        birth_date="19700214",
    )
    ortif.login(REQUESTER, "requester")
    ortif.login(EXPERT, "expert")
    ortif.login(OUTSIDER, "outsider")

    created = ortif(
        "--profile",
        "requester",
        "--json",
        "dossier",
        "create",
        "--to",
        "chu lyon/NEURORADIOLOGIE/Martin",
        "--patient-name",
        "Lefèvre",
        "--patient-first-name",
        "Hélène",
        "--patient-id",
        "PID-E2E-1",
        "--patient-birth-date",
        "14/02/1970",
        "--comment",
        "Avis, merci.",
        "--exam-dir",
        str(tmp_path / "cd"),
    )
    assert created.exit_code == 0, created.stderr
    dossier = created.json()
    dossier_id = str(dossier["id"])
    assert dossier["status"] == "draft"
    assert dossier["steps"][0]["exams"][0]["study_instance_uid"] == study.study_instance_uid

    sent = ortif("--profile", "requester", "--json", "dossier", "send", dossier_id)
    assert sent.exit_code == 0, sent.stderr
    assert sent.json()["status"] == "sent"

    news = ortif("--profile", "expert", "--json", "notifications")
    assert news.exit_code == 0, news.stderr
    assert [(n["kind"], n["dossier_id"]) for n in news.json()["items"]] == [
        ("dossier_sent", int(dossier_id))
    ]
    shown = ortif("--profile", "expert", "dossier", "show", dossier_id)
    assert shown.exit_code == 0, shown.stderr
    assert "Lefèvre Hélène" in shown.stdout

    acked = ortif("--profile", "expert", "--json", "ack", dossier_id, "--yes")
    assert acked.exit_code == 0, acked.stderr
    assert acked.json()["status"] == "closed"

    back = ortif("--profile", "requester", "--json", "notifications")
    assert [n["kind"] for n in back.json()["items"]] == ["dossier_acknowledged"]
    final = ortif("--profile", "requester", "--json", "dossier", "show", dossier_id)
    assert final.json()["status"] == "closed"

    refused = ortif(
        "--profile", "requester", "exam", "add", dossier_id, "--dir", str(tmp_path / "cd")
    )
    assert refused.exit_code == 6, refused.stderr
    assert "closed" in refused.stderr

    hidden = ortif("--profile", "outsider", "dossier", "show", dossier_id)
    assert hidden.exit_code == 5, hidden.stderr

    # The outsider holds a copy of the CD: sending it does not show him the platform's study.
    copied = ortif(
        "--profile", "outsider", "--json", "dossier", "create", "--to",
        "chu lyon/NEURORADIOLOGIE/Martin", "--patient-name", "Lefèvre", "--patient-first-name",
        "Hélène", "--patient-id", "PID-E2E-1", "--patient-birth-date", "14/02/1970",
        "--exam-dir", str(tmp_path / "cd"),
    )  # fmt: skip
    assert copied.exit_code == 6, copied.stderr
    assert "another uploader" in copied.stderr, copied.stderr

    blobs = live_server.data_dir / "blobs"
    for path in study.paths:
        digest = sha256(path)
        blob = blobs / digest[:2] / digest[2:4] / digest
        assert sha256(blob) == digest
    with PlatformClient(live_server.url) as anonymous:
        token = anonymous.login(REQUESTER.username, REQUESTER.password).access_token
    with PlatformClient(live_server.url, token) as client:
        held = client.lookup_instances(study.sop_instance_uids)
    assert held == {
        uid: sha256(p) for uid, p in zip(study.sop_instance_uids, study.paths, strict=True)
    }


def test_demo_runs_a_verified_transfer(tmp_path: Path) -> None:
    result = Ortif()("--json", "demo", "--keep", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.stderr
    summary = result.json()
    assert summary["status"] == "closed"
    assert summary["verified"] == summary["instances"] > 0
    assert "9. Verified" in result.stderr
    assert "(C-GET)" in result.stderr
