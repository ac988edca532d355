"""A user's notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select, update

from ortif_server import serialize
from ortif_server.deps import CurrentUser, SessionDep
from ortif_server.models import Notification, utcnow
from ortif_server.schemas import NotificationPage, NotificationsRead

router = APIRouter(prefix="/notifications", tags=["notifications"])
SinceId = Annotated[int | None, Query(ge=0, le=2**31 - 1)]


@router.get("")
def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    unread: bool = False,
    since_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
) -> NotificationPage:
    """The caller's notifications, newest first; `since_id` keeps only newer ones."""
    query = select(Notification).where(Notification.user_id == user.id)
    if since_id is not None:
        query = query.where(Notification.id > since_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    rows = session.scalars(query.order_by(Notification.id.desc()))
    return NotificationPage(items=[serialize.notification(n) for n in rows])


@router.post("/read", status_code=204)
def mark_read(body: NotificationsRead, user: CurrentUser, session: SessionDep) -> Response:
    """Mark the given notifications of the caller (or all of them) as read."""
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if body.ids is not None:
        statement = statement.where(Notification.id.in_(body.ids))
    session.execute(statement.values(read_at=utcnow()))
    session.commit()
    return Response(status_code=204)
