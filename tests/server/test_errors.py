"""Bad input gives a JSON error with the status of docs/api.md, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.server.dossier_helpers import PATIENT

Client = Callable[[str], httpx.Client]
DOSSIER = {
    "type": "imaging-transfer",
    "visibility": "me",
    "correspondents": [{"kind": "user", "id": 1}],
    "patient": PATIENT,
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**DOSSIER, "unexpected": 1}, "unexpected"),
        ({**DOSSIER, "type": "other"}, "type"),
        ({**DOSSIER, "visibility": "everyone"}, "visibility"),
        ({**DOSSIER, "patient": {"identifier": "X"}}, "patient.last_name"),
        ({**DOSSIER, "patient": {**PATIENT, "birth_date": "01/02/1970"}}, "patient.birth_date"),
        ({**DOSSIER, "patient": {**PATIENT, "sex": "X"}}, "patient.sex"),
        ({**DOSSIER, "correspondents": [{"kind": "user"}]}, "correspondents.0.id"),
        ({**DOSSIER, "correspondents": "bob"}, "correspondents"),
        ([], ""),
    ],
)
def test_validation_errors_name_the_field(signed_in: Client, body: object, field: str) -> None:
    answer = signed_in("alice").post("/api/v1/dossiers", json=body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith(field)


def test_malformed_json_is_400(signed_in: Client) -> None:
    answer = signed_in("alice").post(
        "/api/v1/dossiers", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/dossiers/abc", 422),
        ("GET", "/api/v1/dossiers?limit=0", 422),
        ("GET", "/api/v1/dossiers?status=lost", 422),
        ("GET", "/api/v1/dossiers/999999", 404),
        ("GET", "/api/v1/nothing-here", 404),
        ("DELETE", "/api/v1/dossiers", 405),
        ("POST", "/api/v1/session", 422),
        ("POST", "/api/v1/notifications/read", 422),
    ],
)
def test_errors_are_json(signed_in: Client, method: str, path: str, status: int) -> None:
    answer = signed_in("alice").request(method, path)
    assert answer.status_code == status
    assert {"code", "message"} <= set(answer.json()["error"]) <= {"code", "message", "details"}


def test_unknown_step_kind_is_422(signed_in: Client) -> None:
    answer = signed_in("alice").post("/api/v1/dossiers/1/steps", json={"kind": "bogus"})
    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith("kind")


def test_health_needs_no_token(signed_in: Client) -> None:
    answer = httpx.get(str(signed_in("alice").base_url.join("/api/v1/health")))
    assert answer.json() == {"status": "ok", "version": "0.1.0"}
