"""Dossier rules: creation, the draft -> sent -> closed / cancelled machine, notifications."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server import schemas
from ortif_server.errors import ApiError, invalid, not_found
from ortif_server.models import (
    Community,
    Correspondent,
    Dossier,
    Membership,
    Notification,
    Step,
    StepExam,
    Study,
    StudyUpload,
    User,
    utcnow,
)
from ortif_server.visibility import visible_to


def load_visible(session: Session, user: User, dossier_id: int) -> Dossier:
    """The dossier if `user` may see it; 404 otherwise, whether it exists or not."""
    query = select(Dossier).where(Dossier.id == dossier_id, visible_to(user.id))
    dossier = session.scalar(query)
    if dossier is None:
        raise not_found(f"Dossier {dossier_id}")
    return dossier


def load_owned(session: Session, user: User, dossier_id: int) -> Dossier:
    dossier = load_visible(session, user, dossier_id)
    if dossier.owner_id != user.id:
        raise ApiError(403, "forbidden", "Only the owner of the dossier may do this.")
    return dossier


def require_status(dossier: Dossier, *allowed: str) -> None:
    if dossier.status not in allowed:
        message = f"Dossier {dossier.id} is {dossier.status}."
        raise ApiError(409, "invalid_state", message)


def send(session: Session, user: User, dossier: Dossier) -> None:
    require_status(dossier, "draft")
    dossier.status, dossier.sent_at = "sent", utcnow()
    recipients = _correspondent_user_ids(session, dossier) - {user.id}
    _notify(session, "dossier_sent", dossier, user, recipients)
    session.commit()


def cancel(session: Session, dossier: Dossier) -> None:
    require_status(dossier, "draft")
    dossier.status = "cancelled"
    session.commit()


def acknowledge(session: Session, user: User, dossier: Dossier, comment: str | None) -> None:
    """An addressee acknowledges receipt: the dossier closes and its owner is notified."""
    if dossier.owner_id == user.id or user.id not in _correspondent_user_ids(session, dossier):
        raise ApiError(403, "forbidden", "Only a correspondent may acknowledge this dossier.")
    require_status(dossier, "sent")
    dossier.steps.append(Step(kind="ack", author_id=user.id, comment=comment))
    dossier.status, dossier.closed_at = "closed", utcnow()
    _notify(session, "dossier_acknowledged", dossier, user, {dossier.owner_id})
    session.commit()


def attach_exams(session: Session, user: User, dossier: Dossier, uids: list[str]) -> None:
    """Attach studies the caller uploaded to the request step, each at most once."""
    require_status(dossier, "draft", "sent")
    uploaded = set(
        session.scalars(
            select(StudyUpload.study_instance_uid)
            .join(Study)
            .where(StudyUpload.user_id == user.id, StudyUpload.study_instance_uid.in_(uids))
        )
    )
    for uid in uids:
        if uid not in uploaded:
            raise invalid("study_instance_uids", f"study {uid} is unknown or not uploaded by you")
    request = dossier.steps[0]
    attached = {exam.study_instance_uid for exam in request.exams}
    for uid in dict.fromkeys(uids):
        if uid not in attached:
            request.exams.append(StepExam(study_instance_uid=uid))
    session.commit()


def _correspondent_user_ids(session: Session, dossier: Dossier) -> set[int]:
    """Person correspondents and every member of a correspondent community."""
    users = {c.user_id for c in dossier.correspondents if c.user_id is not None}
    communities = [c.community_id for c in dossier.correspondents if c.community_id is not None]
    members = session.scalars(
        select(Membership.user_id).where(Membership.community_id.in_(communities))
    )
    return users | set(members)


def _notify(
    session: Session, kind: str, dossier: Dossier, actor: User, recipients: Iterable[int]
) -> None:
    for user_id in sorted(recipients):
        session.add(
            Notification(user_id=user_id, kind=kind, dossier_id=dossier.id, actor_id=actor.id)
        )


def create_dossier(session: Session, user: User, data: schemas.DossierCreate) -> Dossier:
    """A draft dossier with its request step, after checking community and correspondents."""
    dossier = Dossier(
        type=data.type,
        status="draft",
        visibility=data.visibility,
        community_id=_dossier_community(user, data),
        owner_id=user.id,
        patient_last_name=data.patient.last_name,
        patient_first_name=data.patient.first_name,
        patient_identifier=data.patient.identifier,
        patient_birth_date=data.patient.birth_date,
        patient_sex=data.patient.sex,
        correspondents=_correspondents(session, user, data.correspondents),
        steps=[Step(kind="request", author_id=user.id, comment=data.comment)],
    )
    session.add(dossier)
    session.commit()
    return dossier


def _dossier_community(user: User, data: schemas.DossierCreate) -> int | None:
    if data.visibility == "me":
        if data.community_id is not None:
            raise invalid("community_id", "only allowed with visibility community")
        return None
    if data.community_id is None:
        raise invalid("community_id", "required with visibility community")
    if data.community_id not in {c.id for c in user.communities}:
        raise invalid("community_id", "must be one of your communities")
    return data.community_id


def _correspondents(
    session: Session, user: User, wanted: list[schemas.CorrespondentCreate]
) -> list[Correspondent]:
    rows: dict[tuple[str, int], Correspondent] = {}
    for index, item in enumerate(wanted):
        field = f"correspondents.{index}"
        if item.kind == "user":
            if item.id == user.id:
                raise invalid(field, "you cannot be your own correspondent")
            if session.get(User, item.id) is None:
                raise invalid(field, f"unknown user {item.id}")
            rows.setdefault(("user", item.id), Correspondent(user_id=item.id))
        else:
            if session.get(Community, item.id) is None:
                raise invalid(field, f"unknown community {item.id}")
            rows.setdefault(("community", item.id), Correspondent(community_id=item.id))
    return list(rows.values())
