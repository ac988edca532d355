"""The dossier list's page as JSON-ready summaries, built from Core rows.

SB (bench/server_list.py): one query for the page (ids by the sort index, then the
dossier with its owner, patient, community, exam count and unread flag), one for the
page's correspondents. No ORM objects and no pydantic validation of outgoing data: the
dicts have the shape of `schemas.DossierSummary` (pinned by tests/server).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, aliased

from ortif_server.models import (
    Community,
    Correspondent,
    Dossier,
    Establishment,
    Notification,
    Patient,
    Step,
    StepExam,
    User,
)

Summary = dict[str, Any]
_community_est = aliased(Establishment)
_correspondent_est = aliased(Establishment)
_PATIENT = (
    Patient.id, Patient.last_name, Patient.used_name, Patient.first_name, Patient.first_names,
    Patient.used_first_name, Patient.birth_date, Patient.sex, Patient.birthplace_code,
    Patient.identifier, Patient.identifier_issuer, Patient.ins_matricule, Patient.ins_oid,
    Patient.identity_status,
)  # fmt: skip


def page_summaries(
    session: Session, user_id: int, page_ids: Select[Any], order: Sequence[Any]
) -> list[Summary]:
    """Summaries of the dossiers whose ids `page_ids` (a SELECT of ids) yields, in `order`."""
    ids = page_ids.subquery()
    query = (
        select(*_dossier_columns(user_id))
        .select_from(ids)
        .join(Dossier, Dossier.id == ids.c.id)
        .join(User, User.id == Dossier.owner_id)
        .join(Patient, Patient.id == Dossier.patient_id)
        .outerjoin(Community, Community.id == Dossier.community_id)
        .outerjoin(_community_est, _community_est.id == Community.establishment_id)
        .order_by(*order)
    )
    summaries = [_summary(row) for row in session.execute(query)]
    by_id = {s["id"]: s for s in summaries}
    for dossier_id, reference in _correspondents(session, list(by_id)):
        by_id[dossier_id]["correspondents"].append(reference)
    return summaries


def _dossier_columns(user_id: int) -> tuple[Any, ...]:
    exam_count = (
        select(func.count(StepExam.id))
        .join(Step, Step.id == StepExam.step_id)
        .where(Step.dossier_id == Dossier.id)
        .scalar_subquery()
    )
    unread = exists().where(
        Notification.dossier_id == Dossier.id,
        Notification.user_id == user_id,
        Notification.read_at.is_(None),
    )
    return (
        Dossier.id, Dossier.type, Dossier.status, Dossier.visibility, Dossier.created_at,
        Dossier.updated_at, Dossier.sent_at, Dossier.closed_at,
        User.id, User.username, User.last_name, User.first_name,
        Community.id, Community.name, _community_est.id, _community_est.name,
        exam_count, unread, *_PATIENT,
    )  # fmt: skip


def _summary(row: Sequence[Any]) -> Summary:
    (dossier_id, type_, status, visibility, created, updated, sent, closed,
     owner_id, username, last_name, first_name,
     community_id, community_name, establishment_id, establishment_name,
     exam_count, unread, *patient) = row  # fmt: skip
    community = None
    if community_id is not None:
        establishment = {"id": establishment_id, "name": establishment_name}
        community = {"id": community_id, "name": community_name, "establishment": establishment}
    return {
        "id": dossier_id,
        "type": type_,
        "status": status,
        "visibility": visibility,
        "community": community,
        "owner": {
            "id": owner_id,
            "username": username,
            "last_name": last_name,
            "first_name": first_name,
        },
        "correspondents": [],
        "patient": _patient(patient),
        "created_at": _timestamp(created),
        "updated_at": _timestamp(updated),
        "sent_at": _timestamp(sent),
        "closed_at": _timestamp(closed),
        "unread": bool(unread),
        "exam_count": exam_count or 0,
    }


def _patient(values: list[Any]) -> dict[str, Any]:
    """As `serialize.patient`: first names one a line; the INS only when qualified."""
    (patient_id, last_name, used_name, first_name, first_names, used_first_name, birth_date,
     sex, birthplace_code, identifier, issuer, matricule, oid, status) = values  # fmt: skip
    qualified = status == "qualified"
    return {
        "id": patient_id,
        "last_name": last_name,
        "used_name": used_name,
        "first_name": first_name,
        "first_names": [n for n in first_names.split("\n") if n],
        "used_first_name": used_first_name,
        "birth_date": _day(birth_date),
        "sex": sex,
        "birthplace_code": birthplace_code,
        "identifier": identifier,
        "identifier_issuer": issuer,
        "ins_matricule": matricule if qualified else None,
        "ins_oid": oid if qualified else None,
        "identity_status": status,
    }


def _correspondents(session: Session, dossier_ids: list[int]) -> list[tuple[int, Summary]]:
    """(dossier id, correspondent reference) of these dossiers, in creation order."""
    if not dossier_ids:
        return []
    query = (
        select(
            Correspondent.dossier_id,
            User.id,
            User.last_name,
            User.first_name,
            Community.id,
            Community.name,
            _correspondent_est.name,
        )  # fmt: skip
        .outerjoin(User, User.id == Correspondent.user_id)
        .outerjoin(Community, Community.id == Correspondent.community_id)
        .outerjoin(_correspondent_est, _correspondent_est.id == Community.establishment_id)
        .where(Correspondent.dossier_id.in_(dossier_ids))
        .order_by(Correspondent.id)
    )
    found = []
    for dossier_id, user_id, last, first, community_id, name, establishment in session.execute(
        query
    ):
        if user_id is not None:
            reference = {"kind": "user", "id": user_id, "label": f"{last.upper()} {first}"}
        else:
            label = f"{establishment}/{name}"
            reference = {"kind": "community", "id": community_id, "label": label}
        found.append((dossier_id, reference))
    return found


def _timestamp(value: datetime | None) -> str | None:
    """As `schemas.Timestamp`."""
    return None if value is None else value.isoformat(timespec="seconds")


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
