"""`dossier create` at a real terminal in French and in English: every word in the
user's language, the identity table, and the way back to the exam choice."""

from __future__ import annotations

import re
from pathlib import Path

import pexpect
import pytest

from ortif_cli.dicom.sample import write_sample_study
from tests.conftest import EXPERT, REQUESTER
from tests.e2e.conftest import FlowPlatform
from tests.e2e.terminal import CTRL_U, DOWN, ENTER, answer, finish, screen, spawn_ortif
from tests.e2e.test_flows import new_dossier, ok

pytestmark = pytest.mark.e2e

QUESTIONARY_ENGLISH = re.compile(
    r"Use arrow keys|Use shortcuts|to select|to toggle|to invert|type to filter"
    r"|\(y/N\)|\(Y/n\)|\bYes\b|\bNo\b|\bdone\b|selections\)"
)
"""questionary's own English words: its instructions and its printed answers."""


ANSWERED = ("--to", "CHU Lyon/Neuroradiologie", "--visibility", "me", "--comment", "")
"""Flags for the questions before the exams, so that a test starts at the exam choice."""


def create(platform: FlowPlatform, language: str, *flags: str) -> pexpect.spawn:
    server = ("--server", platform.url, "--profile", REQUESTER.username)
    return spawn_ortif(*server, "dossier", "create", *flags, language=language)


