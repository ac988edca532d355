"""`dossier create`, `ack` and `invite` answered at a real pseudo-terminal (pexpect)."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from ortif_cli.dicom.sample import write_sample_study
from tests.conftest import EXPERT, REQUESTER
from tests.e2e.conftest import FlowPlatform
from tests.e2e.terminal import CTRL_C, CTRL_U, DOWN, ENTER, answer, finish, spawn_ortif
from tests.e2e.test_flows import new_dossier, ok, unread

pytestmark = pytest.mark.e2e


def spawn(platform: FlowPlatform, profile: str, *args: str) -> pexpect.spawn:
    return spawn_ortif("--server", platform.url, "--profile", profile, *args)


def test_create_asks_everything_in_the_kit_order(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    study = write_sample_study(tmp_path / "cd", patient_name="NOUVEAU^Jean", patient_id="PID-TTY",
                               birth_date="19900201")  # fmt: skip
    letter = tmp_path / "lettre.pdf"
    letter.write_bytes(b"%PDF-1.4 lettre")
    child = spawn(flow_platform, REQUESTER.username, "dossier", "create")
    answer(child, "Who sees this dossier?", ENTER)
    answer(child, "Establishment", "lyon", ENTER)
    answer(child, "Community", "neuro", ENTER)
    answer(child, "Correspondent [Correspondant]", "martin", ENTER)
    answer(child, "Add another correspondent?", "n")
    answer(child, "Patient:", DOWN, ENTER)
    answer(child, "Last name [Nom]", "Nouveau", ENTER)
    answer(child, "First name", "Jean", ENTER)
    answer(child, "Birth date", "31/02/1990", ENTER)
    answer(child, "Write the date as dd/mm/yyyy", CTRL_U, "01/02/1990", ENTER)
    answer(child, "Sex [Sexe]", DOWN, ENTER)
    answer(child, "Identifier [Identifiant]", "PID-TTY", ENTER)
    answer(child, "Comment", "Avis, merci.", ENTER)
    answer(child, "Add a DICOM exam?", DOWN, ENTER)
    answer(child, "Folder:", str(tmp_path / "cd"), ENTER)
    answer(child, "Which studies?", " ", ENTER)
    answer(child, "Series of", DOWN, " ", ENTER)  # both ticked: untick the second
    answer(child, "Add a DICOM exam?", ENTER)
    answer(child, "Document to attach", str(letter), ENTER)
    answer(child, "Document to attach", ENTER)
    child.expect_exact("Summary")
    child.expect_exact("MARTIN Pierre")
    answer(child, "What now?", ENTER)
    child.expect(r"Dossier (\d+) sent")
    dossier_id = int(child.match.group(1))
    assert finish(child) == 0

    dossier = ok(flows, REQUESTER, "dossier", "show", str(dossier_id))  # type: ignore[arg-type]
    assert dossier["status"] == "sent"
    assert dossier["patient"]["birth_date"] == "1990-02-01"
    assert dossier["patient"]["sex"] == "M"
    assert [c["label"] for c in dossier["correspondents"]] == ["MARTIN Pierre"]
    request = dossier["steps"][0]
    assert request["exams"][0]["study_instance_uid"] == study.study_instance_uid
    assert request["exams"][0]["instance_count"] == 3  # the first series only
    assert request["documents"][0]["filename"] == "lettre.pdf"


def test_create_finds_a_known_patient_and_keeps_a_draft(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    new_dossier(flows, tmp_path, "PID-LOUPE", name="Loupé")  # type: ignore[arg-type]
    child = spawn(flow_platform, REQUESTER.username, "dossier", "create",
                  "--to", "CHU Lyon/Neuroradiologie", "--comment", "Suite.")  # fmt: skip
    answer(child, "Who sees this dossier?", DOWN, ENTER)
    answer(child, "Patient:", ENTER)
    answer(child, "Name or identifier", "loupe", ENTER)
    answer(child, "Which patient?", ENTER)
    answer(child, "Add a DICOM exam?", DOWN, DOWN, DOWN, ENTER)  # the platform's store
    answer(child, "Patient name", ENTER)
    answer(child, "Identifier", ENTER)
    answer(child, "Exam date", ENTER)
    answer(child, "Modality", ENTER)
    answer(child, "Appointment number", ENTER)
    answer(child, "Which studies?")
    answer(child, "PID-LOUPE", " ", ENTER)
    answer(child, "Add a DICOM exam?", ENTER)
    answer(child, "Document to attach", ENTER)
    answer(child, "What now?", DOWN, ENTER)
    child.expect(r"Dossier (\d+) kept as a draft")
    dossier_id = child.match.group(1)
    assert finish(child) == 0
    dossier = ok(flows, REQUESTER, "dossier", "show", dossier_id)  # type: ignore[arg-type]
    assert (dossier["status"], dossier["visibility"]) == ("draft", "community")
    assert dossier["patient"]["identifier"] == "PID-LOUPE"
    assert [e["patient_id"] for e in dossier["steps"][0]["exams"]] == ["PID-LOUPE"]


def test_ctrl_c_or_cancel_leaves_nothing(flows: object, flow_platform: FlowPlatform) -> None:
    before = ok(flows, REQUESTER, "dossier", "list")["total"]  # type: ignore[arg-type]
    child = spawn(flow_platform, REQUESTER.username, "dossier", "create")
    answer(child, "Who sees this dossier?", ENTER)
    answer(child, "Establishment", CTRL_C)
    assert finish(child) == 130

    child = spawn(flow_platform, REQUESTER.username, "dossier", "create",
                  "--to", "CHU Lyon/Neuroradiologie", "--visibility", "me",
                  "--patient-name", "Annule", "--patient-id", "PID-X", "--comment", "")  # fmt: skip
    answer(child, "Add a DICOM exam?", ENTER)
    answer(child, "Document to attach", ENTER)
    answer(child, "What now?", DOWN, DOWN, ENTER)
    child.expect_exact("nothing was created")
    assert finish(child) == 130
    assert ok(flows, REQUESTER, "dossier", "list")["total"] == before  # type: ignore[arg-type]


def test_ack_shows_what_is_acknowledged_and_asks_ok(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    dossier = new_dossier(flows, tmp_path, "PID-ACK", "--send")  # type: ignore[arg-type]
    child = spawn(flow_platform, EXPERT.username, "ack", str(dossier["id"]))
    child.expect_exact("PID-ACK-compte-rendu.pdf")
    answer(child, "Acknowledge receipt?", "n")
    assert finish(child) == 130
    assert ok(flows, EXPERT, "dossier", "show", str(dossier["id"]))["status"] == "sent"  # type: ignore[arg-type]

    unread(flows, REQUESTER)  # type: ignore[arg-type]
    child = spawn(flow_platform, EXPERT.username, "ack", str(dossier["id"]))
    answer(child, "Acknowledge receipt?", "y")
    child.expect_exact("acknowledged")
    assert finish(child) == 0
    assert unread(flows, REQUESTER) == [("dossier_acknowledged", dossier["id"])]  # type: ignore[arg-type]


def test_invite_offers_a_known_professional_then_confirms(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    dossier = new_dossier(flows, tmp_path, "PID-INV", "--send")  # type: ignore[arg-type]
    dossier_id = str(dossier["id"])
    child = spawn(flow_platform, REQUESTER.username, "invite", dossier_id, "--last-name",
                  "Simon", "--first-name", "Claire", "--phone", "0612345679")  # fmt: skip
    child.expect_exact("already knows")
    answer(child, "What now?", DOWN, ENTER)
    child.expect_exact("now a correspondent")
    assert finish(child) == 0
    shown = ok(flows, REQUESTER, "dossier", "show", dossier_id)  # type: ignore[arg-type]
    assert "SIMON Claire" in [c["label"] for c in shown["correspondents"]]

    child = spawn(flow_platform, REQUESTER.username, "invite", dossier_id,
                  "--last-name", "Dupont", "--first-name", "José",
                  "--email", "jose.dupont@clinique.example")  # fmt: skip
    child.expect_exact("jose.dupont@clinique.example")
    child.expect_exact("responsible")
    answer(child, "Invite? [Inviter]", "y")
    child.expect_exact("Invitation sent to Dupont José")
    assert finish(child) == 0
    assert len(flow_platform.outbox.to("jose.dupont@clinique.example")) == 2


def test_watch_prints_new_notifications_until_ctrl_c(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    dossier = new_dossier(flows, tmp_path, "PID-W", "--send")  # type: ignore[arg-type]
    unread(flows, REQUESTER)  # type: ignore[arg-type]
    child = spawn(flow_platform, REQUESTER.username, "notifications", "--watch", "--interval", "1")
    child.expect_exact("Watching for new notifications")
    ok(flows, EXPERT, "step", "add", str(dossier["id"]), "--kind", "answer")  # type: ignore[arg-type]
    child.expect_exact(f"MARTIN Pierre added a step to dossier {dossier['id']}: Answer [Réponse]")
    child.sendintr()
    child.expect_exact("Stopped watching.")
    assert finish(child) == 0


def test_create_ticks_a_study_found_on_the_pacs_after_a_search_that_finds_nothing(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    from tests.dicom_factory import QueryRetrieveSCP
    from tests.e2e.test_pacs_flows import add_node

    study = write_sample_study(tmp_path / "pacs", patient_name="PETIT^Noé", patient_id="PID-QRT")
    write_sample_study(tmp_path / "pacs" / "other", patient_name="AUTRE^X", patient_id="PID-Z")
    scp = QueryRetrieveSCP(tmp_path / "pacs").start()
    try:
        add_node(flows, REQUESTER.username, "hopital", scp.port, scp.ae_title)  # type: ignore[arg-type]
        child = spawn(flow_platform, REQUESTER.username, "dossier", "create", "--send",
                      "--to", "CHU Lyon/Neuroradiologie", "--visibility", "me", "--comment", "",
                      "--patient-name", "Petit", "--patient-id", "PID-QRT")  # fmt: skip
        answer(child, "Add a DICOM exam?", DOWN, DOWN, ENTER)
        answer(child, "Which PACS?", ENTER)
        answer(child, "Patient name", CTRL_U, "NOBODY", ENTER)  # a search that finds nothing
        for question in ("Identifier", "Exam date", "Modality", "Appointment"):
            answer(child, question, ENTER)
        child.expect_exact("No study matches.")
        answer(child, "What now?", ENTER)  # choose another exam: back to the exam choice
        answer(child, "Add a DICOM exam?", DOWN, DOWN, ENTER)
        answer(child, "Which PACS?", ENTER)
        for question in ("Patient name", "Identifier", "Exam date", "Modality", "Appointment"):
            answer(child, question, ENTER)
        answer(child, "Which studies?")
        answer(child, "PID-QRT", " ", ENTER)
        answer(child, "Add a DICOM exam?", ENTER)
        answer(child, "Document to attach", ENTER)
        child.expect(r"Dossier (\d+) sent")
        dossier_id = child.match.group(1)
        assert finish(child) == 0
    finally:
        scp.stop()
    dossier = ok(flows, REQUESTER, "dossier", "show", dossier_id)  # type: ignore[arg-type]
    exams = dossier["steps"][0]["exams"]
    assert [e["study_instance_uid"] for e in exams] == [study.study_instance_uid]
