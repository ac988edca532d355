"""A platform with the people of the five flows, its invitation messages captured.

Requester (CH Ville-Évrard), expert and a colleague in the expert's community (CHU
Lyon), a third party (Hôpital Foch) and an outsider; `--outbox` keeps each message the
platform sends (email or SMS) as a JSON file.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ortif_cli.localserver import Account, LocalServer, server_command
from tests.browser import chromium  # noqa: F401 (the fixture of the browser tests)
from tests.conftest import EXPERT, OUTSIDER, REQUESTER, Ortif
from tests.viewer_setup import ViewerPlatform, link_viewer

COLLEAGUE = Account("lbernard", "pw-colleague-1", "BERNARD", "Luc", "CHU Lyon", "Neuroradiologie")
THIRD = Account("csimon", "pw-third-1", "SIMON", "Claire", "Hôpital Foch", "Neurochirurgie")
PEOPLE = (REQUESTER, EXPERT, COLLEAGUE, THIRD, OUTSIDER)
LINK = re.compile(r"https?://\S+/guest/[A-Za-z0-9_\-]+")
CODE = re.compile(r"\b([A-Za-z0-9]{8})\b")


def serve_supports(option: str) -> bool:
    result = subprocess.run(
        server_command("serve", "--help"), capture_output=True, text=True, check=False
    )
    return option in result.stdout


@dataclass
class Outbox:
    """The messages the platform sent, one JSON file each: {channel, to, subject, text}."""

    folder: Path

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text("utf-8")) for p in sorted(self.folder.glob("*.json"))]

    def to(self, recipient: str) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m["to"] == recipient]

    def guest_access(self, email: str | None, phone: str | None) -> tuple[str, str]:
        """The link and the access code the guest received, from its two messages."""
        received = [m for m in self.messages() if m["to"] in (email, phone)]
        links = [m for m in received if LINK.search(m["text"])]
        codes = [m for m in received if not LINK.search(m["text"])]
        assert links and codes, received
        link = LINK.search(links[-1]["text"])
        code = _code(codes[-1]["text"])
        assert link is not None
        return link.group(0), code


def _code(text: str) -> str:
    """The 8-character code: the word after "code ...:", else the last 8-character word."""
    after = re.search(r"code[^:\n]*:\s*([A-Za-z0-9]{8})\b", text, re.IGNORECASE)
    words = CODE.findall(text)
    if after:
        return after.group(1)
    if words:
        return str(words[-1])
    raise AssertionError(f"no access code in {text!r}")


@dataclass
class FlowPlatform:
    server: LocalServer
    outbox: Outbox

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def flow_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowPlatform]:
    outbox = tmp_path_factory.mktemp("outbox")
    extra = ("--outbox", str(outbox)) if serve_supports("--outbox") else ()
    server = LocalServer(tmp_path_factory.mktemp("flows"), serve_args=extra)
    server.init()
    for account in PEOPLE:
        server.add_user(account)
    server.start()
    try:
        yield FlowPlatform(server, Outbox(outbox))
    finally:
        server.stop()


@pytest.fixture
def flows(flow_platform: FlowPlatform) -> Ortif:
    """`ortif` against the flows' platform, everyone signed in under their username."""
    ortif = Ortif(flow_platform.url)
    for account in PEOPLE:
        ortif.login(account, account.username)
    return ortif


@pytest.fixture(scope="session")
def viewer_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ViewerPlatform]:
    """A platform serving the viewer (OHIF when installed for the tests, else a plain page)."""
    data_dir = tmp_path_factory.mktemp("viewer-platform") / "data"
    ohif = link_viewer(data_dir)
    server = LocalServer(data_dir)
    server.init()
    for account in (REQUESTER, EXPERT, OUTSIDER):
        server.add_user(account)
    server.start()
    try:
        yield ViewerPlatform(server, ohif)
    finally:
        server.stop()
