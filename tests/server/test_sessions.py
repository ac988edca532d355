"""Access and refresh tokens, token info, TOTP, personal tokens, lockout."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pyotp
from sqlalchemy import select

from ortif_server.admin import admin_session, enable_totp
from ortif_server.models import User
from tests.server.accounts import bearer, new_user, sign_in
from tests.server.conftest import Server

Client = Callable[[str], httpx.Client]


def test_sign_in_gives_a_short_access_token_and_a_refresh_token(server: Server) -> None:
    body = sign_in(server, "alice").json()
    assert body["refresh_token"] and body["refresh_token"] != body["access_token"]
    assert body["refresh_expires_at"] > body["expires_at"]
    info = httpx.get(f"{server.url}/api/v1/session", headers=bearer(body["access_token"])).json()
    assert info["kind"] == "session"
    assert info["authentication"] == "password"
    assert info["user"]["username"] == "alice"
    assert (info["guest"], info["dossier_id"]) == (None, None)


def test_refresh_rotates_the_refresh_token(server: Server) -> None:
    first = sign_in(server, "alice").json()
    url = f"{server.url}/api/v1/session/refresh"
    second = httpx.post(url, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    access = second.json()["access_token"]
    assert httpx.get(f"{server.url}/api/v1/me", headers=bearer(access)).status_code == 200
    again = httpx.post(url, json={"refresh_token": first["refresh_token"]})
    assert (again.status_code, again.json()["error"]["code"]) == (401, "token_revoked")


def test_logout_revokes_access_and_refresh_tokens(server: Server) -> None:
    body = sign_in(server, "alice").json()
    headers = bearer(body["access_token"])
    assert httpx.delete(f"{server.url}/api/v1/session", headers=headers).status_code == 204
    answer = httpx.get(f"{server.url}/api/v1/me", headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "token_revoked")
    url = f"{server.url}/api/v1/session/refresh"
    answer = httpx.post(url, json={"refresh_token": body["refresh_token"]})
    assert answer.json()["error"]["code"] == "token_revoked"


def test_a_refresh_token_is_not_a_bearer_token(server: Server) -> None:
    refresh = sign_in(server, "alice").json()["refresh_token"]
    answer = httpx.get(f"{server.url}/api/v1/me", headers=bearer(refresh))
    assert answer.status_code == 401


def test_totp_is_required_once_enabled(server: Server) -> None:
    username = new_user(server, "totp")
    uri = enable_totp(server.settings, username)
    assert uri.startswith("otpauth://totp/") and "issuer=ortif" in uri
    totp = pyotp.TOTP(pyotp.parse_uri(uri).secret)
    assert sign_in(server, username).json()["error"]["code"] == "otp_required"
    assert sign_in(server, username, otp="000000").json()["error"]["code"] == "invalid_otp"
    answer = sign_in(server, username, otp=totp.now())
    assert answer.status_code == 200, answer.text
    headers = bearer(answer.json()["access_token"])
    info = httpx.get(f"{server.url}/api/v1/session", headers=headers).json()
    assert info["authentication"] == "otp"


def test_wrong_passwords_lock_the_account(server: Server) -> None:
    username = new_user(server, "locked")
    url = f"{server.url}/api/v1/session"
    codes = [
        httpx.post(url, json={"username": username, "password": "wrong"}).json()["error"]
        for _ in range(5)
    ]
    assert [c["code"] for c in codes] == ["invalid_credentials"] * 4 + ["account_locked"]
    answer = sign_in(server, username)
    error = answer.json()["error"]
    assert (answer.status_code, error["code"]) == (401, "account_locked")
    assert error["details"]["locked_until"] in error["message"]


def test_a_successful_sign_in_resets_the_failure_count(server: Server) -> None:
    username = new_user(server, "reset")
    url = f"{server.url}/api/v1/session"
    for _ in range(3):
        httpx.post(url, json={"username": username, "password": "wrong"})
    assert sign_in(server, username).status_code == 200
    with admin_session(server.settings) as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None and user.failed_logins == 0


def test_personal_tokens_are_created_listed_and_revoked(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    created = alice.post("/api/v1/tokens", json={"name": "cron", "expires_in_days": 30})
    assert created.status_code == 201
    token = created.json()
    assert token["name"] == "cron" and token["revoked"] is False and token["expires_at"]
    headers = bearer(token["token"])
    info = httpx.get(f"{server.url}/api/v1/session", headers=headers).json()
    assert (info["kind"], info["authentication"]) == ("personal", "personal-token")
    listed = {t["id"]: t for t in alice.get("/api/v1/tokens").json()}
    assert "token" not in listed[token["id"]] and listed[token["id"]]["last_used_at"]
    assert signed_in("bob").delete(f"/api/v1/tokens/{token['id']}").status_code == 404
    assert alice.delete(f"/api/v1/tokens/{token['id']}").status_code == 204
    assert httpx.get(f"{server.url}/api/v1/me", headers=headers).status_code == 401


def test_a_personal_token_may_never_expire(signed_in: Client) -> None:
    alice = signed_in("alice")
    answer = alice.post("/api/v1/tokens", json={"name": "n", "expires_in_days": None})
    assert answer.status_code == 201 and answer.json()["expires_at"] is None
    bad = alice.post("/api/v1/tokens", json={"name": "n", "expires_in_days": 0})
    assert bad.status_code == 422
