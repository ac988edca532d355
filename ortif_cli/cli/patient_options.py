"""The --patient-* options, one definition shared by `dossier create` and `exam create`."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from ortif_cli.patients import PatientFlags


class IdentityStatus(str, Enum):
    provisional = "provisional"
    retrieved = "retrieved"
    validated = "validated"
    qualified = "qualified"


def _opt(name: str, metavar: str, text: str) -> Any:
    return typer.Option(name, metavar=metavar, help=text)


PatientName = Annotated[str | None, _opt("--patient-name", "NAME", "Patient's (birth) last name.")]
PatientFirstName = Annotated[
    str | None, _opt("--patient-first-name", "NAME", "Patient's first name.")
]
PatientBirthDate = Annotated[
    str | None, _opt("--patient-birth-date", "DATE", "dd/mm/yyyy or yyyy-mm-dd.")
]
PatientSex = Annotated[str | None, _opt("--patient-sex", "M|F|O", "Patient's sex.")]
PatientId = Annotated[str | None, _opt("--patient-id", "ID", "Patient's identifier (local).")]
PatientIdIssuer = Annotated[
    str | None, _opt("--patient-id-issuer", "ISSUER", "Who issued the identifier.")
]
PatientBirthplace = Annotated[
    str | None, _opt("--patient-birthplace", "INSEE", "Birthplace INSEE code.")
]
PatientIns = Annotated[str | None, _opt("--patient-ins", "MATRICULE", "INS matricule (15 digits).")]
PatientInsOid = Annotated[
    str | None,
    _opt("--patient-ins-oid", "OID", "INS OID (default: the NIR's, 1.2.250.1.213.1.4.8)."),
]
PatientIdentityStatus = Annotated[
    IdentityStatus | None,
    typer.Option("--patient-identity-status", help="Identity status (INS is kept if qualified)."),
]


def patient_flags(
    name: str | None,
    first_name: str | None,
    birth_date: str | None,
    sex: str | None,
    id: str | None,
    id_issuer: str | None,
    birthplace: str | None,
    ins: str | None,
    ins_oid: str | None,
    identity_status: IdentityStatus | None,
) -> PatientFlags:
    """The options above, as typed, in the order they are declared."""
    status = identity_status.value if identity_status else None
    return PatientFlags(
        name, first_name, birth_date, sex, id, id_issuer, birthplace, ins, ins_oid, status
    )
