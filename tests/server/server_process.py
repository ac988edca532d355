"""`ortif-server serve` as a subprocess of its own (data directory, database, port), for the
tests that kill, fuzz or fill a server and so must not share the session-wide one."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from ortif_server.config import ServerSettings
from tests.conftest import PATIENCE
from tests.server.conftest import REPO, _free_port, _seed, _wait_ready, password


class ServerProcess:
    """A server on a free loopback port; `start` again after `kill` or `stop`."""

    def __init__(self, settings: ServerSettings, log: Path) -> None:
        self.settings = settings
        self.log = log
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.extra_args: list[str] = []
        self.ready_timeout = PATIENCE  # seconds; workers (`--workers`) start one by one

    @classmethod
    def seeded(cls, data_dir: Path, database_url: str | None) -> ServerProcess:
        """A server on a new data directory holding the users of conftest.PEOPLE."""
        settings = ServerSettings(data_dir, database_url)
        _seed(settings)
        return cls(settings, data_dir.parent / f"{data_dir.name}-server.log")

    def start(self) -> None:
        command = [sys.executable, "-m", "ortif_server", "serve", "--data"]
        command += [str(self.settings.data_dir), "--port", str(self.port)]
        if self.settings.database_url:
            command += ["--database", self.settings.database_url]
        command += self.extra_args
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=log)
        _wait_ready(self.url, self.process, self.ready_timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=PATIENCE)

    def stop(self, timeout: float = PATIENCE) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=timeout)

    def token(self, username: str = "alice") -> str:
        credentials = {"username": username, "password": password(username)}
        answer = httpx.post(f"{self.url}/api/v1/session", json=credentials, timeout=10)
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token
