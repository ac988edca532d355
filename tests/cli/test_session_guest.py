"""`ortif login --guest LINK`: a guest's session, scoped to one dossier."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ortif_cli.api.client import PlatformClient
from ortif_cli.cli.session import parse_guest_link
from ortif_cli.errors import UsageError
from ortif_cli.localserver import LocalServer
from tests.conftest import ACCOUNTS, EXPERT, REQUESTER, Ortif


@dataclass
class Invitation:
    server: str
    link: str
    code: str
    dossier_id: int


@pytest.fixture(scope="module")
def guest_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, Path]]:
    data = tmp_path_factory.mktemp("guest-platform")
    outbox = data / "outbox"
    server = LocalServer(data, serve_args=("--outbox", str(outbox)))
    server.init()
    for account in ACCOUNTS:
        server.add_user(account)
    server.start()
    try:
        yield server, outbox
    finally:
        server.stop()


def invite(server: LocalServer, outbox: Path, email: str) -> Invitation:
    with PlatformClient(server.url) as anonymous:
        token = anonymous.login(REQUESTER.username, REQUESTER.password).access_token
    with PlatformClient(server.url, token) as client:
        expert = client.search_directory(EXPERT.last_name).professionals[0].user
        dossier = client.create_dossier(
            {
                "type": "imaging-transfer",
                "visibility": "me",
                "correspondents": [{"kind": "user", "id": expert.id}],
                "patient": {"last_name": "LEFÈVRE", "identifier": "PID-G1"},
            }
        )
        client.invite(dossier.id, {"last_name": "INVITÉ", "first_name": "Ian", "email": email})
    texts = [json.loads(p.read_text())["text"] for p in sorted(outbox.glob("*.json"))]
    link = re.findall(r"https?://\S+/guest/\S+", "\n".join(texts))[-1]
    code = re.findall(r"code[^:\n]*:\s*([A-Z0-9]{8})\b", "\n".join(texts))[-1]
    return Invitation(server.url, link, code, dossier.id)


@pytest.fixture
def invitation(guest_platform: tuple[LocalServer, Path]) -> Invitation:
    server, outbox = guest_platform
    return invite(server, outbox, "ian@example.org")


def guest_login(invitation: Invitation, code: str | None = None) -> object:
    return Ortif()(
        "--json", "login", "--guest", invitation.link, "--code-stdin",
        input=(code or invitation.code) + "\n",
    )  # fmt: skip


def test_parse_guest_link() -> None:
    assert parse_guest_link("https://ortif.example.org/guest/abc_DEF-1") == (
        "https://ortif.example.org",
        "abc_DEF-1",
    )
    assert parse_guest_link("http://127.0.0.1:8000/pf/guest/tok/?x=1") == (
        "http://127.0.0.1:8000/pf",
        "tok",
    )
    for bad in ("https://ortif.example.org/", "ortif.example.org/guest/x", "https://h/guest/"):
        with pytest.raises(UsageError):
            parse_guest_link(bad)


def test_guest_login_and_whoami(invitation: Invitation) -> None:
    result = guest_login(invitation)
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    document = result.json()  # type: ignore[attr-defined]
    assert document["kind"] == "guest" and document["dossier_id"] == invitation.dossier_id
    assert document["server"] == invitation.server and document["user"] is None
    who = Ortif()("--json", "whoami")
    assert who.exit_code == 0, who.stderr
    assert who.json()["kind"] == "guest"
    assert who.json()["guest"]["last_name"] == "INVITÉ"
    assert who.json()["dossier_id"] == invitation.dossier_id


def test_wrong_access_code_exits_3(invitation: Invitation) -> None:
    result = guest_login(invitation, "WRONG123")
    assert result.exit_code == 3  # type: ignore[attr-defined]
    assert "Wrong access code." in result.stderr  # type: ignore[attr-defined]


def test_guest_cannot_create_a_dossier(invitation: Invitation) -> None:
    assert guest_login(invitation).exit_code == 0  # type: ignore[attr-defined]
    result = Ortif()(
        "dossier", "create", "--to", "CHU Lyon/Neuroradiologie/MARTIN",
        "--patient-name", "X", "--patient-id", "Y",
    )  # fmt: skip
    assert result.exit_code == 4, result.stderr
    assert "guest" in result.stderr


def test_bad_link_exits_2() -> None:
    result = Ortif()("login", "--guest", "https://ortif.example.org/nothing", "--code-stdin")
    assert result.exit_code == 2
    assert "not an invitation link" in result.stderr


def test_missing_code_under_no_input_exits_2(invitation: Invitation) -> None:
    result = Ortif()("--no-input", "login", "--guest", invitation.link)
    assert result.exit_code == 2
    assert "--code-stdin" in result.stderr
