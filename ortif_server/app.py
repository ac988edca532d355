"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from ortif_server import __version__
from ortif_server.body_limit import BodyLimitMiddleware
from ortif_server.config import ServerSettings
from ortif_server.database_slots import DatabaseSlots, request_slots
from ortif_server.db import DEFAULT_CONNECTIONS, create_db_engine, session_factory
from ortif_server.errors import install_error_handlers
from ortif_server.idempotency import IdempotencyMiddleware
from ortif_server.request_log import RequestIdMiddleware
from ortif_server.routes import (
    dicomweb,
    directory,
    documents,
    dossiers,
    health,
    instances,
    invitations,
    notifications,
    patients,
    psc,
    psc_pages,
    qido,
    session,
    tokens,
    viewer_links,
    wado,
    wado_frames,
    wado_metadata,
    wado_rendered,
)
from ortif_server.store import BlobStore
from ortif_server.wakeups import Wakeups, listen_dsn
from ortif_server.web import pages, viewer

API_PREFIX = "/api/v1"
SPARE_THREADS = 10


def create_app(settings: ServerSettings) -> FastAPI:
    """An app serving `settings.data_dir`, whose schema `ortif-server init` created."""
    connections = settings.database_connections or DEFAULT_CONNECTIONS
    engine = create_db_engine(settings.effective_database_url, connections)
    slots = DatabaseSlots(request_slots(connections))
    wakeups = Wakeups(listen_dsn(settings.effective_database_url))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        viewer.log_viewer_state(settings.data_dir)
        wakeups.close_on_exit_signals()
        _enough_threads(slots.count)
        listener = asyncio.create_task(wakeups.listen())
        yield
        listener.cancel()
        with suppress(asyncio.CancelledError):
            await listener
        engine.dispose()

    app = FastAPI(title="ortif platform", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.sessionmaker = session_factory(engine)
    app.state.database_slots = slots
    app.state.store = BlobStore(settings.blobs_dir, settings.tmp_dir)
    app.state.wakeups = wakeups
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware, sessionmaker=app.state.sessionmaker)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_json_bytes)
    app.add_middleware(RequestIdMiddleware)
    routers = (
        health,
        session,
        psc,
        tokens,
        directory,
        patients,
        dossiers,
        documents,
        invitations,
        notifications,
        instances,
        viewer_links,
    )
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)
    for module in (dicomweb, qido, wado, wado_metadata, wado_frames, wado_rendered, psc_pages):
        app.include_router(module.router)
    app.include_router(viewer.router)
    app.include_router(health.probes)
    pages.install(app)
    return app


def _enough_threads(slots: int) -> None:
    """A worker thread for each request holding a database slot, and some to spare for
    the work that needs none (hashing, rendering, files)."""
    import anyio.to_thread

    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(limiter.total_tokens, slots + SPARE_THREADS)
