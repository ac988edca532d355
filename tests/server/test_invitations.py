"""Guest invitations: matches, two messages, guest sign-in, guest scope, lockout."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from ortif_server.admin import admin_session
from ortif_server.models import Invitation
from tests.server.conftest import Server
from tests.server.dicom_files import ct_bytes, multipart
from tests.server.dossier_helpers import create_dossier, sent_dossier, upload_study
from tests.server.invitation_helpers import (
    CODE,
    guest_client,
    invite,
    messages_to,
    secrets_of,
    unique_email,
)

Client = Callable[[str], httpx.Client]


@pytest.fixture
def guest_setup(server: Server, signed_in: Client) -> Iterator[tuple[dict[str, Any], httpx.Client]]:
    """A sent dossier from alice to bob, with an exam, and a signed-in guest of it."""
    alice = signed_in("alice")
    study_uid = upload_study(alice)
    dossier = sent_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    alice.post(f"/api/v1/dossiers/{dossier['id']}/exams", json={"study_instance_uids": [study_uid]})
    email = unique_email()
    invite(alice, dossier["id"], email=email)
    link_token, code = secrets_of(messages_to(server.outbox, email))
    with guest_client(server.url, link_token, code) as guest:
        yield {**dossier, "study_uid": study_uid}, guest


def test_matches_find_known_professionals(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    path = f"/api/v1/dossiers/{dossier['id']}/invitations/matches"
    body = {"last_name": "Lefevre", "first_name": "ELOISE"}
    matches = alice.post(path, json=body).json()["matches"]
    assert [m["username"] for m in matches] == ["bob"]
    nobody = alice.post(path, json={"last_name": "Nobody", "first_name": "X"}).json()
    assert nobody == {"matches": []}


def test_an_invitation_sends_the_link_and_the_code_apart(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    email, phone = unique_email(), "+33612345678"
    invitation = invite(alice, dossier["id"], email=email, phone=phone)
    assert (invitation["link_channel"], invitation["code_channel"]) == ("email", "sms")
    assert invitation["expires_at"] > invitation["created_at"]
    [link_message] = messages_to(server.outbox, email)
    assert "/guest/" in link_message["text"] and not CODE.search(link_message["text"])
    code_messages = [m for m in messages_to(server.outbox, phone) if m["channel"] == "sms"]
    assert CODE.search(code_messages[-1]["text"])
    listed = alice.get(f"/api/v1/dossiers/{dossier['id']}/invitations").json()
    assert [i["id"] for i in listed] == [invitation["id"]]
    assert "code" not in listed[0] and "link_token" not in listed[0]


def test_an_invitation_needs_an_email_or_a_phone(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    path = f"/api/v1/dossiers/{dossier['id']}/invitations"
    answer = alice.post(path, json={"last_name": "A", "first_name": "B"})
    assert answer.status_code == 422
    answer = alice.post(path, json={"last_name": "A", "first_name": "B", "phone": "0612"})
    assert answer.json()["error"]["details"]["field"] == "phone"
    assert (
        signed_in("eve").post(path, json={"last_name": "A", "first_name": "B"}).status_code == 404
    )


def test_the_guest_reads_its_dossier_and_adds_steps(
    server: Server,
    signed_in: Client,
    guest_setup: tuple[dict[str, Any], httpx.Client],
) -> None:
    dossier, guest = guest_setup
    info = guest.get("/api/v1/session").json()
    assert (info["kind"], info["dossier_id"], info["authentication"]) == (
        "guest",
        dossier["id"],
        "guest-code",
    )
    assert guest.get(f"/api/v1/dossiers/{dossier['id']}").status_code == 200
    manifest = guest.get(f"/api/v1/dossiers/{dossier['id']}/manifest").json()
    assert [e["study_instance_uid"] for e in manifest["exams"]] == [dossier["study_uid"]]
    wado = guest.get(f"/dicomweb/studies/{dossier['study_uid']}")
    assert wado.status_code == 200
    headers = {"Content-Type": "text/plain", "Content-Disposition": 'attachment; filename="a.txt"'}
    document = guest.post("/api/v1/documents", content=b"guest notes", headers=headers).json()
    body, content_type = multipart([ct_bytes()])
    stow = guest.post("/dicomweb/studies", content=body, headers={"Content-Type": content_type})
    assert stow.status_code == 200
    step = {
        "kind": "answer",
        "document_ids": [document["id"]],
        "study_instance_uids": [stow.json()["instances"][0]["study_instance_uid"]],
    }
    answer = guest.post(f"/api/v1/dossiers/{dossier['id']}/steps", json=step)
    assert answer.status_code == 201, answer.text
    last = answer.json()["steps"][-1]
    assert last["author"] is None and last["guest_author"]["last_name"] == "GUEST"
    notes = signed_in("bob").get("/api/v1/notifications").json()["items"]
    mine = [n for n in notes if n["dossier_id"] == dossier["id"] and n["kind"] == "step_added"]
    assert mine[0]["actor"] is None and mine[0]["guest_actor"]["first_name"] == "Gaston"
    used = signed_in("alice").get("/api/v1/notifications").json()["items"]
    assert any(n["kind"] == "invitation_used" and n["dossier_id"] == dossier["id"] for n in used)


def test_the_guest_may_do_nothing_else(
    server: Server,
    signed_in: Client,
    guest_setup: tuple[dict[str, Any], httpx.Client],
) -> None:
    dossier, guest = guest_setup
    other = create_dossier(signed_in("alice"), [{"kind": "user", "id": server.users["bob"]}])
    assert guest.get(f"/api/v1/dossiers/{other['id']}").status_code == 404
    path = f"/api/v1/dossiers/{dossier['id']}"
    forbidden = [
        guest.get("/api/v1/dossiers"),
        guest.get("/api/v1/me"),
        guest.get("/api/v1/directory"),
        guest.get("/api/v1/notifications"),
        guest.post("/api/v1/tokens", json={"name": "x"}),
        guest.post(f"{path}/steps", json={"kind": "ack"}),
        guest.post(f"{path}/send"),
        guest.post(f"{path}/invitations", json={"last_name": "A", "first_name": "B"}),
    ]
    for answer in forbidden:
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "guest_forbidden")


def test_five_wrong_codes_lock_the_invitation(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    email = unique_email()
    invite(alice, dossier["id"], email=email)
    link_token, code = secrets_of(messages_to(server.outbox, email))
    url = f"{server.url}/api/v1/guest-session"
    errors = [
        httpx.post(url, json={"link_token": link_token, "code": "WRONG000"}).json()["error"]
        for _ in range(5)
    ]
    assert [e["code"] for e in errors] == ["invalid_credentials"] * 4 + ["invitation_locked"]
    answer = httpx.post(url, json={"link_token": link_token, "code": code})
    assert answer.status_code == 401
    assert answer.json()["error"]["details"]["locked_until"]
    unknown = httpx.post(url, json={"link_token": "nope", "code": code})
    assert unknown.json()["error"]["code"] == "invalid_credentials"


def test_an_expired_invitation_says_when(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    email = unique_email()
    invitation = invite(alice, dossier["id"], email=email)
    link_token, code = secrets_of(messages_to(server.outbox, email))
    with admin_session(server.settings) as session:
        row = session.get(Invitation, invitation["id"])
        assert row is not None
        row.expires_at = datetime.now(timezone.utc) - timedelta(days=1)
        session.commit()
    answer = httpx.post(
        f"{server.url}/api/v1/guest-session", json={"link_token": link_token, "code": code}
    )
    error = answer.json()["error"]
    assert (answer.status_code, error["code"]) == (401, "invitation_expired")
    assert error["details"]["expired_at"] in error["message"]
