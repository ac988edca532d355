"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ortif_server import __version__
from ortif_server.body_limit import BodyLimitMiddleware
from ortif_server.config import ServerSettings
from ortif_server.db import create_db_engine, session_factory
from ortif_server.errors import install_error_handlers
from ortif_server.idempotency import IdempotencyMiddleware
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
    qido,
    session,
    tokens,
    wado,
    wado_frames,
    wado_metadata,
    wado_rendered,
)
from ortif_server.store import BlobStore

API_PREFIX = "/api/v1"


def create_app(settings: ServerSettings) -> FastAPI:
    """An app serving `settings.data_dir`, whose schema `ortif-server init` created."""
    engine = create_db_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="ortif platform", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.sessionmaker = session_factory(engine)
    app.state.store = BlobStore(settings.blobs_dir, settings.tmp_dir)
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware, sessionmaker=app.state.sessionmaker)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_json_bytes)
    routers = (
        health,
        session,
        tokens,
        directory,
        patients,
        dossiers,
        documents,
        invitations,
        notifications,
        instances,
    )
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)
    for module in (dicomweb, qido, wado, wado_metadata, wado_frames, wado_rendered):
        app.include_router(module.router)
    return app
