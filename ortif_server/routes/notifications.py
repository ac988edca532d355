"""A user's notifications."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ortif_server import serialize
from ortif_server.database_slots import Slot
from ortif_server.deps import CurrentUser, SessionDep
from ortif_server.models import Notification, utcnow
from ortif_server.schemas import NotificationPage, NotificationPublic, NotificationsRead
from ortif_server.wakeups import Wakeups

router = APIRouter(prefix="/notifications", tags=["notifications"])
SinceId = Annotated[int | None, Query(ge=0, le=2**31 - 1)]
MAX_WAIT = 60.0


@router.get("")
async def list_notifications(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    unread: bool = False,
    since_id: SinceId = None,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0,
) -> NotificationPage:
    """The caller's notifications, newest first; `since_id` keeps only newer ones, and
    with `wait` (seconds) the answer waits until there is one (or the time is up)."""
    wakeups: Wakeups = request.app.state.wakeups
    slot: Slot = request.state.database_slot
    deadline = time.monotonic() + wait
    with wakeups.subscribe(user.id) as woken:
        items = await run_in_threadpool(_page, session, user.id, unread, since_id)
        while not items and since_id is not None and not wakeups.closing:
            if (left := deadline - time.monotonic()) <= 0:
                break
            await run_in_threadpool(session.commit)  # the connection goes back meanwhile
            async with slot.set_aside():
                await wakeups.wait(woken, left)
            items = await run_in_threadpool(_page, session, user.id, unread, since_id)
    return NotificationPage(items=items)


def _page(
    session: Session, user_id: int, unread: bool, since_id: int | None
) -> list[NotificationPublic]:
    query = select(Notification).where(Notification.user_id == user_id)
    if since_id is not None:
        query = query.where(Notification.id > since_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    rows = session.scalars(query.order_by(Notification.id.desc()))
    return [serialize.notification(n) for n in rows]


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
