"""Wake-ups for `GET /notifications?wait=`: a request waits until the user has something new.

What is new lives in the database; a process only keeps who is waiting. On PostgreSQL, the
transaction that adds a notification also sends `NOTIFY` (delivered at commit to every
server process, on every host), and one `LISTEN` connection per process wakes the waiting
requests at once; a waiting request still looks at the database every `LISTEN_POLL`
seconds, so that a wake-up lost while that connection was down delays it, never loses it.
On SQLite (one process) waiting requests look every `SQLITE_POLL` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "ortif_notifications"
LISTEN_POLL = 10.0
SQLITE_POLL = 1.0
MAX_RECONNECT_DELAY = 30.0


def announce(session: Session, user_ids: Iterable[int]) -> None:
    """Wake the users' waiting requests when the session's transaction commits."""
    ids = sorted(set(user_ids))
    if ids and session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(CHANNEL, ",".join(map(str, ids)))))


def listen_dsn(database_url: str) -> str | None:
    """The libpq connection string to LISTEN on, or None for a database without NOTIFY."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Wakeups:
    """The requests of this process waiting for a user's notifications."""

    def __init__(self, dsn: str | None) -> None:
        self.dsn = dsn
        self.poll_interval = LISTEN_POLL if dsn else SQLITE_POLL
        self._waiting: defaultdict[int, set[asyncio.Event]] = defaultdict(set)
        self.closing = False

    def close(self) -> None:
        """The server is shutting down: answer every waiting request now."""
        self.closing = True
        self.wake(list(self._waiting))

    def close_on_exit_signals(self) -> None:
        """Call `close` on SIGTERM/SIGINT before uvicorn's own handler, which then waits
        for running requests to finish: waiting ones finish at once instead of holding
        the shutdown for their whole `wait`."""
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(number)
            if not callable(previous):
                continue

            def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(self.close)
                previous(signum, frame)

            with suppress(ValueError):  # not the main thread: no signals to watch
                signal.signal(number, handler)

    @contextmanager
    def subscribe(self, user_id: int) -> Iterator[asyncio.Event]:
        """An event set when `user_id` may have something new, from now on."""
        event = asyncio.Event()
        self._waiting[user_id].add(event)
        try:
            yield event
        finally:
            self._waiting[user_id].discard(event)
            if not self._waiting[user_id]:
                del self._waiting[user_id]

    async def wait(self, event: asyncio.Event, timeout: float) -> None:
        """Until woken, or `timeout`, or the next poll, whichever comes first."""
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), min(timeout, self.poll_interval))
        event.clear()

    def wake(self, user_ids: Iterable[int]) -> None:
        for user_id in user_ids:
            for event in self._waiting.get(user_id, ()):
                event.set()

    async def listen(self) -> None:
        """Receive the NOTIFYs of every process, reconnecting after a database restart."""
        if self.dsn is None:
            return
        delay = 1.0
        while True:
            try:
                await self._listen_once(self.dsn)
            except Exception as exc:  # psycopg is imported lazily: any of its errors
                log.warning("Notification listener lost its connection: %s", type(exc).__name__)
            else:
                delay = 1.0
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RECONNECT_DELAY)

    async def _listen_once(self, dsn: str) -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(
            dsn, autocommit=True, application_name="ortif-server-listen"
        ) as connection:
            await connection.execute(f"LISTEN {CHANNEL}")
            self.wake(list(self._waiting))  # what was announced while disconnected
            async for notice in connection.notifies():
                self.wake(int(part) for part in notice.payload.split(",") if part.isdigit())
