"""`ortif pacs` and `ortif exam find|add --pacs` against a pynetdicom Query/Retrieve SCP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ortif_cli.localserver import free_port
from tests.conftest import REQUESTER, Ortif
from tests.dicom_factory import QueryRetrieveSCP, write_study

TO_EXPERT = "CHU Lyon/Neuroradiologie/MARTIN"
PATIENT = ["--patient-name", "LEFÈVRE", "--patient-id", "PID-001"]
PATIENT += ["--patient-birth-date", "1970-02-14"]


@pytest.fixture
def studies(tmp_path: Path) -> Path:
    root = tmp_path / "pacs"
    write_study(root / "a", patient_name="LEFÈVRE^Hélène", charset="ISO_IR 100")
    write_study(root / "b", patient_name="DUPONT^José", patient_id="PID-002", study_date="20261121")
    write_study(root / "c", patient_name="N'GUYEN^Anh", patient_id="PID-003", modality="OT")
    return root


@pytest.fixture
def scp(studies: Path) -> Iterator[QueryRetrieveSCP]:
    server = QueryRetrieveSCP(studies).start()
    yield server
    server.stop()


def add_node(ortif: Ortif, port: int, *extra: str) -> None:
    result = ortif(
        "pacs",
        "add",
        "hop",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--aet",
        "TESTPACS",
        *extra,
    )
    assert result.exit_code == 0, result.stderr


def test_nodes_are_kept_in_the_profile(ortif: Ortif) -> None:
    add_node(ortif, 104, "--retrieve", "move", "--move-port", "11113")
    listed = ortif("--json", "pacs", "list").json()["items"]
    assert listed == [
        {
            "name": "hop",
            "host": "127.0.0.1",
            "port": 104,
            "called_ae_title": "TESTPACS",
            "calling_ae_title": "ORTIF",
            "retrieve": "move",
            "move_port": 11113,
        }
    ]
    assert ortif("pacs", "remove", "hop").exit_code == 0
    assert ortif("--json", "pacs", "list").json()["items"] == []
    assert ortif("pacs", "remove", "hop").exit_code == 5


def test_move_needs_a_port(ortif: Ortif) -> None:
    result = ortif(
        "pacs", "add", "x", "--host", "h", "--port", "104", "--aet", "A", "--retrieve", "move"
    )
    assert result.exit_code == 2 and "--move-port" in result.stderr


def test_echo(ortif: Ortif, scp: QueryRetrieveSCP) -> None:
    add_node(ortif, scp.port)
    result = ortif("--json", "pacs", "echo", "hop")
    assert result.exit_code == 0, result.stderr
    assert result.json()["ok"] is True and result.json()["round_trip_ms"] > 0


def test_pacs_down_exits_7(ortif: Ortif) -> None:
    add_node(ortif, free_port())
    result = ortif("pacs", "echo", "hop")
    assert result.exit_code == 7 and "Cannot reach" in result.stderr


def test_rejected_association_names_ae_titles(ortif: Ortif, studies: Path) -> None:
    server = QueryRetrieveSCP(studies, known_calling=["SOMEONE"]).start()
    try:
        add_node(ortif, server.port)
        result = ortif("pacs", "echo", "hop")
    finally:
        server.stop()
    assert result.exit_code == 7
    assert "rejected" in result.stderr and "ORTIF" in result.stderr and "TESTPACS" in result.stderr


def test_find_on_pacs(ortif: Ortif, scp: QueryRetrieveSCP) -> None:
    add_node(ortif, scp.port)
    result = ortif("--json", "exam", "find", "--pacs", "hop", "--patient-name", "LEF*")
    assert result.exit_code == 0, result.stderr
    (item,) = result.json()["items"]
    assert item["patient_name"] == "LEFÈVRE^Hélène"
    assert item["instance_count"] == 6 and item["series_count"] == 2
    assert item["source"] == "pacs:hop" and item["birth_date"] == "1970-02-14"


def test_find_falls_back_to_patient_root(ortif: Ortif, studies: Path) -> None:
    server = QueryRetrieveSCP(studies, study_root=False).start()
    try:
        add_node(ortif, server.port)
        result = ortif("--json", "exam", "find", "--pacs", "hop")
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    assert len(result.json()["items"]) == 3


def create_dossier(ortif: Ortif) -> int:
    ortif.login(REQUESTER)
    created = ortif("--json", "dossier", "create", "--to", TO_EXPERT, *PATIENT)
    assert created.exit_code == 0, created.stderr
    return int(created.json()["id"])


def study_uid(ortif: Ortif, name: str) -> str:
    found = ortif("--json", "exam", "find", "--pacs", "hop", "--patient-name", name).json()
    return str(found["items"][0]["study_instance_uid"])


def test_add_from_pacs_with_get_then_resume(
    ortif: Ortif, scp: QueryRetrieveSCP, tmp_path: Path
) -> None:
    add_node(ortif, scp.port)
    dossier = create_dossier(ortif)
    uid = study_uid(ortif, "LEF*")
    receipt = tmp_path / "receipt.json"
    add = ["--json", "exam", "add", str(dossier), "--pacs", "hop", "--study", uid]
    result = ortif(*add, "--receipt", str(receipt))
    assert result.exit_code == 0, result.stderr
    assert result.json()["sent"] == 6
    document = json.loads(receipt.read_text())
    assert len(document["instances"]) == 6 and document["complete"] is True
    assert all(len(i["sha256"]) == 64 for i in document["instances"])
    again = ortif(*add, "--receipt", str(receipt))
    assert again.exit_code == 0, again.stderr
    assert again.json()["sent"] == 0 and again.json()["already_present"] == 6
    second = json.loads(receipt.read_text())
    assert {i["sha256"] for i in second["instances"]} == {
        i["sha256"] for i in document["instances"]
    }


def test_identity_mismatch_from_pacs_exits_6(ortif: Ortif, scp: QueryRetrieveSCP) -> None:
    add_node(ortif, scp.port)
    dossier = create_dossier(ortif)
    uid = study_uid(ortif, "DUPONT*")
    result = ortif("exam", "add", str(dossier), "--pacs", "hop", "--study", uid)
    assert result.exit_code == 6, result.stderr
    assert "DUPONT" in result.stderr and "LEFÈVRE" in result.stderr
    assert "--accept-identity" in result.stderr
    accepted = ortif(
        "--json",
        "exam",
        "add",
        str(dossier),
        "--pacs",
        "hop",
        "--study",
        uid,
        "--accept-identity",
        "same person, name changed",
    )
    assert accepted.exit_code == 0, accepted.stderr


def test_get_refused_names_the_fix(ortif: Ortif, studies: Path) -> None:
    server = QueryRetrieveSCP(studies, get=False).start()
    try:
        add_node(ortif, server.port)
        dossier = create_dossier(ortif)
        uid = study_uid(ortif, "LEF*")
        result = ortif("exam", "add", str(dossier), "--pacs", "hop", "--study", uid)
    finally:
        server.stop()
    assert result.exit_code in (6, 7), result.stderr
    assert "refuses C-GET" in result.stderr and "--retrieve move" in result.stderr


def test_add_with_move(ortif: Ortif, studies: Path) -> None:
    move_port = free_port()
    server = QueryRetrieveSCP(
        studies, move_destinations={"ORTIF": ("127.0.0.1", move_port)}
    ).start()
    try:
        add_node(ortif, server.port, "--retrieve", "move", "--move-port", str(move_port))
        dossier = create_dossier(ortif)
        uid = study_uid(ortif, "LEF*")
        result = ortif("--json", "exam", "add", str(dossier), "--pacs", "hop", "--study", uid)
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    assert result.json()["sent"] == 6


def test_abort_half_way_exits_8_then_resumes(ortif: Ortif, studies: Path) -> None:
    server = QueryRetrieveSCP(studies, abort_after=1).start()
    try:
        add_node(ortif, server.port)
        dossier = create_dossier(ortif)
        uid = study_uid(ortif, "LEF*")
        first = ortif("exam", "add", str(dossier), "--pacs", "hop", "--study", uid)
        assert first.exit_code in (7, 8), first.stderr
        assert "run the same command again" in first.stderr.lower()
        server.abort_after = None
        again = ortif("--json", "exam", "add", str(dossier), "--pacs", "hop", "--study", uid)
    finally:
        server.stop()
    assert again.exit_code == 0, again.stderr
    assert again.json()["sent"] + again.json()["already_present"] == 6
    assert again.json()["already_present"] >= 1
