"""Shared fixtures: an isolated environment per test and a live platform server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ortif_cli.localserver import Account, LocalServer

REQUESTER = Account("mdurand", "pw-requester-1", "DURAND", "Marie", "CH Ville-Évrard", "Radiologie")
EXPERT = Account("pmartin", "pw-expert-1", "MARTIN", "Pierre", "CHU Lyon", "Neuroradiologie")
OUTSIDER = Account("jdoe", "pw-outsider-1", "DOE", "John", "Clinique du Parc", "Cardiologie")
ACCOUNTS = (REQUESTER, EXPERT, OUTSIDER)

PATIENCE = 180.0
"""Seconds a test waits for a process or a server to show something before it fails:
every wait is on a condition (a line, a port, a file), generous for a loaded machine."""


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No ORTIF_* variable, and a private config dir, cache and file keyring per test."""
    import os

    for name in list(os.environ):
        if name.startswith("ORTIF_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    for sub, var in (
        ("config", "XDG_CONFIG_HOME"),
        ("cache", "XDG_CACHE_HOME"),
        ("data", "XDG_DATA_HOME"),
    ):
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(home / sub))
    use_keyring(monkeypatch, "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return home


def use_keyring(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    """Select a keyring backend the documented way, and make keyring read it again."""
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    keyring.core.init_backend()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """`ortif-server serve` as a subprocess on a free port, with three users."""
    server = LocalServer(tmp_path_factory.mktemp("platform"))
    server.init()
    for account in ACCOUNTS:
        server.add_user(account)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class Ortif:
    """Runs `ortif` in-process, the way a user types it."""

    def __init__(self, server: str | None = None) -> None:
        self.server = server
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        from ortif_cli.cli.main import app

        prefix = ["--server", self.server] if self.server else []
        result = self.runner.invoke(app, [*prefix, *args], input=input)
        return Result(result.exit_code, result.stdout, result.stderr)

    def login(self, account: Account, profile: str = "default") -> Result:
        result = self(
            "--profile",
            profile,
            "login",
            "--username",
            account.username,
            "--password-stdin",
            input=account.password + "\n",
        )
        assert result.exit_code == 0, result.stderr
        return result


@pytest.fixture
def ortif(live_server: LocalServer) -> Ortif:
    return Ortif(live_server.url)
