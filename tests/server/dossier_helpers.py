"""Builders shared by the dossier tests."""

from __future__ import annotations

from typing import Any

import httpx

PATIENT = {
    "last_name": "DOE",
    "first_name": "John",
    "identifier": "PID-1",
    "birth_date": "1970-01-01",
    "sex": "M",
}


def my_community_id(client: httpx.Client) -> int:
    community_id: int = client.get("/api/v1/me").json()["communities"][0]["id"]
    return community_id


def create_dossier(client: httpx.Client, correspondents: list[dict[str, Any]], **extra: Any) -> Any:
    body = {
        "type": "imaging-transfer",
        "visibility": "me",
        "correspondents": correspondents,
        "patient": PATIENT,
        "comment": "Please review",
        **extra,
    }
    answer = client.post("/api/v1/dossiers", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()
