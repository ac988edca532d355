"""Who may see a dossier: owner, correspondents, members of the chosen community, guests."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, or_, select, union
from sqlalchemy.orm import Session

from ortif_server.caller import Caller
from ortif_server.errors import not_found
from ortif_server.models import (
    Correspondent,
    Dossier,
    Membership,
    Step,
    StepExam,
    Study,
    StudyUpload,
)


def member_community_ids(user_id: int) -> Select[int]:
    return select(Membership.community_id).where(Membership.user_id == user_id)


def addressed_dossier_ids(user_id: int) -> Select[int]:
    """Dossiers where the user is a correspondent, in person or through a community."""
    return select(Correspondent.dossier_id).where(
        or_(
            Correspondent.user_id == user_id,
            Correspondent.community_id.in_(member_community_ids(user_id)),
        )
    )


def visible_to(user_id: int) -> ColumnElement[bool]:
    """SQL condition on `Dossier`: true for the dossiers `user_id` may see."""
    return or_(
        Dossier.owner_id == user_id,
        Dossier.id.in_(addressed_dossier_ids(user_id)),
        and_(
            Dossier.visibility == "community",
            Dossier.community_id.in_(member_community_ids(user_id)),
        ),
    )


def visible_to_caller(caller: Caller) -> ColumnElement[bool]:
    """Like `visible_to`; a guest sees its invitation's dossier only, and a token scoped to
    one dossier (a browser session) that dossier only, if its owner may still see it."""
    if caller.invitation is not None:
        condition = Dossier.id == caller.invitation.dossier_id
    else:
        condition = visible_to(caller.require_user().id)
    if caller.token.dossier_id is not None:
        condition = and_(condition, Dossier.id == caller.token.dossier_id)
    return condition


def uploaded_by(caller: Caller) -> ColumnElement[bool]:
    """SQL condition on `StudyUpload`: the uploads of this caller."""
    if caller.token.invitation_id is not None:
        return StudyUpload.invitation_id == caller.token.invitation_id
    return StudyUpload.user_id == caller.token.user_id


def visible_study_uids(caller: Caller) -> Select[str]:
    """Studies the caller uploaded or that are attached to a dossier it may see."""
    attached = (
        select(StepExam.study_instance_uid)
        .join(Step, Step.id == StepExam.step_id)
        .join(Dossier, Dossier.id == Step.dossier_id)
        .where(visible_to_caller(caller))
    )
    if caller.token.dossier_id is not None:
        return attached
    uploaded = select(StudyUpload.study_instance_uid).where(uploaded_by(caller))
    return select(union(attached, uploaded).subquery().c[0])


def visible_study(session: Session, caller: Caller, study_uid: str) -> Study:
    """The study if the caller may see it; 404 otherwise."""
    query = select(Study).where(
        Study.study_instance_uid == study_uid,
        Study.study_instance_uid.in_(visible_study_uids(caller)),
    )
    study = session.scalar(query)
    if study is None:
        raise not_found(f"Study {study_uid}")
    return study
