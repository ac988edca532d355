"""The workflow's pure parts: patient flags and INS rules, contacts, pull layout, guests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ortif_cli.api.models import (
    NIR_OID,
    Document,
    Dossier,
    Manifest,
    ManifestExam,
    ManifestInstance,
    Patient,
    UserRef,
)
from ortif_cli.credentials import StoredSession
from ortif_cli.errors import AuthError, ForbiddenError, UsageError
from ortif_cli.guest import check_not_ended, refuse_guest
from ortif_cli.invitations import Contact, normalise_phone
from ortif_cli.patients import PatientFlags, from_flags
from ortif_cli.pull import plan, safe_name


def test_patient_flags_need_name_and_identifier() -> None:
    with pytest.raises(UsageError, match="--patient-name"):
        from_flags(PatientFlags(id="PID"))
    with pytest.raises(UsageError, match="--patient-id"):
        from_flags(PatientFlags(name="DUPONT"))


def test_patient_flags_accept_both_date_forms() -> None:
    a = from_flags(PatientFlags(name="Dupont", id="1", birth_date="14/02/1970", sex="f"))
    b = from_flags(PatientFlags(name="Dupont", id="1", birth_date="1970-02-14"))
    assert a.birth_date == b.birth_date == date(1970, 2, 14)
    assert a.sex == "F"
    with pytest.raises(UsageError, match="--patient-birth-date"):
        from_flags(PatientFlags(name="Dupont", id="1", birth_date="31/02/1970"))


def test_ins_only_for_a_qualified_identity() -> None:
    with pytest.raises(UsageError, match="qualified"):
        from_flags(PatientFlags(name="Dupont", id="1", ins="170027512345678"))
    qualified = from_flags(
        PatientFlags(
            name="Dupont", id="1", ins="1 70 02 75 123 456 78", identity_status="qualified"
        )
    )
    assert qualified.ins_matricule == "170027512345678"
    assert qualified.ins_oid == NIR_OID
    body = qualified.to_json()
    assert body["identity_status"] == "qualified"
    assert body["ins_oid"] == NIR_OID
    with pytest.raises(UsageError, match="15 digits"):
        from_flags(PatientFlags(name="D", id="1", ins="12", identity_status="qualified"))
    with pytest.raises(UsageError, match="INSEE"):
        from_flags(PatientFlags(name="D", id="1", birthplace="Paris"))


def test_flags_override_what_an_exam_says() -> None:
    base = Patient("LEFEVRE", "PID-1", "Helene", date(1970, 2, 14))
    patient = from_flags(PatientFlags(first_name="Hélène", sex="F"), base)
    assert (patient.last_name, patient.identifier, patient.first_name) == (
        "LEFEVRE",
        "PID-1",
        "Hélène",
    )


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_phone_numbers_become_e164(typed: str, e164: str) -> None:
    assert normalise_phone(typed) == e164


def test_contact_needs_email_or_phone_and_checks_them() -> None:
    with pytest.raises(UsageError, match="email address or a phone number"):
        Contact.checked("Dupont", "José", None, None)
    with pytest.raises(UsageError, match="--email"):
        Contact.checked("Dupont", "José", "not-an-address", None)
    with pytest.raises(UsageError, match="--phone"):
        Contact.checked("Dupont", "José", None, "12")
    contact = Contact.checked(" Dupont ", "José", "Docteur.Dupont@CHU.fr", "06 12 34 56 78")
    assert contact.to_json() == {
        "last_name": "Dupont",
        "first_name": "José",
        "email": "Docteur.Dupont@chu.fr",
        "phone": "+33612345678",
    }


def test_safe_names_are_readable_and_harmless() -> None:
    assert safe_name("LEFÈVRE^Hélène (PID/1)") == "LEFEVRE Helene (PID 1)"
    assert safe_name("../../etc/passwd") == "etc passwd"
    assert safe_name("\x00\x1f") == "unnamed"
    assert len(safe_name("x" * 500)) <= 80


def _dossier() -> Dossier:
    user = UserRef(1, "u", "DURAND", "Marie")
    now = datetime(2026, 11, 26, tzinfo=timezone.utc)
    patient = Patient("Lefèvre", "PID-1", "Hélène")
    return Dossier(1, "imaging-transfer", "sent", "me", None, user, (), patient, now, now, None)


def test_pull_plan_lays_out_patient_study_series() -> None:
    def instance(series: str, number: int, sop: str) -> ManifestInstance:
        return ManifestInstance(sop, series, "AXIAL", "CT", number, 10, "0" * 64)

    exam = ManifestExam(
        "1.2.3",
        "LEFEVRE^Helene",
        "CT THORAX",
        (instance("1.9.1", 2, "1.8.2"), instance("1.9.1", 1, "1.8.1"), instance("1.9.2", 1, "3")),
    )
    document = Document(7, "compte rendu.pdf", "application/pdf", 5, "1" * 64)
    files = plan(_dossier(), Manifest((exam,), (document, document)), Path("/out"))
    names = [str(f.target.relative_to("/out")) for f in files]
    assert names == [
        "Lefevre Helene (PID-1)/CT THORAX/01 CT AXIAL/IMG0001.dcm",
        "Lefevre Helene (PID-1)/CT THORAX/01 CT AXIAL/IMG0002.dcm",
        "Lefevre Helene (PID-1)/CT THORAX/02 CT AXIAL/IMG0001.dcm",
        "Lefevre Helene (PID-1)/documents/compte rendu.pdf",
        "Lefevre Helene (PID-1)/documents/compte rendu (2).pdf",
    ]
    assert files[0].url.endswith("/instances/1.8.1")


def test_guest_limits_and_end_of_access() -> None:
    past = datetime.now(timezone.utc) - timedelta(days=1)
    guest = StoredSession("t", kind="guest", expires_at=past)
    with pytest.raises(AuthError, match=f"ended on {past.date().isoformat()}"):
        check_not_ended(guest)
    with pytest.raises(ForbiddenError, match="only read the dossier"):
        refuse_guest(guest, "dossier list")
    refuse_guest(StoredSession("t"), "dossier list")
    check_not_ended(StoredSession("t", expires_at=past))
