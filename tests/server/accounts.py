"""Extra accounts on the shared test server, made through the admin functions."""

from __future__ import annotations

import uuid

import httpx

from ortif_server.admin import add_user
from tests.server.conftest import Server, password


def new_user(server: Server, prefix: str = "user", community: tuple[str, str] | None = None) -> str:
    """A fresh user (unique name, password `password(name)`); returns its username."""
    username = f"{prefix}-{uuid.uuid4().hex[:8]}"
    establishment, communities = (community[0], [community[1]]) if community else (None, [])
    names = (prefix.upper(), "Test")
    add_user(server.settings, username, password(username), names, establishment, communities)
    return username


def sign_in(server: Server, username: str, **extra: str) -> httpx.Response:
    body = {"username": username, "password": password(username), **extra}
    return httpx.post(f"{server.url}/api/v1/session", json=body, timeout=10)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
