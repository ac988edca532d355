"""Dossier lifecycle: create, list, show, send, cancel, acknowledge, notifications."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.server.conftest import Server
from tests.server.dossier_helpers import PATIENT, create_dossier, my_community_id

Client = Callable[[str], httpx.Client]


def test_create_gives_a_draft_with_a_request_step(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    assert dossier["status"] == "draft"
    assert dossier["type"] == "imaging-transfer"
    assert dossier["owner"]["username"] == "alice"
    assert PATIENT.items() <= dossier["patient"].items()
    assert dossier["correspondents"] == [
        {"kind": "user", "id": server.users["bob"], "label": "LEFÈVRE Éloïse"}
    ]
    [step] = dossier["steps"]
    assert (step["kind"], step["comment"], step["exams"]) == ("request", "Please review", [])
    assert dossier["sent_at"] is None
    assert alice.get(f"/api/v1/dossiers/{dossier['id']}").json() == dossier


def test_list_is_newest_first_and_filters_by_status(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    target = [{"kind": "user", "id": server.users["eve"]}]
    first, second = create_dossier(alice, target), create_dossier(alice, target)
    alice.post(f"/api/v1/dossiers/{first['id']}/cancel").raise_for_status()
    page = alice.get("/api/v1/dossiers", params={"limit": 200}).json()
    ids = [item["id"] for item in page["items"]]
    assert ids.index(second["id"]) < ids.index(first["id"])
    assert page["total"] >= 2
    assert page["items"][0]["exam_count"] == 0
    assert "steps" not in page["items"][0]
    cancelled = alice.get("/api/v1/dossiers", params={"status": "cancelled"}).json()
    assert {item["status"] for item in cancelled["items"]} == {"cancelled"}
    limited = alice.get("/api/v1/dossiers", params={"limit": 1, "offset": 1}).json()
    assert len(limited["items"]) == 1


def test_send_notifies_correspondents_but_not_the_sender(server: Server, signed_in: Client) -> None:
    alice, bob, carol = signed_in("alice"), signed_in("bob"), signed_in("carol")
    carol_community = my_community_id(carol)
    correspondents = [
        {"kind": "user", "id": server.users["bob"]},
        {"kind": "community", "id": carol_community},
    ]
    dossier = create_dossier(alice, correspondents)
    answer = alice.post(f"/api/v1/dossiers/{dossier['id']}/send")
    assert answer.status_code == 200
    assert answer.json()["status"] == "sent"
    assert answer.json()["sent_at"] is not None
    for client in (bob, carol):
        items = client.get("/api/v1/notifications", params={"unread": "true"}).json()["items"]
        assert items[0]["kind"] == "dossier_sent"
        assert items[0]["dossier_id"] == dossier["id"]
        assert items[0]["actor"]["username"] == "alice"
    sent_to_alice = alice.get("/api/v1/notifications").json()["items"]
    assert dossier["id"] not in {
        n["dossier_id"] for n in sent_to_alice if n["kind"] == "dossier_sent"
    }
    assert alice.post(f"/api/v1/dossiers/{dossier['id']}/send").status_code == 409
    assert alice.post(f"/api/v1/dossiers/{dossier['id']}/cancel").status_code == 409


def test_only_the_owner_sends(server: Server, signed_in: Client) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    answer = bob.post(f"/api/v1/dossiers/{dossier['id']}/send")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert signed_in("eve").post(f"/api/v1/dossiers/{dossier['id']}/send").status_code == 404


def test_ack_closes_and_notifies_the_owner(server: Server, signed_in: Client) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    url = f"/api/v1/dossiers/{dossier['id']}"
    early = bob.post(f"{url}/steps", json={"kind": "ack"})
    assert early.status_code == 409
    alice.post(f"{url}/send").raise_for_status()
    assert alice.post(f"{url}/steps", json={"kind": "ack"}).status_code == 403
    answer = bob.post(f"{url}/steps", json={"kind": "ack", "comment": "Received"})
    assert answer.status_code == 201
    closed = answer.json()
    assert closed["status"] == "closed"
    assert closed["closed_at"] is not None
    assert [s["kind"] for s in closed["steps"]] == ["request", "ack"]
    assert closed["steps"][1]["author"]["username"] == "bob"
    notification = alice.get("/api/v1/notifications", params={"unread": "true"}).json()["items"][0]
    assert notification["kind"] == "dossier_acknowledged"
    assert notification["dossier_id"] == dossier["id"]
    assert notification["actor"]["username"] == "bob"
    second = bob.post(f"{url}/steps", json={"kind": "ack"})
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "invalid_state"


def test_mark_notifications_read(server: Server, signed_in: Client) -> None:
    alice, dave = signed_in("alice"), signed_in("dave")
    for _ in range(2):
        dossier = create_dossier(alice, [{"kind": "user", "id": server.users["dave"]}])
        alice.post(f"/api/v1/dossiers/{dossier['id']}/send").raise_for_status()
    unread = dave.get("/api/v1/notifications", params={"unread": "true"}).json()["items"]
    assert len(unread) >= 2
    assert (
        dave.post("/api/v1/notifications/read", json={"ids": [unread[0]["id"]]}).status_code == 204
    )
    items = dave.get("/api/v1/notifications").json()["items"]
    assert next(n for n in items if n["id"] == unread[0]["id"])["read"] is True
    assert dave.post("/api/v1/notifications/read", json={"all": True}).status_code == 204
    assert dave.get("/api/v1/notifications", params={"unread": "true"}).json()["items"] == []
    answer = dave.post("/api/v1/notifications/read", json={})
    assert answer.status_code == 422


def test_create_checks_community_and_correspondents(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    bob_target = [{"kind": "user", "id": server.users["bob"]}]
    own_community = my_community_id(alice)
    other_community = my_community_id(signed_in("eve"))
    cases = [
        ({"visibility": "community", "correspondents": bob_target}, "community_id"),
        (
            {
                "visibility": "community",
                "community_id": other_community,
                "correspondents": bob_target,
            },
            "community_id",
        ),
        ({"correspondents": []}, "correspondents"),
        ({"correspondents": [{"kind": "user", "id": server.users["alice"]}]}, "correspondents.0"),
        ({"correspondents": [{"kind": "user", "id": 99999}]}, "correspondents.0"),
        ({"correspondents": [{"kind": "community", "id": 99999}]}, "correspondents.0"),
    ]
    for overrides, field in cases:
        body = {"type": "imaging-transfer", "visibility": "me", "patient": PATIENT, **overrides}
        answer = alice.post("/api/v1/dossiers", json=body)
        assert answer.status_code == 422, overrides
        assert answer.json()["error"]["message"].startswith(field), answer.json()
    created = create_dossier(alice, bob_target, visibility="community", community_id=own_community)
    assert created["community"]["id"] == own_community
