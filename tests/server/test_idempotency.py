"""`Idempotency-Key`: a replay gives the first answer and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from tests.server.conftest import Server
from tests.server.dicom_files import ct_bytes, multipart, stow_instances
from tests.server.dossier_helpers import PATIENT

Client = Callable[[str], httpx.Client]


def _body(server: Server) -> dict[str, object]:
    return {
        "type": "imaging-transfer",
        "visibility": "me",
        "correspondents": [{"kind": "user", "id": server.users["bob"]}],
        "patient": PATIENT,
    }


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_a_replay_returns_the_first_answer(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    headers = _key()
    total = alice.get("/api/v1/dossiers").json()["total"]
    first = alice.post("/api/v1/dossiers", json=_body(server), headers=headers)
    second = alice.post("/api/v1/dossiers", json=_body(server), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert alice.get("/api/v1/dossiers").json()["total"] == total + 1


def test_the_same_key_with_another_body_is_409(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    headers = _key()
    alice.post("/api/v1/dossiers", json=_body(server), headers=headers)
    other = {**_body(server), "comment": "different"}
    answer = alice.post("/api/v1/dossiers", json=other, headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "idempotency_conflict")


def test_keys_belong_to_their_caller(server: Server, signed_in: Client) -> None:
    headers = _key()
    first = signed_in("alice").post("/api/v1/dossiers", json=_body(server), headers=headers)
    body = {**_body(server), "correspondents": [{"kind": "user", "id": server.users["alice"]}]}
    second = signed_in("carol").post("/api/v1/dossiers", json=body, headers=headers)
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]


def test_a_failed_request_is_not_remembered(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    headers = _key()
    bad = alice.post("/api/v1/dossiers", json={**_body(server), "type": "x"}, headers=headers)
    assert bad.status_code == 422
    good = alice.post("/api/v1/dossiers", json=_body(server), headers=headers)
    assert good.status_code == 201


def test_a_stow_replay_is_replayed(signed_in: Client) -> None:
    alice = signed_in("alice")
    body, content_type = multipart([ct_bytes()])
    headers = {**_key(), "Content-Type": content_type}
    first = alice.post("/dicomweb/studies", content=body, headers=headers)
    second = alice.post("/dicomweb/studies", content=body, headers=headers)
    assert first.json() == second.json()
    assert stow_instances(second)[0]["status"] == "stored"
    assert second.headers["idempotent-replayed"] == "true"


def test_a_bad_key_is_400(signed_in: Client) -> None:
    answer = signed_in("alice").post(
        "/api/v1/notifications/read", json={"all": True}, headers={"Idempotency-Key": "x" * 201}
    )
    assert answer.status_code == 400


def test_sign_in_answers_are_never_stored(server: Server) -> None:
    body = {"username": "alice", "password": "pw-alice-secret"}
    headers = _key()
    first = httpx.post(f"{server.url}/api/v1/session", json=body, headers=headers)
    second = httpx.post(f"{server.url}/api/v1/session", json=body, headers=headers)
    assert first.json()["access_token"] != second.json()["access_token"]
