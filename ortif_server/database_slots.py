"""Database slots: no more requests of a process use the database at once than its pool
has connections for, so that a burst queues and never deadlocks.

FastAPI runs a request's dependencies and its route in separate threadpool hops, and the
request's session keeps its pooled connection between them. Under a burst, every
connection can be held by a request waiting for a thread while every thread waits for a
connection: nothing moves until the pool's timeout, and each request ends in a 503. A
request therefore takes a slot before its session exists, waiting in the event loop
(holding neither a thread nor a connection), and gives it back once the session is closed.

A request that waits a long time without the database sets its slot aside meanwhile: the
`notifications --watch` long poll, a sign-in waiting for its turn to hash. Its session
must hold no connection then (commit first).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

import anyio
import anyio.from_thread


def request_slots(connections: int) -> int:
    """The slots of a pool of `connections`: a fifth of them is left to the short,
    single-hop uses outside requests' sessions (idempotency keys, readiness probes)."""
    return max(1, connections - max(1, connections // 5))


_current: ContextVar[Slot | None] = ContextVar("database_slot", default=None)


class Slot:
    """One request's right to use the database."""

    def __init__(self, semaphore: anyio.Semaphore) -> None:
        self._semaphore = semaphore
        self.held = False

    async def take(self) -> None:
        await self._semaphore.acquire()
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._semaphore.release()

    @asynccontextmanager
    async def set_aside(self) -> AsyncIterator[None]:
        """Give the slot back for the block (from the event loop), then wait for one."""
        self.give_back()
        try:
            yield
        finally:
            await self.take()


class DatabaseSlots:
    """The slots of one process: as many as its requests' share of the pool."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._semaphore: anyio.Semaphore | None = None

    @asynccontextmanager
    async def held(self) -> AsyncIterator[Slot]:
        """A slot for the block, also known to the threads the request runs code in."""
        if self._semaphore is None:  # made in the event loop that serves the requests
            self._semaphore = anyio.Semaphore(self.count)
        slot = Slot(self._semaphore)
        await slot.take()
        _current.set(slot)
        try:
            yield slot
        finally:
            slot.give_back()


@contextmanager
def set_aside_in_thread() -> Iterator[None]:
    """`Slot.set_aside` for synchronous code that a request runs in a worker thread; a
    no-op elsewhere (the admin commands, code without a slot)."""
    slot = _current.get()
    if slot is None or not slot.held:
        yield
        return
    anyio.from_thread.run_sync(slot.give_back)
    try:
        yield
    finally:
        anyio.from_thread.run(slot.take)
