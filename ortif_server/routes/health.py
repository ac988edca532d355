"""Health: the API's `/api/v1/health`, and the probes of a deployment (`/health/...`)."""

from __future__ import annotations

import tempfile

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from ortif_server import __version__
from ortif_server.config import ServerSettings
from ortif_server.errors import DATABASE_ERRORS
from ortif_server.schemas import Health

router = APIRouter(tags=["health"])
probes = APIRouter(prefix="/health", tags=["health"])


@router.get("/health")
def health() -> Health:
    return Health(version=__version__)


@probes.get("/live")
def live() -> dict[str, str]:
    """The process answers (a proxy or systemd restarts it otherwise)."""
    return {"status": "live"}


@probes.get("/ready")
def ready(request: Request) -> JSONResponse:
    """The process can serve: the database answers and the data directory takes files."""
    checks = {"database": _database_ok(request), "data_dir": _data_dir_ok(request)}
    ok = all(checks.values())
    body = {"status": "ready" if ok else "unavailable", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


def _database_ok(request: Request) -> bool:
    try:
        with request.app.state.sessionmaker() as session:
            session.execute(text("SELECT 1"))
    except DATABASE_ERRORS:
        return False
    return True


def _data_dir_ok(request: Request) -> bool:
    settings: ServerSettings = request.app.state.settings
    if not settings.blobs_dir.is_dir():
        return False
    try:
        with tempfile.TemporaryFile(dir=settings.tmp_dir):
            return True
    except OSError:
        return False
