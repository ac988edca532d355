"""Liveness probe."""

from __future__ import annotations

from fastapi import APIRouter

from ortif_server import __version__
from ortif_server.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> Health:
    return Health(version=__version__)