def test_a_french_radiographer_picks_the_wrong_exam_then_the_right_one(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    write_sample_study(tmp_path / "autre", patient_name="LEFÈVRE^Hélène",
                       patient_id="PID-LEF", birth_date="19700214")  # fmt: skip
    right = write_sample_study(tmp_path / "bon", patient_name="GARCIA^Ana",
                               patient_id="PID-GAR", birth_date="19810202")  # fmt: skip
    child = create(flow_platform, "fr")
    answer(child, "Qui voit ce télédossier ?")
    answer(child, "(utilisez les flèches)", ENTER)
    answer(child, "Établissement", "lyon", ENTER)
    answer(child, "Communauté", "neuro", ENTER)
    answer(child, "Correspondant :", "martin", ENTER)
    answer(child, "(o/N)", "n")
    answer(child, "Patient :", DOWN, ENTER)
    answer(child, "Nom (requis)", "Garcia", ENTER)
    answer(child, "Prénom", "Ana", ENTER)
    answer(child, "Né(e) le", "02/02/1981", ENTER)
    answer(child, "Sexe", DOWN, DOWN, ENTER)
    answer(child, "Identifiant (requis)", "PID-GAR", ENTER)
    answer(child, "Commentaire", "Avis, merci.", ENTER)
    answer(child, "Ajouter un examen DICOM ?", DOWN, ENTER)
    answer(child, "Répertoire :", str(tmp_path / "autre"), ENTER)
    answer(child, "<espace> pour cocher")
    answer(child, "20/11/2026", " ", ENTER)  # the study list, dates as people read them
    answer(child, "Séries de", ENTER)  # every series kept
    child.expect_exact("ne concerne pas le patient de ce télédossier")
    answer(child, "Que faire ?")
    shown = screen(child)
    assert re.search(r"Télédossier\s+Étude", shown), shown
    assert re.search(r"Nom\s+Garcia\s+≠ LEFÈVRE", shown), shown
    assert re.search(r"Prénom\s+Ana\s+≠ Hélène", shown), shown
    assert re.search(r"Né\(e\) le\s+02/02/1981\s+≠ 14/02/1970", shown), shown
    assert re.search(r"Identifiant\s+PID-GAR\s+≠ PID-LEF", shown), shown
    answer(child, "Choisir un autre examen", ENTER)
    answer(child, "Ajouter un examen DICOM ?", DOWN, ENTER)
    answer(child, "Répertoire :", str(tmp_path / "bon"), ENTER)
    answer(child, "<espace> pour cocher", " ", ENTER)
    answer(child, "Séries de", ENTER)  # every series kept
    answer(child, "Ajouter un examen DICOM ?", ENTER)
    answer(child, "Document joint", ENTER)
    child.expect_exact("né(e) le 02/02/1981")
    answer(child, "Que faire ?", ENTER)
    child.expect(r"Télédossier (\d+) envoyé")
    dossier_id = child.match.group(1)
    assert finish(child) == 0
    assert "Ajouter un autre correspondant ? Non" in screen(child)
    assert "Quelles études ? 1 coché" in screen(child)
    assert not QUESTIONARY_ENGLISH.findall(screen(child)), screen(child)

    dossier = ok(flows, REQUESTER, "dossier", "show", dossier_id)  # type: ignore[arg-type]
    assert dossier["status"] == "sent"
    assert dossier["patient"]["last_name"] == "Garcia"
    exams = dossier["steps"][0]["exams"]
    assert [e["study_instance_uid"] for e in exams] == [right.study_instance_uid]


def test_in_french_an_empty_folder_then_a_mistyped_birth_date_are_corrected(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    (tmp_path / "vide").mkdir()
    study = write_sample_study(tmp_path / "cd", patient_name="PETIT^Noé",
                               patient_id="PID-NOE", birth_date="20010907")  # fmt: skip
    patient = ("--patient-name", "Petit", "--patient-first-name", "Noé",
               "--patient-id", "PID-NOE", "--patient-birth-date", "07/09/2010")  # fmt: skip
    child = create(flow_platform, "fr", *ANSWERED, *patient)
    child.expect_exact("Patient : Petit Noé (PID-NOE, né(e) le 07/09/2010)")
    answer(child, "Ajouter un examen DICOM ?", DOWN, ENTER)
    answer(child, "Répertoire :", str(tmp_path / "vide"), ENTER)
    child.expect_exact("Aucune étude DICOM dans")
    answer(child, "Que faire ?", ENTER)  # choose another exam
    answer(child, "Ajouter un examen DICOM ?", DOWN, ENTER)
    answer(child, "Répertoire :", str(tmp_path / "cd"), ENTER)
    answer(child, "<espace> pour cocher", " ", ENTER)
    answer(child, "Séries de", ENTER)  # every series kept
    child.expect_exact("ne concerne pas le patient de ce télédossier")
    answer(child, "Que faire ?", DOWN, ENTER)  # correct the patient
    answer(child, "Nom (requis)", ENTER)
    answer(child, "Prénom", ENTER)
    answer(child, "Né(e) le", CTRL_U, "07/09/2001", ENTER)
    answer(child, "Identifiant (requis)", ENTER)
    answer(child, "Ajouter un examen DICOM ?", ENTER)  # the study was kept: no more exams
    answer(child, "Document joint", ENTER)
    child.expect_exact("Petit Noé (PID-NOE, né(e) le 07/09/2001)")
    answer(child, "Que faire ?", DOWN, ENTER)  # keep as a draft
    child.expect(r"Télédossier (\d+) gardé en brouillon")
    dossier_id = child.match.group(1)
    assert finish(child) == 0
    assert not QUESTIONARY_ENGLISH.findall(screen(child)), screen(child)

    dossier = ok(flows, REQUESTER, "dossier", "show", dossier_id)  # type: ignore[arg-type]
    assert dossier["patient"]["birth_date"] == "2001-09-07"
    assert dossier["patient"]["first_name"] == "Noé"
    exams = dossier["steps"][0]["exams"]
    assert [e["study_instance_uid"] for e in exams] == [study.study_instance_uid]


def test_in_english_the_table_then_keep_the_dossier_as_a_draft(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    write_sample_study(tmp_path / "cd", patient_name="MOREAU^Luc",
                       patient_id="PID-MOR", birth_date="19550312")  # fmt: skip
    patient = ("--patient-name", "Bernard", "--patient-id", "PID-BER",
               "--patient-birth-date", "12/03/1956")  # fmt: skip
    child = create(flow_platform, "en", *ANSWERED, "--send", *patient)
    answer(child, "Add a DICOM exam?")
    answer(child, "(Use arrow keys)", DOWN, ENTER)
    answer(child, "Folder:", str(tmp_path / "cd"), ENTER)
    answer(child, "<space> to tick", " ", ENTER)
    answer(child, "Series of", ENTER)  # every series kept
    child.expect_exact("is not this dossier's patient")
    answer(child, "What now?", DOWN, DOWN, ENTER)  # keep as a draft
    shown = screen(child)
    assert re.search(r"Dossier\s+Study", shown), shown
    assert re.search(r"Last name\s+Bernard\s+≠ MOREAU", shown), shown
    assert re.search(r"Born\s+1956-03-12\s+≠ 1955-03-12", shown), shown
    assert re.search(r"Identifier\s+PID-BER\s+≠ PID-MOR", shown), shown
    child.expect_exact("add the exam later with `ortif exam add`")
    answer(child, "Document to attach", ENTER)
    child.expect(r"Dossier (\d+) kept as a draft")
    dossier_id = child.match.group(1)
    assert finish(child) == 0
    assert "Which studies? 1 ticked" in screen(child)
    dossier = ok(flows, REQUESTER, "dossier", "show", dossier_id)  # type: ignore[arg-type]
    assert dossier["status"] == "draft"
    assert dossier["steps"][0]["exams"] == []


def test_ack_in_french_takes_o_for_oui(
    flows: object, flow_platform: FlowPlatform, tmp_path: Path
) -> None:
    dossier = new_dossier(flows, tmp_path, "PID-ACK-FR", "--send")  # type: ignore[arg-type]
    server = ("--server", flow_platform.url, "--profile", EXPERT.username)
    child = spawn_ortif(*server, "ack", str(dossier["id"]), language="fr")
    child.expect_exact("PID-ACK-FR-compte-rendu.pdf")
    answer(child, "Accuser réception ? Cela clôt le télédossier. [OK]")
    answer(child, "(o/N)", "o")
    child.expect_exact(f"Accusé de réception du télédossier {dossier['id']} envoyé")
    assert finish(child) == 0
    assert "Cela clôt le télédossier. [OK] Oui" in screen(child)
    assert not QUESTIONARY_ENGLISH.findall(screen(child)), screen(child)
    assert ok(flows, EXPERT, "dossier", "show", str(dossier["id"]))["status"] == "closed"  # type: ignore[arg-type]
