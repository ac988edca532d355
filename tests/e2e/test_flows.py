"""The five flows of WORKFLOW.md, end to end through the CLI, with five people and a guest."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ortif_cli.credentials import StoredSession, load_session, save_session
from ortif_cli.dicom.sample import write_sample_study
from ortif_cli.localserver import Account
from tests.conftest import EXPERT, OUTSIDER, REQUESTER, Ortif, Result
from tests.e2e.conftest import COLLEAGUE, PEOPLE, THIRD, FlowPlatform

pytestmark = pytest.mark.e2e


def run(ortif: Ortif, who: Account, *args: str, input: str | None = None) -> Result:
    return ortif("--profile", who.username, *args, input=input)


def ok(ortif: Ortif, who: Account, *args: str, input: str | None = None) -> Any:
    result = run(ortif, who, "--json", *args, input=input)
    assert result.exit_code == 0, result.stderr
    return result.json()


def unread(ortif: Ortif, who: Account) -> list[tuple[str, int]]:
    items = ok(ortif, who, "notifications", "--unread", "--read-all")["items"]
    return [(n["kind"], n["dossier_id"]) for n in items]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_dossier(
    ortif: Ortif, tmp_path: Path, pid: str, *extra: str, name: str = "Lefèvre"
) -> dict[str, Any]:
    write_sample_study(tmp_path / pid, patient_name=f"{name.upper()}^Hélène", patient_id=pid)
    report = tmp_path / f"{pid}-compte-rendu.pdf"
    report.write_bytes(b"%PDF-1.4 report for " + pid.encode())
    return ok(  # type: ignore[no-any-return]
        ortif, REQUESTER, "dossier", "create",
        "--to", "CHU Lyon/Neuroradiologie/Martin",
        "--patient-name", name, "--patient-first-name", "Hélène",
        "--patient-id", pid, "--patient-birth-date", "14/02/1970", "--patient-sex", "F",
        "--comment", "Avis sur scanner, merci.",
        "--exam-dir", str(tmp_path / pid), "--attach", str(report),
        *extra,
    )  # fmt: skip


def clear_news(ortif: Ortif) -> None:
    for person in PEOPLE:
        unread(ortif, person)


def test_flow1_send_imaging_notifies_exactly_the_correspondents(
    flows: Ortif, tmp_path: Path
) -> None:
    clear_news(flows)
    dossier = new_dossier(flows, tmp_path, "PID-F1", "--to", "Hôpital Foch/Neurochirurgie")
    assert dossier["status"] == "draft"
    request = dossier["steps"][0]
    assert len(request["exams"]) == 1
    assert [d["filename"] for d in request["documents"]] == ["PID-F1-compte-rendu.pdf"]
    assert unread(flows, EXPERT) == []  # a draft notifies nobody

    sent = ok(flows, REQUESTER, "dossier", "send", str(dossier["id"]))
    assert sent["status"] == "sent"
    news = ("dossier_sent", dossier["id"])
    assert unread(flows, EXPERT) == [news]
    assert unread(flows, THIRD) == [news]  # a member of a correspondent community
    for person in (REQUESTER, COLLEAGUE, OUTSIDER):
        assert unread(flows, person) == []

    shown = run(flows, THIRD, "dossier", "show", str(dossier["id"]))
    assert shown.exit_code == 0, shown.stderr
    assert "Request [Demande]" in shown.stdout
    assert "document: PID-F1-compte-rendu.pdf" in shown.stdout
    assert run(flows, OUTSIDER, "dossier", "show", str(dossier["id"])).exit_code == 5


def test_flow1_method2_from_an_exam_fills_the_patient(flows: Ortif, tmp_path: Path) -> None:
    write_sample_study(
        tmp_path / "cd", patient_name="MARTIN^Léa", patient_id="PID-M2", birth_date="19881203"
    )
    dossier = ok(
        flows, REQUESTER, "dossier", "create", "--from-exam", "--dir", str(tmp_path / "cd"),
        "--to", "CHU Lyon/Neuroradiologie", "--send",
    )  # fmt: skip
    patient = dossier["patient"]
    assert (patient["last_name"], patient["first_name"], patient["identifier"]) == (
        "MARTIN",
        "Léa",
        "PID-M2",
    )
    assert patient["birth_date"] == "1988-12-03"
    assert dossier["status"] == "sent"
    assert len(dossier["steps"][0]["exams"]) == 1


def test_create_without_input_names_the_missing_flag(flows: Ortif) -> None:
    result = run(flows, REQUESTER, "--no-input", "dossier", "create", "--to", "CHU Lyon/X")
    assert result.exit_code == 2
    assert "--patient-name" in result.stderr
    result = run(flows, REQUESTER, "--no-input", "dossier", "create", "--patient-name", "A")
    assert result.exit_code == 2
    assert "--to" in result.stderr
    result = run(flows, REQUESTER, "dossier", "create", "--dir", ".", "--send", "--draft")
    assert result.exit_code == 2
    result = run(flows, REQUESTER, "dossier", "create", "--local", "--to", "X/Y")
    assert result.exit_code == 2
    assert "--from-exam" in result.stderr


def test_flow2_pull_then_acknowledge(flows: Ortif, tmp_path: Path) -> None:
    dossier = new_dossier(flows, tmp_path, "PID-F2", "--send")
    dossier_id = str(dossier["id"])
    clear_news(flows)

    pulled = ok(flows, EXPERT, "dossier", "pull", dossier_id, "--out", str(tmp_path / "in"))
    folder = Path(pulled["folder"])
    assert folder == tmp_path / "in" / "Lefevre Helene (PID-F2)"
    images = sorted(folder.glob("*/*/*.dcm"))
    assert len(images) == 6
    originals = sorted(sha256(p) for p in (tmp_path / "PID-F2").rglob("*.dcm"))
    assert sorted(sha256(p) for p in images) == originals
    assert (folder / "documents" / "PID-F2-compte-rendu.pdf").read_bytes().startswith(b"%PDF")
    assert not list(folder.rglob("*.part"))

    document = folder / "documents" / "PID-F2-compte-rendu.pdf"
    content = document.read_bytes()
    document.unlink()
    (document.parent / (document.name + ".part")).write_bytes(content[:10])  # cut short
    images[0].unlink()
    images[1].write_bytes(b"damaged")
    again = ok(flows, EXPERT, "dossier", "pull", dossier_id, "--out", str(tmp_path / "in"))
    assert len(again["downloaded"]) == 3
    assert len(again["already_there"]) == 4
    assert sorted(sha256(p) for p in folder.glob("*/*/*.dcm")) == originals
    assert document.read_bytes() == content

    acked = ok(flows, EXPERT, "ack", dossier_id, "--yes", "--comment", "Bien reçu.")
    assert acked["status"] == "closed"
    assert acked["steps"][-1]["kind"] == "ack"
    assert unread(flows, REQUESTER) == [("dossier_acknowledged", dossier["id"])]
    for person in (EXPERT, COLLEAGUE, THIRD, OUTSIDER):
        assert unread(flows, person) == []

    second = run(flows, EXPERT, "ack", dossier_id, "--yes")
    assert second.exit_code == 6, second.stderr
    no_yes = run(flows, EXPERT, "--no-input", "ack", dossier_id)
    assert no_yes.exit_code == 2
    assert "--yes" in no_yes.stderr


def test_steps_answer_and_second_opinion(
    flows: Ortif, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    dossier = new_dossier(flows, tmp_path, "PID-ST", "--send")
    dossier_id = str(dossier["id"])
    clear_news(flows)
    note = tmp_path / "réponse.txt"
    note.write_text("Pas de lésion.", "utf-8")

    answered = ok(
        flows, EXPERT, "step", "add", dossier_id, "--kind", "answer",
        "--comment", "Rien de grave.", "--attach", str(note),
    )  # fmt: skip
    step = answered["steps"][-1]
    assert (step["kind"], step["comment"]) == ("answer", "Rien de grave.")
    assert step["documents"][0]["filename"] == "réponse.txt"
    assert [k for k, _ in unread(flows, REQUESTER)] == ["step_added"]
    assert unread(flows, THIRD) == []

    assert run(flows, THIRD, "dossier", "show", dossier_id).exit_code == 5
    asked = ok(
        flows, EXPERT, "step", "add", dossier_id, "--kind", "second-opinion",
        "--comment", "Votre avis ?", "--to", "Hôpital Foch/Neurochirurgie/Simon",
    )  # fmt: skip
    assert [c["label"] for c in asked["steps"][-1]["correspondents"]] == ["SIMON Claire"]
    assert [k for k, _ in unread(flows, THIRD)] == ["step_added"]
    assert run(flows, THIRD, "dossier", "show", dossier_id).exit_code == 0
    info = ok(flows, THIRD, "step", "add", dossier_id, "--kind", "info", "--comment", "Vu.")
    assert info["steps"][-1]["author"]["username"] == THIRD.username

    invited = run(
        flows, THIRD, "step", "add", dossier_id, "--kind", "second-opinion",
        "--invite-last-name", "Roux", "--invite-first-name", "Anne",
        "--invite-email", "anne.roux@cabinet.example",
    )  # fmt: skip
    assert invited.exit_code == 0, invited.stderr
    assert "Roux Anne is invited" in invited.stderr
    assert len(flow_platform.outbox.to("anne.roux@cabinet.example")) == 2
    only_opinions = run(flows, THIRD, "step", "add", dossier_id, "--kind", "info",
                        "--invite-last-name", "Roux")  # fmt: skip
    assert only_opinions.exit_code == 2

    wrong = run(flows, OUTSIDER, "step", "add", dossier_id, "--kind", "answer")
    assert wrong.exit_code == 5
    refused = run(flows, EXPERT, "step", "add", dossier_id, "--kind", "answer", "--to", "X/Y")
    assert refused.exit_code == 2


def test_flow3_and_4_invite_a_guest_who_reads_and_answers(
    flows: Ortif, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    if not any(flow_platform.server.serve_args):
        pytest.skip("this ortif-server has no --outbox yet")
    dossier = new_dossier(flows, tmp_path, "PID-G", "--send")
    other = new_dossier(flows, tmp_path, "PID-G2", "--send")
    dossier_id = str(dossier["id"])
    clear_news(flows)

    bad = run(flows, REQUESTER, "invite", dossier_id, "--last-name", "D", "--first-name", "J")
    assert bad.exit_code == 2
    assert "email" in bad.stderr
    invitation = ok(
        flows, REQUESTER, "invite", dossier_id, "--last-name", "Dupont", "--first-name", "José",
        "--email", "docteur.dupont@chu.example", "--phone", "06 12 34 56 78", "--yes",
    )  # fmt: skip
    assert invitation["phone"] == "+33612345678"
    assert (invitation["link_channel"], invitation["code_channel"]) == ("email", "sms")
    link, code = flow_platform.outbox.guest_access("docteur.dupont@chu.example", "+33612345678")
    assert code not in link

    guest = Ortif()
    signed = guest("--profile", "guest", "login", "--guest", link, "--code-stdin", input=code)
    assert signed.exit_code == 0, signed.stderr

    def as_guest(*args: str, input: str | None = None) -> Result:
        return guest("--profile", "guest", *args, input=input)

    shown = as_guest("dossier", "show", dossier_id)
    assert shown.exit_code == 0, shown.stderr
    assert "Avis sur scanner, merci." in shown.stdout
    pulled = as_guest("--json", "dossier", "pull", dossier_id, "--out", str(tmp_path / "g"))
    assert pulled.exit_code == 0, pulled.stderr
    assert len(pulled.json()["instances"]) == 6
    write_sample_study(
        tmp_path / "guest-cd", patient_name="LEFÈVRE^Hélène", patient_id="PID-G", series=1
    )
    opinion = tmp_path / "avis.txt"
    opinion.write_text("Avis de l'invité.", "utf-8")
    answer = as_guest(
        "--json", "step", "add", dossier_id, "--kind", "answer", "--comment", "Avis de l'invité.",
        "--exam-dir", str(tmp_path / "guest-cd"), "--attach", str(opinion),
    )  # fmt: skip
    assert answer.exit_code == 0, answer.stderr
    step = answer.json()["steps"][-1]
    assert step["guest_author"]["last_name"] == "Dupont"
    assert (len(step["exams"]), len(step["documents"])) == (1, 1)
    news = ok(flows, REQUESTER, "notifications", "--unread")["items"]
    by_guest = [n for n in news if n["kind"] == "step_added"]
    assert [(n["actor"], n["guest_actor"]["last_name"]) for n in by_guest] == [(None, "Dupont")]
    assert {n["kind"] for n in news} <= {"step_added", "invitation_used"}
    shown = run(flows, REQUESTER, "notifications", "--unread")
    assert "Dupont José (guest) added a step to dossier" in shown.stdout

    stored = load_session("guest", flow_platform.url)
    assert stored is not None and stored.kind == "guest" and stored.expires_at is not None
    assert stored.expires_at - datetime.now(timezone.utc) > timedelta(days=89)

    hidden = as_guest("dossier", "show", str(other["id"]))
    assert hidden.exit_code == 5, hidden.stderr
    for command in (["dossier", "list"], ["notifications"], ["ack", dossier_id, "--yes"]):
        refused = as_guest(*command)
        assert refused.exit_code == 4, (command, refused.stderr)
        assert "guest" in refused.stderr


def test_dossier_list_filters_and_pages(flows: Ortif, tmp_path: Path) -> None:
    first = new_dossier(flows, tmp_path, "PID-L1", name="Listé")
    second = new_dossier(flows, tmp_path, "PID-L2", "--send", name="Listé")
    drafts = ok(flows, REQUESTER, "dossier", "list", "--status", "draft", "--patient", "liste")
    assert [d["id"] for d in drafts["items"]] == [first["id"]]
    both = ok(flows, REQUESTER, "dossier", "list", "--patient", "liste", "--sort", "oldest")
    assert [d["id"] for d in both["items"]] == [first["id"], second["id"]]
    page2 = ok(flows, REQUESTER, "dossier", "list", "--patient", "liste", "--limit", "1",
               "--page", "2")  # fmt: skip
    assert ([d["id"] for d in page2["items"]], page2["total"]) == ([first["id"]], 2)
    to = ok(flows, REQUESTER, "dossier", "list", "--to", "Martin", "--patient", "PID-L2")
    assert [d["id"] for d in to["items"]] == [second["id"]]
    ids = run(flows, REQUESTER, "-q", "dossier", "list", "--patient", "liste")
    assert ids.stdout.split() == [str(second["id"]), str(first["id"])]
    csv = run(flows, REQUESTER, "dossier", "list", "--patient", "liste", "--csv")
    assert csv.stdout.splitlines()[0].startswith("id,status,patient")
    news = ok(flows, EXPERT, "dossier", "list", "--unread", "--patient", "liste")
    assert [d["id"] for d in news["items"]] == [second["id"]]

    cancelled = ok(flows, REQUESTER, "dossier", "cancel", str(first["id"]))
    assert cancelled["status"] == "cancelled"
    assert run(flows, REQUESTER, "dossier", "cancel", str(second["id"])).exit_code == 6


def test_an_ended_guest_access_says_when(flows: Ortif, flow_platform: FlowPlatform) -> None:
    ended = datetime(2026, 2, 26, 10, 0, tzinfo=timezone.utc)
    save_session("guest", flow_platform.url, StoredSession("x", kind="guest", expires_at=ended))
    result = Ortif(flow_platform.url)("--profile", "guest", "dossier", "show", "1")
    assert result.exit_code == 3
    assert "Your guest access ended on 2026-02-26." in result.stderr


def test_an_interruption_after_creation_cancels_the_draft(
    flow_platform: FlowPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ortif_cli.api.client import PlatformClient
    from ortif_cli.api.models import CorrespondentRef, Patient
    from ortif_cli.dossiers import DossierRequest, create_dossier

    with PlatformClient(flow_platform.url) as anonymous:
        token = anonymous.login(REQUESTER.username, REQUESTER.password).access_token
    with PlatformClient(flow_platform.url, token) as client:
        expert = client.search_directory("Martin").professionals[0].user

        def interrupted(dossier_id: int) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(client, "send_dossier", interrupted)
        request = DossierRequest(
            [CorrespondentRef("user", expert.id, "")], Patient("Stop", "PID-INT"), send=True
        )
        with pytest.raises(KeyboardInterrupt):
            create_dossier(client, request)
        left = client.list_dossiers(patient="PID-INT")
    assert [d.status for d in left.items] == ["cancelled"]
