"""Dates and names as people type them in `ortif exam find`."""

from __future__ import annotations

from datetime import date

import pytest

from ortif_cli.dicom.query import (
    DateRange,
    StudyMatch,
    StudyQuery,
    parse_date_range,
    parse_day,
    qido_params,
)
from ortif_cli.errors import UsageError

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("text", ["2026-11-20", "20/11/2026", "20261120"])
def test_day_formats(text: str) -> None:
    assert parse_day(text) == date(2026, 11, 20)


def test_relative_days() -> None:
    assert parse_day("today", today=TODAY) == TODAY
    assert parse_day("Yesterday", today=TODAY) == date(2026, 11, 25)


def test_ranges() -> None:
    assert parse_date_range("2026-11-01..20/11/2026").to_dicom() == "20261101-20261120"
    assert parse_date_range("20261101..").to_dicom() == "20261101-"
    assert parse_date_range("..yesterday", today=TODAY).to_dicom() == "-20261125"
    assert parse_date_range("today", today=TODAY).to_dicom() == "20261126"
    with pytest.raises(UsageError):
        parse_date_range("2026-11-20..2026-11-01")
    with pytest.raises(UsageError):
        parse_date_range("..")
    with pytest.raises(UsageError):
        parse_day("31/02/2026")


def match(name: str) -> StudyMatch:
    return StudyMatch("1.2", name, "PID", None, date(2026, 11, 20), ["CT"])


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("lefevre", "LEFÈVRE^Hélène", True),
        ("LEFÈVRE^HÉLÈNE", "LEFÈVRE^Hélène", True),
        ("*helene", "LEFÈVRE^Hélène", True),
        ("d?pont*", "DUPONT^José", True),
        ("n'guyen", "N'GUYEN^Anh", True),
        ("martin", "LEFÈVRE^Hélène", False),
    ],
)
def test_names_fold_case_and_accents(pattern: str, name: str, expected: bool) -> None:
    assert StudyQuery(patient_name=pattern).matches(match(name)) is expected


def test_qido_parameters() -> None:
    query = StudyQuery(
        patient_name="dupont", study_date=DateRange(date(2026, 11, 1), None), modality="ct"
    )
    assert qido_params(query) == {
        "PatientName": "dupont*",
        "StudyDate": "20261101-",
        "ModalitiesInStudy": "CT",
    }


def test_a_qualified_ins_must_match_the_study(tmp_path: object) -> None:
    from datetime import date as day

    from ortif_cli.api.models import Patient
    from ortif_cli.dicom.identity import PatientIdentity
    from ortif_cli.errors import IdentityMismatch
    from ortif_cli.transfer import _judge, dossier_identity

    patient = Patient(
        "DUPONT",
        "PID-9",
        "José",
        day(1970, 2, 14),
        ins_matricule="123456789012345",
        identity_status="qualified",
    )
    expected = dossier_identity(patient)
    same = PatientIdentity("DUPONT", "JOSE", "OTHER-ID", day(1970, 2, 14), "123456789012345")
    warnings = _judge("1.2", expected, same, None)
    assert [w.field for w in warnings] == ["patient_id"]  # a differing identifier only warns
    other = PatientIdentity("DUPONT", "José", "PID-9", day(1970, 2, 14), "999999999999999")
    with pytest.raises(IdentityMismatch) as raised:
        _judge("1.2", expected, other, None)
    assert "INS" in raised.value.message and "≠" in raised.value.message
    assert _judge("1.2", expected, other, "checked by phone")  # accepted: kept as warnings
