"""The dossier list: filters, sorting, paging, unread."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

import httpx

from tests.server.conftest import Server
from tests.server.dossier_helpers import PATIENT, create_dossier, sent_dossier

Client = Callable[[str], httpx.Client]


def _ids(client: httpx.Client, **params: str) -> list[int]:
    answer = client.get("/api/v1/dossiers", params=params)
    assert answer.status_code == 200, answer.text
    return [d["id"] for d in answer.json()["items"]]


def test_filters(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    name = f"Z{uuid.uuid4().hex[:6]}"
    patient = {**PATIENT, "last_name": name, "identifier": f"ID-{name}"}
    bob = [{"kind": "user", "id": server.users["bob"]}]
    carol = [{"kind": "user", "id": server.users["carol"]}]
    first = create_dossier(alice, bob, patient=patient)["id"]
    second = sent_dossier(alice, carol, patient=patient)["id"]
    assert _ids(alice, patient=name.lower()) == [second, first]
    assert _ids(alice, patient=f"ID-{name}") == [second, first]
    assert _ids(alice, patient=name, status="sent") == [second]
    assert _ids(alice, patient=name, correspondent="petit") == [second]
    assert _ids(alice, patient=name, correspondent="lefevre eloise") == [first]
    assert _ids(alice, patient=name, type="imaging-transfer", sort="created_at") == [first, second]
    today = date.today()
    assert _ids(alice, patient=name, since=str(today - timedelta(days=1)), until=str(today))
    assert _ids(alice, patient=name, since=str(today + timedelta(days=2))) == []
    page = alice.get("/api/v1/dossiers", params={"patient": name, "limit": 1, "offset": 1}).json()
    assert ([d["id"] for d in page["items"]], page["total"]) == ([first], 2)


def test_unread_and_updated_at(server: Server, signed_in: Client) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    dossier = sent_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    assert dossier["id"] in _ids(bob, unread="true")
    assert dossier["id"] not in _ids(alice, unread="true")
    item = next(d for d in bob.get("/api/v1/dossiers").json()["items"] if d["id"] == dossier["id"])
    assert item["unread"] is True and item["updated_at"] >= item["created_at"]
    bob.post("/api/v1/notifications/read", json={"all": True})
    assert dossier["id"] not in _ids(bob, unread="true")
    assert _ids(bob, sort="-updated_at")[0] == dossier["id"]


def test_limit_is_capped(signed_in: Client) -> None:
    alice = signed_in("alice")
    assert alice.get("/api/v1/dossiers", params={"limit": 500}).status_code == 200
    assert alice.get("/api/v1/dossiers", params={"limit": 501}).status_code == 422
    assert alice.get("/api/v1/dossiers", params={"sort": "name"}).status_code == 422


def test_notifications_since_id(server: Server, signed_in: Client) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    sent_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    items = bob.get("/api/v1/notifications").json()["items"]
    newest = items[0]["id"]
    assert bob.get("/api/v1/notifications", params={"since_id": newest}).json()["items"] == []
    older = bob.get("/api/v1/notifications", params={"since_id": newest - 1}).json()["items"]
    assert [n["id"] for n in older] == [newest]
