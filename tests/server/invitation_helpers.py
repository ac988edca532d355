"""Reading invitation messages back from the outbox, and signing in as the guest."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx

CODE = re.compile(r"code[^:\n]*:\s*([A-Z0-9]{8})\b")
"""The access code in its message, in French (the default) or English."""


def messages_to(outbox: Path, address: str) -> list[dict[str, Any]]:
    """The messages written for one address, oldest first."""
    found = [json.loads(p.read_text()) for p in sorted(outbox.glob("*.json"))]
    return [m for m in found if m["to"] == address]


def secrets_of(messages: list[dict[str, Any]]) -> tuple[str, str]:
    """(link token, access code) from the two messages of an invitation."""
    text = "\n".join(m["text"] for m in messages)
    link = re.search(r"/guest/([A-Za-z0-9_-]+)", text)
    code = re.search(CODE, text)
    assert link and code, text
    return link.group(1), code.group(1)


def invite(client: httpx.Client, dossier_id: int, **contact: str) -> dict[str, Any]:
    body = {"last_name": "GUEST", "first_name": "Gaston", **contact}
    answer = client.post(f"/api/v1/dossiers/{dossier_id}/invitations", json=body)
    assert answer.status_code == 201, answer.text
    invitation: dict[str, Any] = answer.json()
    return invitation


def unique_email() -> str:
    return f"guest-{uuid.uuid4().hex[:8]}@example.org"


def guest_client(base_url: str, link_token: str, code: str) -> httpx.Client:
    answer = httpx.post(
        f"{base_url}/api/v1/guest-session", json={"link_token": link_token, "code": code}
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
