"""Identity differences as people read them: the side-by-side table in both languages."""

from __future__ import annotations

from datetime import date

import pytest

from ortif_cli.dicom.identity import FieldDiff, PatientIdentity
from ortif_cli.identity_report import diff_values, field_label, side_by_side

DOSSIER = PatientIdentity("Garcia", "Ana", "PID-GAR", date(1981, 2, 2))
STUDY = PatientIdentity("LEFÈVRE", "Hélène", "PID-GAR", date(1970, 2, 14))


def lines_of(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_the_table_in_english_marks_the_lines_that_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORTIF_LANG", "en")
    table = lines_of(side_by_side("1.2.3", DOSSIER, STUDY))
    assert table == [
        ["The", "study", "1.2.3", "is", "not", "this", "dossier's", "patient:"],
        ["Dossier", "Study"],
        ["Last", "name", "Garcia", "≠", "LEFÈVRE"],
        ["First", "name", "Ana", "≠", "Hélène"],
        ["Born", "1981-02-02", "≠", "1970-02-14"],
        ["Identifier", "PID-GAR", "PID-GAR"],
    ]


def test_the_table_in_french_names_the_fields_as_the_kit_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORTIF_LANG", "fr")
    found = PatientIdentity("GARCIA", None, "PID-X", date(1981, 2, 2), "281029912345678")
    dossier = PatientIdentity("García", "Ana", "PID-GAR", date(1981, 2, 2), "281029912345699")
    table = side_by_side("1.2.3", dossier, found).splitlines()
    assert table[1].split() == ["Télédossier", "Étude"]
    assert table[2].split() == ["Nom", "García", "GARCIA"]  # the same name, once normalized
    assert table[3].split() == ["Prénom", "Ana"]
    assert table[4].split() == ["Né(e)", "le", "02/02/1981", "02/02/1981"]
    assert table[5].split() == ["Identifiant", "PID-GAR", "≠", "PID-X"]
    assert table[6].split() == ["INS", "281029912345699", "≠", "281029912345678"]
    columns = {line.index("≠") for line in table[5:]}
    assert len(columns) == 1, table


def test_a_warning_names_the_field_and_writes_dates_as_people_read_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORTIF_LANG", "fr")
    born = FieldDiff("birth_date", "1981-02-02", "1970-02-14")
    assert (field_label(born.field), diff_values(born)) == (
        "Né(e) le",
        ("02/02/1981", "14/02/1970"),
    )
    assert field_label("patient_id") == "Identifiant"
    assert diff_values(FieldDiff("patient_id", "A", "B")) == ("A", "B")
