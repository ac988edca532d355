"""Directory search, case- and accent-insensitive."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Client = Callable[[str], httpx.Client]


def _search(client: httpx.Client, q: str) -> dict[str, list[dict[str, object]]]:
    answer = client.get("/api/v1/directory", params={"q": q})
    assert answer.status_code == 200
    body: dict[str, list[dict[str, object]]] = answer.json()
    return body


def test_search_ignores_case_and_accents(signed_in: Client) -> None:
    client = signed_in("alice")
    for q in ("lefevre", "LEFÈVRE", "Lefèvre eloise", "eloïse"):
        professionals = _search(client, q)["professionals"]
        assert [p["username"] for p in professionals] == ["bob"], q


def test_search_matches_communities_and_establishments(signed_in: Client) -> None:
    client = signed_in("alice")
    assert [c["name"] for c in _search(client, "neurochir")["communities"]] == ["Neurochirurgie"]
    names = {c["name"] for c in _search(client, "hopital nord")["communities"]}
    assert names == {"Radiologie"}
    assert _search(client, "zzz") == {"establishments": [], "communities": [], "professionals": []}


def test_empty_query_lists_everything(signed_in: Client) -> None:
    body = _search(signed_in("alice"), "")
    assert len(body["professionals"]) >= 5
    assert len(body["communities"]) >= 4


def test_community_members(signed_in: Client) -> None:
    client = signed_in("alice")
    community = _search(client, "radiologie")["communities"][0]
    members = client.get(f"/api/v1/directory/communities/{community['id']}/members").json()
    assert {m["username"] for m in members} == {"alice", "dave"}
    assert client.get("/api/v1/directory/communities/9999/members").status_code == 404
