"""A platform that signs professionals in with a real OpenID provider on 127.0.0.1.

The provider is `oidc-provider` (tests/psc_provider, run by Node.js) configured like Pro
Santé Connect; the platform is `ortif-server serve --psc-issuer ...`. Both are shared by
the tests of this folder. The CLI runs as a subprocess, so that a test can drive the
browser (Selenium) or the e-CPS app while `ortif login --psc` waits.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ortif_cli.localserver import Account, LocalServer, server_command
from ortif_cli.psc_provider import SOURCE_DIR, LocalPscProvider, PscAccount, PscClient
from tests.browser import chromium  # noqa: F401 - the fixture, for this folder's tests

CLIENT_ID = "ortif-platform"
CLIENT_SECRET = "a-client-secret-for-the-tests-only-0123456789"
CIBA_EXPIRY = 15

DURAND = Account(
    "mdurand", "pw-requester-1", "DURAND", "Marie", "CH Ville-Évrard", "Radiologie", "10001234567"
)
FAULTY_AUDIENCE = Account(
    "faud", "pw-faud-1", "AUDIENCE", "Fausse", "CHU Lyon", "Radiologie", "10002222222"
)
FAULTY_SIGNATURE = Account(
    "fsig", "pw-fsig-1", "SIGNATURE", "Fausse", "CHU Lyon", "Radiologie", "10003333333"
)
MARTIN_RPPS = "10005555555"  # imported from a directory file, no password: PSC only

PSC_DURAND = PscAccount("f:durand", "8" + DURAND.rpps, "DURAND", "Marie", "1234")
PSC_MARTIN = PscAccount("f:martin", "8" + MARTIN_RPPS, "MARTIN", "Pierre", "5678")
PSC_UNKNOWN = PscAccount("f:inconnu", "810009999999", "INCONNU", "Paul", "0000")
PSC_FAULTY_AUDIENCE = PscAccount(
    "f:faud", "8" + FAULTY_AUDIENCE.rpps, "AUDIENCE", "Fausse", "1111", fault="audience"
)
PSC_FAULTY_SIGNATURE = PscAccount(
    "f:fsig", "8" + FAULTY_SIGNATURE.rpps, "SIGNATURE", "Fausse", "2222", fault="signature"
)
URL = re.compile(r"https?://\S+/auth/psc/go/\S+")


def _provider_installed() -> bool:
    return shutil.which("node") is not None and (SOURCE_DIR / "node_modules").is_dir()


@dataclass
class PscPlatform:
    server: LocalServer
    provider: LocalPscProvider

    @property
    def url(self) -> str:
        return self.server.url

    def database(self) -> Path:
        return self.server.data_dir / "ortif.db"


@pytest.fixture(scope="session")
def psc_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PscPlatform]:
    if not _provider_installed():
        pytest.skip("node and `npm ci --prefix tests/psc_provider` are needed (.ci/run does it)")
    workdir = tmp_path_factory.mktemp("psc")
    server = LocalServer(workdir / "platform")
    client = PscClient(CLIENT_ID, CLIENT_SECRET, (f"{server.url}/auth/psc/callback",))
    accounts = [PSC_DURAND, PSC_MARTIN, PSC_UNKNOWN, PSC_FAULTY_AUDIENCE, PSC_FAULTY_SIGNATURE]
    with LocalPscProvider(workdir, [client], accounts) as provider:
        provider.start()
        server.serve_args = psc_serve_args(workdir, provider.issuer)
        _seed(server, workdir)
        server.start()
        try:
            yield PscPlatform(server, provider)
        finally:
            server.stop()


def psc_serve_args(workdir: Path, issuer: str) -> tuple[str, ...]:
    secret = workdir / "psc-client-secret"
    secret.write_text(CLIENT_SECRET + "\n", encoding="utf-8")
    return (
        "--psc-issuer",
        issuer,
        "--psc-client-id",
        CLIENT_ID,
        "--psc-client-secret-file",
        str(secret),
        "--psc-ciba-expiry",
        str(CIBA_EXPIRY),
    )


def _seed(server: LocalServer, workdir: Path) -> None:
    """Users with a password and an RPPS number, and one imported without a password."""
    server.init()
    for account in (DURAND, FAULTY_AUDIENCE, FAULTY_SIGNATURE):
        server.add_user(account)
    directory = workdir / "directory.json"
    entry = {"username": "pmartin", "last_name": "MARTIN", "first_name": "Pierre"}
    directory.write_text(json.dumps([{**entry, "rpps": MARTIN_RPPS}]), encoding="utf-8")
    command = server_command("directory", "import", "--data", str(server.data_dir), str(directory))
    subprocess.run(command, check=True, capture_output=True)


class CliProcess:
    """`ortif ... login --psc` as a subprocess; its stderr lines arrive on a queue."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "ortif_cli", *args]
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.stdout: list[str] = []
        self.readers = [
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        self.stdout.extend(self.process.stdout)

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        """The first stderr line matching `pattern` (a regular expression)."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {pattern!r} in {self.seen}") from None
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found

    def finish(self, timeout: float = 90.0) -> tuple[int, str, str]:
        """Exit code, stdout and all of stderr."""
        code = self.process.wait(timeout=timeout)
        for reader in self.readers:
            reader.join(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code, "".join(self.stdout), "".join(self.seen)

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
