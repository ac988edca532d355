"""Dossier rules: loading by visibility, the draft -> sent -> closed / cancelled machine."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server import audit
from ortif_server.caller import Caller
from ortif_server.errors import ApiError, guest_forbidden, not_found
from ortif_server.models import Dossier, Invitation, Membership, Notification, utcnow
from ortif_server.visibility import visible_to_caller
from ortif_server.wakeups import announce


def load_visible(session: Session, caller: Caller, dossier_id: int) -> Dossier:
    """The dossier if the caller may see it; 404 otherwise, whether it exists or not."""
    query = select(Dossier).where(Dossier.id == dossier_id, visible_to_caller(caller))
    dossier = session.scalar(query)
    if dossier is None:
        raise not_found(f"Dossier {dossier_id}")
    return dossier


def load_owned(session: Session, caller: Caller, dossier_id: int) -> Dossier:
    dossier = load_visible(session, caller, dossier_id)
    if caller.user is None:
        raise guest_forbidden()
    if dossier.owner_id != caller.user.id:
        raise ApiError(403, "forbidden", "Only the owner of the dossier may do this.")
    return dossier


def require_status(dossier: Dossier, *allowed: str) -> None:
    if dossier.status not in allowed:
        message = f"Dossier {dossier.id} is {dossier.status}."
        raise ApiError(409, "invalid_state", message)


def touch(dossier: Dossier) -> None:
    dossier.updated_at = utcnow()


def send(session: Session, caller: Caller, dossier: Dossier) -> None:
    require_status(dossier, "draft")
    dossier.status, dossier.sent_at = "sent", utcnow()
    touch(dossier)
    notify(session, "dossier_sent", dossier, caller, correspondent_user_ids(session, dossier))
    audit.record(session, caller, "send", ("dossier", dossier.id), dossier.id)
    session.commit()


def cancel(session: Session, caller: Caller, dossier: Dossier) -> None:
    require_status(dossier, "draft")
    dossier.status = "cancelled"
    touch(dossier)
    audit.record(session, caller, "cancel", ("dossier", dossier.id), dossier.id)
    session.commit()


def correspondent_user_ids(session: Session, dossier: Dossier) -> set[int]:
    """Person correspondents and every member of a correspondent community."""
    users = {c.user_id for c in dossier.correspondents if c.user_id is not None}
    communities = [c.community_id for c in dossier.correspondents if c.community_id is not None]
    members = session.scalars(
        select(Membership.user_id).where(Membership.community_id.in_(communities))
    )
    return users | set(members)


def participant_user_ids(session: Session, dossier: Dossier) -> set[int]:
    """The owner and the correspondents (in person or through a community)."""
    return correspondent_user_ids(session, dossier) | {dossier.owner_id}


def invitation_of(caller: Caller, dossier: Dossier) -> Invitation | None:
    invitation = caller.invitation
    return invitation if invitation and invitation.dossier_id == dossier.id else None


def notify(
    session: Session,
    kind: str,
    dossier: Dossier,
    caller: Caller,
    recipients: Iterable[int],
    step_kind: str | None = None,
) -> None:
    """One notification per recipient, never to the caller itself; their waiting
    requests wake when the transaction commits."""
    notified = sorted(set(recipients) - {caller.token.user_id})
    announce(session, notified)
    for user_id in notified:
        session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                step_kind=step_kind,
                dossier_id=dossier.id,
                actor_id=caller.token.user_id,
                guest_actor_id=caller.token.invitation_id,
            )
        )
