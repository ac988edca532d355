"""Who may see a dossier: owner, correspondents, members of the chosen community."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, or_, select

from ortif_server.models import Correspondent, Dossier, Membership, Step, StepExam


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


def visible_study_uids(user_id: int) -> Select[str]:
    """Studies attached to a dossier the user may see."""
    return (
        select(StepExam.study_instance_uid)
        .join(Step, Step.id == StepExam.step_id)
        .join(Dossier, Dossier.id == Step.dossier_id)
        .where(visible_to(user_id))
    )
