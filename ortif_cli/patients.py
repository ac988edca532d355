"""The patient of a dossier, from flags, prompts or an exam's DICOM header (INS model)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ortif_cli.api.models import IDENTITY_STATUSES, NIR_OID, Patient
from ortif_cli.dates import parse_date
from ortif_cli.dicom.identity import PatientIdentity
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _

if TYPE_CHECKING:
    from ortif_cli.dicom.wrap import WrapPatient

SEXES = ("M", "F", "O")
_MATRICULE = re.compile(r"^[0-9]{13}[0-9]{2}$")
_BIRTHPLACE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


@dataclass(frozen=True)
class PatientFlags:
    """The --patient-* options as typed; None where not given."""

    name: str | None = None
    first_name: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    id: str | None = None
    id_issuer: str | None = None
    birthplace: str | None = None
    ins: str | None = None
    ins_oid: str | None = None
    identity_status: str | None = None

    @property
    def given(self) -> bool:
        return any(getattr(self, f) for f in self.__dataclass_fields__)


def check_sex(text: str) -> str:
    sex = text.strip().upper()[:1]
    if sex not in SEXES:
        raise UsageError(_("--patient-sex must be M, F or O, not {text!r}.").format(text=text))
    return sex


def from_flags(flags: PatientFlags, base: Patient | None = None) -> Patient:
    """The patient the flags describe, over `base` (e.g. read from an exam); exit 2 when a
    mandatory value is missing or a value breaks the INS rules."""
    last_name = flags.name or (base.last_name if base else None)
    identifier = flags.id or (base.identifier if base else None)
    if not last_name:
        raise UsageError(_("Missing --patient-name."), hint=_("The patient's last name is needed."))
    if not identifier:
        raise UsageError(_("Missing --patient-id."), hint=_("The patient's identifier is needed."))
    patient = base or Patient(last_name, identifier)
    birth = parse_date(flags.birth_date, "--patient-birth-date") if flags.birth_date else None
    patient = replace(
        patient,
        last_name=last_name.strip(),
        identifier=identifier.strip(),
        first_name=flags.first_name or patient.first_name,
        birth_date=birth or patient.birth_date,
        sex=check_sex(flags.sex) if flags.sex else patient.sex,
        identifier_issuer=flags.id_issuer or patient.identifier_issuer,
        birthplace_code=flags.birthplace or patient.birthplace_code,
        identity_status=flags.identity_status or patient.identity_status,
    )
    return check_ins(patient, flags.ins, flags.ins_oid)


def check_ins(patient: Patient, matricule: str | None, oid: str | None) -> Patient:
    """The server's INS rules, said before anything is sent."""
    if patient.identity_status not in IDENTITY_STATUSES:
        raise UsageError(
            _("--patient-identity-status must be one of {values}.").format(
                values=", ".join(IDENTITY_STATUSES)
            )
        )
    if patient.birthplace_code and not _BIRTHPLACE.match(patient.birthplace_code):
        raise UsageError(
            _("--patient-birthplace must be an INSEE code of 5 characters (e.g. 75056).")
        )
    if not matricule:
        if oid:
            raise UsageError(_("--patient-ins-oid goes with --patient-ins."))
        return patient
    if patient.identity_status != "qualified":
        raise UsageError(
            _("--patient-ins is kept only for a qualified identity."),
            hint=_("Add --patient-identity-status qualified, once the INS has been checked."),
        )
    digits = matricule.replace(" ", "")
    if not _MATRICULE.match(digits):
        raise UsageError(_("--patient-ins must be the 15 digits of the INS matricule."))
    return replace(patient, ins_matricule=digits, ins_oid=oid or NIR_OID)


def from_identity(identity: PatientIdentity) -> Patient:
    """A patient read from a DICOM header; its identifier is the Patient ID."""
    if not identity.patient_id:
        raise UsageError(
            _("The exam has no Patient ID."), hint=_("Give --patient-id with --from-exam.")
        )
    return Patient(
        last_name=identity.last_name,
        identifier=identity.patient_id,
        first_name=identity.first_name,
        birth_date=identity.birth_date,
    )


def wrap_patient(flags: PatientFlags, base: Patient | None = None) -> WrapPatient:
    """Who a study made from images is about: the flags over `base` (a dossier's patient).

    `--patient-name LAST^First` (the old way) still gives both names.
    """
    from ortif_cli.dicom.wrap import WrapPatient

    if flags.name and "^" in flags.name and not flags.first_name:
        last, _sep, first = flags.name.partition("^")
        flags = replace(flags, name=last, first_name=first or None)
    p = from_flags(flags, base) if flags.given or base is None else base
    qualified = p.identity_status == "qualified"
    return WrapPatient(
        p.last_name,
        p.identifier,
        p.first_name,
        p.birth_date,
        p.sex,
        p.ins_matricule if qualified else None,
        p.ins_oid if qualified else None,
        p.identifier_issuer,
    )
