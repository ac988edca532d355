"""Creating dossiers and adding steps: who may, in which state, who is notified."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ortif_server import attachments, audit, patients, schemas
from ortif_server.caller import Caller
from ortif_server.errors import ApiError, invalid
from ortif_server.models import Community, Correspondent, Dossier, Step, User, utcnow
from ortif_server.workflow import (
    correspondent_user_ids,
    invitation_of,
    notify,
    participant_user_ids,
    require_status,
    touch,
)


def create_dossier(session: Session, caller: Caller, data: schemas.DossierCreate) -> Dossier:
    """A draft dossier with its request step, after checking every reference."""
    user = caller.require_user()
    if data.patient is not None:
        patient = patients.new_patient(data.patient, user.id)
    else:
        assert data.patient_id is not None
        patient = patients.visible_patient(session, caller, data.patient_id)
    documents = attachments.check_documents(session, caller, data.document_ids)
    request = Step(kind="request", author_id=user.id, comment=data.comment)
    dossier = Dossier(
        type=data.type,
        status="draft",
        visibility=data.visibility,
        community_id=_dossier_community(user, data),
        owner_id=user.id,
        patient=patient,
        correspondents=correspondents(session, user, data.correspondents),
        steps=[request],
    )
    session.add(dossier)
    session.flush()
    attachments.attach(session, caller, (dossier, request), [], documents)
    audit.record(session, caller, "create", ("dossier", dossier.id), dossier.id)
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


def correspondents(
    session: Session, user: User, wanted: list[schemas.CorrespondentCreate]
) -> list[Correspondent]:
    """Correspondent rows, each target once; the caller cannot address itself."""
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


def attach_to_request(
    session: Session, caller: Caller, dossier: Dossier, uids: list[str], document_ids: list[int]
) -> None:
    """Exams or documents join the request step of a draft or sent dossier."""
    require_status(dossier, "draft", "sent")
    studies = attachments.check_studies(session, caller, uids)
    documents = attachments.check_documents(session, caller, document_ids)
    attachments.attach(session, caller, (dossier, dossier.steps[0]), studies, documents)
    touch(dossier)
    session.commit()


def add_step(session: Session, caller: Caller, dossier: Dossier, data: schemas.StepCreate) -> None:
    """Append a step to a sent dossier; `ack` closes it; participants are notified."""
    require_status(dossier, "sent")
    _check_author(session, caller, dossier, data.kind)
    if data.correspondents and data.kind != "second-opinion":
        raise invalid("correspondents", "only allowed on a second-opinion step")
    studies = attachments.check_studies(session, caller, data.study_instance_uids)
    documents = attachments.check_documents(session, caller, data.document_ids)
    step = Step(
        kind=data.kind,
        author_id=caller.token.user_id,
        guest_author_id=caller.token.invitation_id,
        comment=data.comment,
    )
    dossier.steps.append(step)
    session.flush()
    attachments.attach(session, caller, (dossier, step), studies, documents)
    _add_correspondents(session, caller, dossier, step, data.correspondents)
    _finish_step(session, caller, dossier, step)
    session.commit()


def _check_author(session: Session, caller: Caller, dossier: Dossier, kind: str) -> None:
    if kind == "ack":
        user = caller.require_user()
        if dossier.owner_id == user.id or user.id not in correspondent_user_ids(session, dossier):
            raise ApiError(403, "forbidden", "Only a correspondent may acknowledge this dossier.")
        return
    if invitation_of(caller, dossier) is not None:
        return
    if caller.token.user_id not in participant_user_ids(session, dossier):
        raise ApiError(403, "forbidden", "Only the dossier's participants may add a step.")


def _add_correspondents(
    session: Session,
    caller: Caller,
    dossier: Dossier,
    step: Step,
    wanted: list[schemas.CorrespondentCreate],
) -> None:
    """Second opinion: new correspondents join the dossier and are notified."""
    if not wanted:
        return
    owner = dossier.owner
    existing = {(c.user_id, c.community_id) for c in dossier.correspondents}
    for row in correspondents(session, owner, wanted):
        if (row.user_id, row.community_id) not in existing:
            row.step_id = step.id
            dossier.correspondents.append(row)
    session.flush()


def _finish_step(session: Session, caller: Caller, dossier: Dossier, step: Step) -> None:
    """Close on `ack`; notify every participant but the author; audit; touch."""
    if step.kind == "ack":
        dossier.status, dossier.closed_at = "closed", utcnow()
        notify(session, "dossier_acknowledged", dossier, caller, {dossier.owner_id})
    else:
        recipients = participant_user_ids(session, dossier)
        notify(session, "step_added", dossier, caller, recipients, step.kind)
    audit.record(session, caller, f"add_step:{step.kind}", ("dossier", dossier.id), dossier.id)
    touch(dossier)
