"""Sign-in, silent refresh with rotation, expiry, sign-out, whoami, personal tokens."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ortif_cli.credentials import load_session, save_session
from ortif_cli.localserver import Account, LocalServer
from tests.conftest import EXPERT, REQUESTER, Ortif, use_keyring

OTP_USER = Account("otpuser", "pw-otp-user-1", "TOTP", "Tania", "CHU Lyon", "Neuroradiologie")
OTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _login(ortif: Ortif, account: Account, *extra: str) -> object:
    return ortif(
        *extra, "login", "--username", account.username, "--password-stdin",
        input=account.password + "\n",
    )  # fmt: skip


@pytest.fixture(scope="module")
def otp_account(live_server: LocalServer) -> Account:
    """A user whose account has TOTP (set in the database: no admin command for it yet)."""
    live_server.add_user(OTP_USER)
    with sqlite3.connect(live_server.data_dir / "ortif.db") as db:
        db.execute(
            "UPDATE app_user SET totp_secret = ? WHERE username = ?",
            (OTP_SECRET, OTP_USER.username),
        )
    return OTP_USER


def test_login_stores_a_refreshable_session(ortif: Ortif) -> None:
    result = ortif.login(REQUESTER)
    assert f"Signed in to {ortif.server} as DURAND Marie." in result.stderr
    assert ortif.server
    stored = load_session("default", ortif.server)
    assert stored and stored.refresh_token and stored.expires_at
    assert stored.kind == "session"


def test_login_json(ortif: Ortif) -> None:
    result = _login(ortif, EXPERT, "--json")
    document = result.json()  # type: ignore[attr-defined]
    assert document["user"]["username"] == EXPERT.username
    assert document["kind"] == "session" and document["profile"] == "default"
    assert datetime.fromisoformat(document["expires_at"]).tzinfo is not None
    assert set(document) == {
        "user", "guest", "dossier_id", "kind", "server", "profile", "expires_at",
        "refresh_expires_at",
    }  # fmt: skip


def test_expiring_access_token_is_refreshed_and_rotated(ortif: Ortif) -> None:
    assert ortif.server
    ortif.login(REQUESTER)
    stored = load_session("default", ortif.server)
    assert stored
    old_refresh = stored.refresh_token
    stored.expires_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    save_session("default", ortif.server, stored)
    result = ortif("--json", "whoami")
    assert result.exit_code == 0, result.stderr
    renewed = load_session("default", ortif.server)
    assert renewed and renewed.refresh_token != old_refresh
    assert renewed.access_token != stored.access_token
    # rotation: the old refresh token is dead
    stored.access_token = "not-a-token"
    save_session("default", ortif.server, stored)
    dead = ortif("whoami")
    assert dead.exit_code == 3
    assert "ortif login" in dead.stderr


def test_rejected_access_token_is_refreshed_once(ortif: Ortif) -> None:
    assert ortif.server
    ortif.login(EXPERT)
    stored = load_session("default", ortif.server)
    assert stored
    stored.access_token = "revoked-or-unknown"
    save_session("default", ortif.server, stored)
    result = ortif("--json", "whoami")
    assert result.exit_code == 0, result.stderr
    assert result.json()["user"]["username"] == EXPERT.username


def test_expired_session_exits_3_saying_to_login(ortif: Ortif) -> None:
    assert ortif.server
    ortif.login(REQUESTER)
    stored = load_session("default", ortif.server)
    assert stored
    stored.refresh_token = "expired-refresh-token"
    stored.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    save_session("default", ortif.server, stored)
    result = ortif("dossier", "list")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "ortif: error: Your session has expired.",
        "hint: Run `ortif login` to sign in again.",
    ]


def test_whoami_shows_user_profile_server_kind_and_expiry(ortif: Ortif) -> None:
    ortif.login(REQUESTER)
    human = ortif("whoami")
    assert human.exit_code == 0, human.stderr
    assert "DURAND Marie (mdurand)" in human.stdout
    assert re.search(r"^profile: +default$", human.stdout, re.M)
    assert ortif.server and ortif.server in human.stdout
    assert "session (renewed by itself)" in human.stdout
    document = ortif("--json", "whoami").json()
    assert document["kind"] == "session" and document["authentication"] == "password"
    assert document["user"]["username"] == REQUESTER.username
    assert document["communities"][0]["name"] == "Radiologie"
    assert document["expires_at"] and document["profile"] == "default"


def test_logout_revokes_on_the_server_and_forgets(ortif: Ortif) -> None:
    from ortif_cli.api.client import PlatformClient
    from ortif_cli.errors import AuthError

    assert ortif.server
    ortif.login(REQUESTER)
    stored = load_session("default", ortif.server)
    assert stored
    result = ortif("--json", "logout")
    assert result.exit_code == 0, result.stderr
    assert result.json() == {"signed_out": True, "server": ortif.server, "profile": "default"}
    assert load_session("default", ortif.server) is None
    with PlatformClient(ortif.server, stored.access_token) as client, pytest.raises(AuthError):
        client.session_info()
    assert ortif("whoami").exit_code == 3


def test_profiles_keep_separate_sessions(ortif: Ortif) -> None:
    ortif.login(REQUESTER, "a")
    ortif.login(EXPERT, "b")
    assert ortif("--profile", "a", "--json", "whoami").json()["user"]["username"] == "mdurand"
    assert ortif("--profile", "b", "--json", "whoami").json()["user"]["username"] == "pmartin"


def test_missing_password_under_no_input_exits_2(ortif: Ortif) -> None:
    result = ortif("--no-input", "login", "--username", "mdurand")
    assert result.exit_code == 2
    assert "--password-stdin" in result.stderr


def test_otp_required_without_terminal_exits_2_naming_otp(
    ortif: Ortif, otp_account: Account
) -> None:
    result = _login(ortif, otp_account)
    assert result.exit_code == 2, result.stderr  # type: ignore[attr-defined]
    assert "--otp" in result.stderr  # type: ignore[attr-defined]


def test_otp_login(ortif: Ortif, otp_account: Account) -> None:
    import pyotp

    code = pyotp.TOTP(OTP_SECRET).now()
    result = ortif(
        "--json", "login", "--username", otp_account.username, "--password-stdin", "--otp", code,
        input=otp_account.password + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert ortif("--json", "whoami").json()["authentication"] == "otp"


def test_wrong_otp_exits_3(ortif: Ortif, otp_account: Account) -> None:
    result = ortif(
        "login", "--username", otp_account.username, "--password-stdin", "--otp", "000000",
        input=otp_account.password + "\n",
    )  # fmt: skip
    assert result.exit_code == 3
    assert "authenticator code" in result.stderr


def test_personal_tokens(ortif: Ortif) -> None:
    ortif.login(REQUESTER)
    created = ortif("--json", "token", "create", "--name", "nightly", "--expires", "30d")
    assert created.exit_code == 0, created.stderr
    document = created.json()
    assert {"token", "name", "expires_at"} <= set(document)
    assert document["name"] == "nightly"
    expires = datetime.fromisoformat(document["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(timezone.utc) <= timedelta(days=30)
    everything = ortif("--json", "token", "list").json()["items"]
    listed = [t for t in everything if t["name"] == "nightly"]
    assert [t["id"] for t in listed] == [document["id"]]
    assert "token" not in listed[0] and listed[0]["revoked"] is False
    assert document["token"] not in ortif("token", "list").stdout
    csv_lines = ortif("token", "list", "--csv").stdout.splitlines()
    assert csv_lines[0] == "id,name,created_at,expires_at,last_used_at,revoked"
    assert len(csv_lines) == len(everything) + 1
    assert ortif("-q", "token", "list").stdout.split() == [str(t["id"]) for t in everything]
    never = ortif("--json", "token", "create", "--name", "forever", "--expires", "never")
    assert never.json()["expires_at"] is None
    revoked = ortif("--json", "token", "revoke", str(listed[0]["id"]))
    assert revoked.json() == {"id": listed[0]["id"], "revoked": True}
    assert ortif("token", "revoke", "999999").exit_code == 5


def test_token_create_human_prints_the_secret_on_stdout_only(ortif: Ortif) -> None:
    ortif.login(REQUESTER)
    result = ortif("token", "create", "--name", "backup")
    assert result.exit_code == 0, result.stderr
    secret = result.stdout.strip()
    assert len(secret) >= 32 and secret not in result.stderr
    assert "will not be shown again" in result.stderr


def test_bad_expiry_exits_2(ortif: Ortif) -> None:
    ortif.login(REQUESTER)
    result = ortif("token", "create", "--name", "x", "--expires", "20y")
    assert result.exit_code == 2
    assert "90d" in result.stderr


def test_token_in_cron_environment(live_server: LocalServer, ortif: Ortif, tmp_path: Path) -> None:
    """No TTY, no keyring backend, HOME without any config: ORTIF_TOKEN is enough."""
    ortif.login(REQUESTER)
    token = ortif("--json", "token", "create", "--name", "cron").json()["token"]
    home = tmp_path / "cron-home"
    home.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "ORTIF_TOKEN": token,
        "ORTIF_SERVER": live_server.url,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    for command in (["whoami"], ["dossier", "list"], ["notifications"]):
        done = subprocess.run(
            [sys.executable, "-m", "ortif_cli", "--json", *command],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "\x1b[" not in done.stdout + done.stderr
        json.loads(done.stdout)
    assert not (home / ".config").exists()


def test_plain_keyring_entry_of_earlier_versions_still_works(ortif: Ortif) -> None:
    """ortif 0.1 kept the bare access token in the keyring."""
    import keyring

    from ortif_cli.api.client import PlatformClient

    assert ortif.server
    with PlatformClient(ortif.server) as client:
        token = client.login(EXPERT.username, EXPERT.password).access_token
    ortif("config", "set", "server", ortif.server)
    keyring.set_password("ortif", f"default@{ortif.server}", token)
    assert ortif("--json", "whoami").json()["user"]["username"] == EXPERT.username


def test_no_keyring_at_all_says_how_to_fix(ortif: Ortif, monkeypatch: pytest.MonkeyPatch) -> None:
    use_keyring(monkeypatch, "keyring.backends.fail.Keyring")
    result = ortif("whoami")
    assert result.exit_code == 3
    assert "ORTIF_TOKEN" in result.stderr


def test_two_processes_refreshing_at_once_keep_the_session(ortif: Ortif) -> None:
    """Rotation revokes the refresh token the slower process holds: it reloads the new one."""
    from ortif_cli.cli.context import AppContext
    from ortif_cli.ui.console import Output

    assert ortif.server
    ortif.login(REQUESTER)
    stored = load_session("default", ortif.server)
    assert stored
    stored.expires_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    save_session("default", ortif.server, stored)
    first, second = AppContext(Output()), AppContext(Output())
    with first.client() as fast, second.client() as slow:
        fast.refresh()
        assert slow.session_info().user is not None
        assert slow.me().user.username == REQUESTER.username
