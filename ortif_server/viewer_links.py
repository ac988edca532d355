"""Viewer links: a signed-in user hands one dossier's images to a browser, once.

`create` gives a one-time link (two minutes) to the viewer on a dossier's studies;
`follow` uses it up and opens a browser session limited to the DICOMweb reads of that
dossier (twelve hours, or until the user signs out). Both are in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ortif_server import audit, browser_sessions
from ortif_server.caller import Caller
from ortif_server.errors import ApiError
from ortif_server.models import Dossier, Step, StepExam, Token, User, utcnow
from ortif_server.workflow import load_visible

LINK_LIFETIME = timedelta(minutes=2)
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class ViewerLink:
    secret: str
    expires_at: datetime
    study_instance_uids: list[str]


@dataclass(frozen=True)
class BrowserSession:
    secret: str
    expires_at: datetime
    study_instance_uids: list[str]


def study_uids(session: Session, dossier_id: int) -> list[str]:
    """The dossier's studies, in the order they joined it."""
    query = (
        select(StepExam.study_instance_uid)
        .join(Step, Step.id == StepExam.step_id)
        .where(Step.dossier_id == dossier_id)
        .order_by(StepExam.id)
    )
    return list(dict.fromkeys(session.scalars(query)))


def create(
    session: Session, caller: Caller, dossier_id: int, *, viewer_installed: bool
) -> ViewerLink:
    """A one-time link of the caller (a user, not a guest) to a dossier it may see."""
    user = caller.require_user()
    dossier = load_visible(session, caller, dossier_id)
    studies = study_uids(session, dossier.id)
    if not studies:
        raise ApiError(409, "no_exams", f"Dossier {dossier.id} has no exam to view.")
    if not viewer_installed:
        message = "This platform does not serve the viewer: its administrator must install it."
        raise ApiError(409, "viewer_not_installed", message)
    secret, link = browser_sessions.create_link(session, user, dossier.id, LINK_LIFETIME)
    audit.record(session, caller, "view_link", ("dossier", dossier.id), dossier.id)
    session.commit()
    assert link.expires_at is not None
    return ViewerLink(secret, link.expires_at, studies)


def follow(session: Session, secret: str, remote_address: str | None) -> BrowserSession | None:
    """Use up a link: a browser session on its dossier; None if the link is not valid
    (unknown, used, expired) or its user may no longer see the dossier."""
    link = browser_sessions.consume_link(session, secret)
    if link is None or link.user is None or link.dossier_id is None:
        return None
    dossier = _still_visible(session, Caller(link, remote_address), link.dossier_id)
    if dossier is None:
        return None
    expires_at = utcnow() + SESSION_LIFETIME
    cookie = browser_sessions.open_session(
        session, dossier_id=dossier.id, expires_at=expires_at, user=link.user
    )
    audit.record(session, Caller(link, remote_address), "view", ("dossier", dossier.id), dossier.id)
    session.commit()
    return BrowserSession(cookie, expires_at, study_uids(session, dossier.id))


def _still_visible(session: Session, caller: Caller, dossier_id: int) -> Dossier | None:
    try:
        return load_visible(session, caller, dossier_id)
    except ApiError:
        return None


def close_all(session: Session, user: User) -> None:
    """End every browser session and unused link of `user` (at sign-out)."""
    session.execute(
        update(Token)
        .where(
            Token.user_id == user.id,
            Token.kind.in_(("browser", "link")),
            Token.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
