"""Who sees a dossier: owner, correspondents, community members; others get 404."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.server.conftest import Server
from tests.server.dossier_helpers import create_dossier, my_community_id

Client = Callable[[str], httpx.Client]


@pytest.fixture
def dossier_id(server: Server, signed_in: Client) -> int:
    """alice -> bob in person and carol's community, visible to alice's community (dave)."""
    alice = signed_in("alice")
    dossier = create_dossier(
        alice,
        [
            {"kind": "user", "id": server.users["bob"]},
            {"kind": "community", "id": my_community_id(signed_in("carol"))},
        ],
        visibility="community",
        community_id=my_community_id(alice),
    )
    alice.post(f"/api/v1/dossiers/{dossier['id']}/send").raise_for_status()
    identifier: int = dossier["id"]
    return identifier


@pytest.mark.parametrize(
    ("username", "visible"),
    [("alice", True), ("bob", True), ("carol", True), ("dave", True), ("eve", False)],
)
def test_visibility_matrix(
    signed_in: Client, dossier_id: int, username: str, visible: bool
) -> None:
    client = signed_in(username)
    answer = client.get(f"/api/v1/dossiers/{dossier_id}")
    assert answer.status_code == (200 if visible else 404)
    listed = {
        d["id"] for d in client.get("/api/v1/dossiers", params={"limit": 200}).json()["items"]
    }
    assert (dossier_id in listed) is visible


def test_outsider_gets_404_on_every_action(signed_in: Client, dossier_id: int) -> None:
    eve = signed_in("eve")
    url = f"/api/v1/dossiers/{dossier_id}"
    for answer in (
        eve.post(f"{url}/send"),
        eve.post(f"{url}/cancel"),
        eve.post(f"{url}/steps", json={"kind": "ack"}),
        eve.post(f"{url}/exams", json={"study_instance_uids": ["1.2.3"]}),
    ):
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


def test_visibility_me_hides_from_the_owners_community(server: Server, signed_in: Client) -> None:
    dossier = create_dossier(signed_in("alice"), [{"kind": "user", "id": server.users["bob"]}])
    assert signed_in("dave").get(f"/api/v1/dossiers/{dossier['id']}").status_code == 404


def test_community_member_who_is_not_addressed_cannot_ack(
    signed_in: Client, dossier_id: int
) -> None:
    answer = signed_in("dave").post(f"/api/v1/dossiers/{dossier_id}/steps", json={"kind": "ack"})
    assert answer.status_code == 403
    answer = signed_in("carol").post(f"/api/v1/dossiers/{dossier_id}/steps", json={"kind": "ack"})
    assert answer.status_code == 201
