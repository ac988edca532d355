"""Sign in, sign out, who am I."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.server.conftest import Server, password


def test_login_returns_a_bearer_token(server: Server) -> None:
    with server.client() as client:
        answer = client.post(
            "/api/v1/session", json={"username": "alice", "password": password("alice")}
        )
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert len(body["access_token"]) >= 43
    assert body["expires_at"].endswith("+00:00")
    assert body["user"] == {
        "id": server.users["alice"],
        "username": "alice",
        "last_name": "MARTIN",
        "first_name": "Alice",
    }


def test_wrong_password_or_unknown_user_is_401(server: Server) -> None:
    with server.client() as client:
        for username in ("alice", "nobody"):
            answer = client.post("/api/v1/session", json={"username": username, "password": "x"})
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "invalid_credentials"


def test_token_is_required(server: Server) -> None:
    with server.client() as client:
        for path in ("/api/v1/me", "/api/v1/dossiers", "/api/v1/notifications"):
            answer = client.get(path)
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "not_authenticated"
        answer = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
        assert answer.status_code == 401


def test_me_lists_communities(signed_in: Callable[[str], httpx.Client]) -> None:
    me = signed_in("bob").get("/api/v1/me").json()
    assert me["username"] == "bob"
    assert me["communities"][0]["name"] == "Neurologie"
    assert me["communities"][0]["establishment"]["name"] == "CHU Sud"


def test_logout_revokes_the_token(server: Server) -> None:
    with server.client("eve") as client:
        assert client.delete("/api/v1/session").status_code == 204
        answer = client.get("/api/v1/me")
    assert answer.status_code == 401
