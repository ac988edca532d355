"""Steps answer, info and second-opinion; documents; notifications; manifest."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.server.conftest import Server
from tests.server.dossier_helpers import (
    create_dossier,
    sent_dossier,
    upload_document,
    upload_study,
)

Client = Callable[[str], httpx.Client]


def _user(server: Server, name: str) -> dict[str, object]:
    return {"kind": "user", "id": server.users[name]}


def test_an_answer_carries_exams_and_documents(server: Server, signed_in: Client) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    dossier = sent_dossier(alice, [_user(server, "bob")])
    study_uid = upload_study(bob)
    document = upload_document(bob, b"answer text", "answer.pdf")
    body = {
        "kind": "answer",
        "comment": "Looks fine",
        "study_instance_uids": [study_uid],
        "document_ids": [document["id"]],
    }
    answer = bob.post(f"/api/v1/dossiers/{dossier['id']}/steps", json=body)
    assert answer.status_code == 201, answer.text
    step = answer.json()["steps"][-1]
    assert (step["kind"], step["author"]["username"], step["guest_author"]) == (
        "answer",
        "bob",
        None,
    )
    assert [e["study_instance_uid"] for e in step["exams"]] == [study_uid]
    assert [d["id"] for d in step["documents"]] == [document["id"]]
    assert answer.json()["status"] == "sent"
    assert answer.json()["updated_at"] >= dossier["updated_at"]


def test_a_step_notifies_every_participant_but_its_author(
    server: Server, signed_in: Client
) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    dossier = sent_dossier(alice, [_user(server, "bob")])
    bob.post(f"/api/v1/dossiers/{dossier['id']}/steps", json={"kind": "info", "comment": "?"})
    items = alice.get("/api/v1/notifications?unread=true").json()["items"]
    mine = [n for n in items if n["dossier_id"] == dossier["id"]]
    assert [(n["kind"], n["step_kind"], n["actor"]["username"]) for n in mine] == [
        ("step_added", "info", "bob")
    ]
    assert alice.get(f"/api/v1/dossiers/{dossier['id']}").json()["unread"] is True
    bob_items = bob.get("/api/v1/notifications").json()["items"]
    assert all(n["kind"] != "step_added" for n in bob_items if n["dossier_id"] == dossier["id"])


def test_a_second_opinion_adds_correspondents(server: Server, signed_in: Client) -> None:
    alice, bob, carol = signed_in("alice"), signed_in("bob"), signed_in("carol")
    dossier = sent_dossier(alice, [_user(server, "bob")])
    path = f"/api/v1/dossiers/{dossier['id']}"
    assert carol.get(path).status_code == 404
    body = {"kind": "second-opinion", "correspondents": [_user(server, "carol")]}
    answer = bob.post(f"{path}/steps", json=body)
    assert answer.status_code == 201, answer.text
    step = answer.json()["steps"][-1]
    assert [c["id"] for c in step["correspondents"]] == [server.users["carol"]]
    assert carol.get(path).status_code == 200
    kinds = {n["kind"] for n in carol.get("/api/v1/notifications").json()["items"]}
    assert "step_added" in kinds


def test_correspondents_only_on_a_second_opinion(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    dossier = sent_dossier(alice, [_user(server, "bob")])
    body = {"kind": "info", "correspondents": [_user(server, "carol")]}
    answer = alice.post(f"/api/v1/dossiers/{dossier['id']}/steps", json=body)
    assert (answer.status_code, answer.json()["error"]["details"]["field"]) == (
        422,
        "correspondents",
    )


def test_steps_need_a_sent_dossier_and_a_participant(server: Server, signed_in: Client) -> None:
    alice, dave = signed_in("alice"), signed_in("dave")
    draft = create_dossier(alice, [_user(server, "bob")])
    answer = alice.post(f"/api/v1/dossiers/{draft['id']}/steps", json={"kind": "info"})
    assert answer.status_code == 409
    community_id = alice.get("/api/v1/me").json()["communities"][0]["id"]
    shared = sent_dossier(
        alice, [_user(server, "bob")], visibility="community", community_id=community_id
    )
    path = f"/api/v1/dossiers/{shared['id']}/steps"
    assert dave.get(f"/api/v1/dossiers/{shared['id']}").status_code == 200
    assert dave.post(path, json={"kind": "answer"}).status_code == 403


def test_a_closed_dossier_accepts_nothing(server: Server, signed_in: Client) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    dossier = sent_dossier(alice, [_user(server, "bob")])
    path = f"/api/v1/dossiers/{dossier['id']}"
    assert bob.post(f"{path}/steps", json={"kind": "ack"}).status_code == 201
    assert bob.post(f"{path}/steps", json={"kind": "answer"}).status_code == 409
    document = upload_document(alice)
    answer = alice.post(f"{path}/documents", json={"document_ids": [document["id"]]})
    assert answer.status_code == 409


def test_others_documents_and_studies_are_refused(server: Server, signed_in: Client) -> None:
    alice, eve = signed_in("alice"), signed_in("eve")
    dossier = sent_dossier(alice, [_user(server, "bob")])
    path = f"/api/v1/dossiers/{dossier['id']}/steps"
    document = upload_document(eve)
    answer = alice.post(path, json={"kind": "info", "document_ids": [document["id"]]})
    assert (
        answer.status_code == 422 and answer.json()["error"]["details"]["field"] == "document_ids"
    )
    study_uid = upload_study(eve)
    answer = alice.post(path, json={"kind": "info", "study_instance_uids": [study_uid]})
    assert answer.status_code == 422


def test_documents_join_the_request_step_once(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    document = upload_document(alice)
    dossier = create_dossier(alice, [_user(server, "bob")], document_ids=[document["id"]])
    assert [d["id"] for d in dossier["steps"][0]["documents"]] == [document["id"]]
    again = alice.post(
        f"/api/v1/dossiers/{dossier['id']}/documents", json={"document_ids": [document["id"]]}
    )
    assert [d["id"] for d in again.json()["steps"][0]["documents"]] == [document["id"]]


def test_the_manifest_lists_instances_and_documents(server: Server, signed_in: Client) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    study_uid = upload_study(alice)
    document = upload_document(alice)
    dossier = create_dossier(alice, [_user(server, "bob")], document_ids=[document["id"]])
    alice.post(f"/api/v1/dossiers/{dossier['id']}/exams", json={"study_instance_uids": [study_uid]})
    manifest = bob.get(f"/api/v1/dossiers/{dossier['id']}/manifest").json()
    [exam] = manifest["exams"]
    assert exam["study_instance_uid"] == study_uid
    [instance] = exam["instances"]
    assert instance["modality"] == "CT" and len(instance["sha256"]) == 64 and instance["size"] > 0
    assert [d["sha256"] for d in manifest["documents"]] == [document["sha256"]]
    assert signed_in("eve").get(f"/api/v1/dossiers/{dossier['id']}/manifest").status_code == 404
