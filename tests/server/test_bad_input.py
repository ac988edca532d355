"""Oversize bodies, wrong types, unknown fields and bad queries: a 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

Client = Callable[[str], httpx.Client]
MEGABYTE = 1024 * 1024


def test_an_oversize_json_body_is_413(signed_in: Client) -> None:
    body = b'{"ids": [' + b"1," * MEGABYTE + b"1]}"
    answer = signed_in("alice").post(
        "/api/v1/notifications/read", content=body, headers={"Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "too_large")


def test_an_oversize_chunked_body_is_refused(signed_in: Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"ids": ['
        for _ in range(30):
            yield b"1," * 50_000
        yield b"1]}"

    answer = signed_in("alice").post(
        "/api/v1/notifications/read", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code in (400, 413)
    assert "error" in answer.json()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/tokens", {"name": 3}),
        ("/api/v1/tokens", {"name": "x", "expires_in_days": "soon"}),
        ("/api/v1/tokens", {"name": "x", "scope": "all"}),
        ("/api/v1/session/refresh", {"refresh_token": ["x"]}),
        ("/api/v1/guest-session", {"link_token": "x"}),
        ("/api/v1/dossiers/1/steps", {"kind": "info", "document_ids": ["a"]}),
        ("/api/v1/dossiers/1/invitations", {"last_name": "A", "first_name": "B", "x": 1}),
        ("/api/v1/documents/1/content", None),
    ],
)
def test_wrong_bodies_are_4xx(signed_in: Client, path: str, body: object) -> None:
    client = signed_in("alice")
    answer = client.post(path, json=body) if body is not None else client.post(path)
    assert 400 <= answer.status_code < 500, answer.text
    assert "code" in answer.json()["error"]


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/dossiers?since=yesterday",
        "/api/v1/dossiers?unread=maybe",
        "/api/v1/patients?birth_date=1970",
        "/api/v1/notifications?since_id=x",
        "/dicomweb/studies?limit=0",
        "/dicomweb/studies?PatientBirthDate=1-2-3",
    ],
)
def test_bad_queries_are_4xx(signed_in: Client, query: str) -> None:
    answer = signed_in("alice").get(query)
    assert 400 <= answer.status_code < 500, answer.text
