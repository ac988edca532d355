"""Patient identities (INS model): creation with its rules, search among visible dossiers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from ortif_server import schemas
from ortif_server.caller import Caller
from ortif_server.errors import invalid
from ortif_server.models import Dossier, Patient
from ortif_server.textsearch import search_key, search_terms
from ortif_server.visibility import visible_to_caller

NIR_OID = "1.2.250.1.213.1.4.8"
MAX_RESULTS = 200


def check_ins(data: schemas.Patient, field: str = "patient") -> None:
    """The INS matricule and OID are allowed only with a qualified identity."""
    if data.identity_status != "qualified":
        for name in ("ins_matricule", "ins_oid"):
            if getattr(data, name) is not None:
                raise invalid(f"{field}.{name}", "allowed only when identity_status is qualified")
    elif data.ins_oid is not None and data.ins_matricule is None:
        raise invalid(f"{field}.ins_matricule", "required with ins_oid")


def new_patient(data: schemas.Patient, created_by_id: int | None) -> Patient:
    """A patient row from a checked identity; the first birth first name fills `first_name`."""
    check_ins(data)
    first_names = data.first_names or ([data.first_name] if data.first_name else [])
    first_name = data.first_name or (first_names[0] if first_names else None)
    matricule = data.ins_matricule
    return Patient(
        last_name=data.last_name,
        used_name=data.used_name,
        first_name=first_name,
        first_names="\n".join(first_names),
        used_first_name=data.used_first_name,
        birth_date=data.birth_date,
        sex=data.sex,
        birthplace_code=data.birthplace_code,
        identifier=data.identifier,
        identifier_issuer=data.identifier_issuer,
        ins_matricule=matricule,
        ins_oid=(data.ins_oid or NIR_OID) if matricule else None,
        identity_status=data.identity_status,
        search_key=_patient_key(data, first_names),
        created_by_id=created_by_id,
    )


def _patient_key(data: schemas.Patient, first_names: list[str]) -> str:
    names = [data.last_name, data.used_name or "", *first_names, data.used_first_name or ""]
    return search_key(*names)


def search(
    session: Session, caller: Caller, q: str, identifier: str | None, birth_date: date | None
) -> list[Patient]:
    """Patients of the dossiers the caller may see, matching every given criterion."""
    visible_patients = select(Dossier.patient_id).where(visible_to_caller(caller))
    conditions: list[ColumnElement[bool]] = [Patient.id.in_(visible_patients)]
    conditions += [Patient.search_key.contains(t, autoescape=True) for t in search_terms(q)]
    if identifier:
        conditions.append(Patient.identifier == identifier)
    if birth_date:
        conditions.append(Patient.birth_date == birth_date)
    query = select(Patient).where(and_(*conditions)).order_by(Patient.last_name, Patient.id)
    return list(session.scalars(query.limit(MAX_RESULTS)))


def visible_patient(session: Session, caller: Caller, patient_id: int) -> Patient:
    """A known patient the caller may reuse, or 422 naming `patient_id`."""
    visible_patients = select(Dossier.patient_id).where(visible_to_caller(caller))
    query = select(Patient).where(Patient.id == patient_id, Patient.id.in_(visible_patients))
    patient = session.scalar(query)
    if patient is None:
        raise invalid("patient_id", f"unknown patient {patient_id}")
    return patient
