"""`ortif login` at a real terminal (a pseudo-terminal driven by pexpect): it prompts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pyotp
import pytest

from ortif_cli.localserver import Account, LocalServer
from tests.cli.test_session import OTP_SECRET, otp_account  # noqa: F401 - fixture
from tests.conftest import PATIENCE, REQUESTER

TIMEOUT = PATIENCE


def spawn(server: str, *args: str) -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ortif_cli", "--server", server, *args],
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 120),
    )
    return child


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    status: int = child.exitstatus if child.exitstatus is not None else -1
    return status


def test_login_prompts_for_username_and_hidden_password(
    live_server: LocalServer, isolated_env: Path
) -> None:
    child = spawn(live_server.url, "login")
    child.expect("Username")
    child.sendline(REQUESTER.username)
    child.expect("Password")
    child.sendline(REQUESTER.password)
    child.expect("Signed in to")
    transcript = child.before or ""
    assert finish(child) == 0
    assert REQUESTER.password not in transcript


def test_login_prompts_for_the_otp_code(
    live_server: LocalServer,
    otp_account: Account,  # noqa: F811
) -> None:
    child = spawn(live_server.url, "login", "--username", otp_account.username)
    child.expect("Password")
    child.sendline(otp_account.password)
    child.expect("authenticator")
    child.sendline(pyotp.TOTP(OTP_SECRET).now())
    child.expect("Signed in to")
    assert finish(child) == 0


def test_ctrl_c_at_a_prompt_exits_130(live_server: LocalServer) -> None:
    child = spawn(live_server.url, "login")
    child.expect("Username")
    child.sendcontrol("c")
    child.expect("interrupted")
    assert finish(child) == 130


def test_prompts_in_french(live_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    child = spawn(live_server.url, "login")
    child.expect("Identifiant")
    child.sendline("nobody")
    child.expect("Mot de passe")
    child.sendline("wrong")
    child.expect("Identifiant ou mot de passe incorrect")
    assert finish(child) == 3
