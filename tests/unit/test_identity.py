"""PatientIdentity from DICOM values, name normalization and identity comparison."""

from __future__ import annotations

from datetime import date

import pytest

from ortif_cli.dicom.identity import (
    FieldDiff,
    PatientIdentity,
    compare,
    normalize_name,
    parse_date,
)

HELENE = PatientIdentity("LEFÈVRE", "Hélène", "PID-001", date(1970, 2, 14))


@pytest.mark.parametrize(
    ("patient_name", "last_name", "first_name"),
    [
        ("LEFÈVRE^Hélène", "LEFÈVRE", "Hélène"),
        ("DUPONT^José^Maria^Dr^Jr", "DUPONT", "José"),
        ("N'GUYEN", "N'GUYEN", None),
        (" MARTIN ^ Paul ", "MARTIN", "Paul"),
        ("YAMADA^Tarou=山田^太郎=やまだ^たろう", "YAMADA", "Tarou"),
        ("DOE^John\\DOE^Johnny", "DOE", "John"),
        ("", "", None),
        (None, "", None),
    ],
)
def test_from_dicom_splits_the_person_name(
    patient_name: str | None, last_name: str, first_name: str | None
) -> None:
    identity = PatientIdentity.from_dicom(patient_name)
    assert (identity.last_name, identity.first_name) == (last_name, first_name)


def test_from_dicom_reads_identifier_and_birth_date() -> None:
    assert PatientIdentity.from_dicom("LEFÈVRE^Hélène", " PID-001 ", "19700214") == HELENE
    assert PatientIdentity.from_dicom("X", "", "") == PatientIdentity("X")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19700214", date(1970, 2, 14)),
        ("19700214 ", date(1970, 2, 14)),
        ("1970.02.14", date(1970, 2, 14)),
        ("19701341", None),
        ("1970", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, expected: date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Lefèvre", "LEFEVRE"),
        ("LEFÈVRE^Hélène", "LEFEVRE HELENE"),
        ("N'Guyen", "N GUYEN"),
        ("N’GUYEN", "N GUYEN"),
        ("Jean-Pierre", "JEAN PIERRE"),
        ("  de   la  Tour ", "DE LA TOUR"),
        ("BŒUF", "BOEUF"),
        ("Lætitia", "LAETITIA"),
        ("Strauß", "STRAUSS"),
    ],
)
def test_normalize_name(name: str, normalized: str) -> None:
    assert normalize_name(name) == normalized


def test_same_identity_written_differently_is_ok() -> None:
    found = PatientIdentity("lefevre", "HELENE", "PID-001", date(1970, 2, 14))
    check = compare(HELENE, found)
    assert check.ok
    assert (check.mismatches, check.warnings) == ([], [])


@pytest.mark.parametrize(("expected", "found"), [("N'GUYEN", "NGUYEN"), ("NGUYEN", "N GUYEN")])
def test_apostrophes_and_spaces_inside_a_name_do_not_matter(expected: str, found: str) -> None:
    assert compare(PatientIdentity(expected), PatientIdentity(found)).ok


def test_another_last_name_is_a_mismatch() -> None:
    check = compare(HELENE, PatientIdentity("MARTIN", "Hélène", "PID-001", date(1970, 2, 14)))
    assert not check.ok
    assert check.mismatches == [FieldDiff("last_name", "LEFÈVRE", "MARTIN")]


def test_another_first_name_is_a_mismatch() -> None:
    check = compare(HELENE, PatientIdentity("LEFEVRE", "Paul", "PID-001", date(1970, 2, 14)))
    assert check.mismatches == [FieldDiff("first_name", "Hélène", "Paul")]


def test_a_first_name_missing_on_either_side_is_no_mismatch() -> None:
    assert compare(PatientIdentity("LEFÈVRE"), HELENE).ok
    assert compare(HELENE, PatientIdentity("LEFÈVRE")).ok


def test_another_birth_date_is_a_mismatch_a_missing_one_is_not() -> None:
    other = PatientIdentity("LEFÈVRE", "Hélène", "PID-001", date(1970, 12, 4))
    assert compare(HELENE, other).mismatches == [
        FieldDiff("birth_date", "1970-02-14", "1970-12-04")
    ]
    assert compare(HELENE, PatientIdentity("LEFÈVRE", "Hélène")).ok
    assert compare(PatientIdentity("LEFÈVRE", "Hélène"), HELENE).ok


def test_another_identifier_is_only_a_warning() -> None:
    check = compare(HELENE, PatientIdentity("LEFÈVRE", "Hélène", "IPP-77", date(1970, 2, 14)))
    assert check.ok
    assert check.warnings == [FieldDiff("patient_id", "PID-001", "IPP-77")]


def test_every_difference_is_listed() -> None:
    check = compare(HELENE, PatientIdentity("MARTIN", "Paul", "IPP-77", date(1980, 1, 1)))
    assert [d.field for d in check.mismatches] == ["last_name", "first_name", "birth_date"]
    assert [d.field for d in check.warnings] == ["patient_id"]
