"""The dossier list: filters, sorting, paging, unread."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

import httpx

from tests.server.conftest import Server
from tests.server.dossier_helpers import (
    PATIENT,
    create_dossier,
    my_community_id,
    sent_dossier,
    upload_study,
)

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


def test_a_summary_is_the_dossier_without_steps_plus_its_exam_count(
    server: Server, signed_in: Client
) -> None:
    """The list builds its summaries from rows (dossier_summaries.py): same fields as
    `GET /dossiers/{id}`, with community, qualified patient, both kinds of correspondent."""
    alice, bob = signed_in("alice"), signed_in("bob")
    patient = {**PATIENT, "identity_status": "qualified", "ins_matricule": "180017512345678",
               "first_names": ["John", "Paul"], "birthplace_code": "2A004"}  # fmt: skip
    correspondents = [
        {"kind": "user", "id": server.users["bob"]},
        {"kind": "community", "id": my_community_id(bob)},
    ]
    community = {"visibility": "community", "community_id": my_community_id(alice)}
    dossier = create_dossier(alice, correspondents, patient=patient, **community)
    studies = [upload_study(alice), upload_study(alice)]
    path = f"/api/v1/dossiers/{dossier['id']}"
    alice.post(f"{path}/exams", json={"study_instance_uids": studies}).raise_for_status()
    alice.post(f"{path}/send").raise_for_status()
    answer = {"kind": "answer", "study_instance_uids": [upload_study(bob)]}
    bob.post(f"{path}/steps", json=answer).raise_for_status()
    for client in (alice, bob):
        detail = client.get(path).json()
        [summary] = [i for i in client.get("/api/v1/dossiers").json()["items"]
                     if i["id"] == dossier["id"]]  # fmt: skip
        exam_count = sum(len(step["exams"]) for step in detail.pop("steps"))
        assert summary == {**detail, "exam_count": exam_count}
    assert exam_count == 3
