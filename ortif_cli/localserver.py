"""A throwaway platform server on 127.0.0.1, run as a subprocess (for `ortif demo`).

The client never imports `ortif_server`: it runs `python -m ortif_server`, which needs
the `server` extra (`pip install 'ortif[server]'`).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx

from ortif_cli.errors import ConnectionFailure, UsageError

READY_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


Child = TypeVar("Child", bound="ChildProcess")


class ChildProcess:
    """A child process the CLI started (`self.process`): stopped by `stop()` or at the
    end of a `with` block."""

    process: subprocess.Popen[bytes] | None

    def stop(self) -> None:
        """Terminate the process if it still runs; kill it after 10 seconds."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self: Child) -> Child:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def server_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ortif_server", *args]


@dataclass
class Account:
    username: str
    password: str = field(repr=False)
    last_name: str
    first_name: str
    establishment: str
    community: str
    rpps: str | None = None
    """The RPPS number that links the account to Pro Santé Connect."""


@dataclass
class LocalServer(ChildProcess):
    """`ortif-server init`, `user add` and `serve` in a data directory; stopped on exit."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    serve_args: tuple[str, ...] = ()
    """Extra `serve` options, e.g. ("--outbox", DIR) to capture invitation messages."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def init(self) -> None:
        if importlib.util.find_spec("ortif_server") is None:
            raise UsageError(
                "The platform server is not installed.",
                hint="Install it with: pip install 'ortif[server]'",
            )
        self._run("init", "--data", str(self.data_dir))

    def add_user(self, account: Account) -> None:
        rpps = ("--rpps", account.rpps) if account.rpps else ()
        self._run(
            "user",
            "add",
            "--data",
            str(self.data_dir),
            "--username",
            account.username,
            "--password-stdin",
            "--last-name",
            account.last_name,
            "--first-name",
            account.first_name,
            "--establishment",
            account.establishment,
            "--community",
            account.community,
            *rpps,
            stdin=account.password + "\n",
        )

    def install_viewer(self) -> None:
        """`ortif-server viewer install`: the OHIF viewer, from npm unless already there."""
        self._run("viewer", "install", "--data", str(self.data_dir))

    def _run(self, *args: str, stdin: str | None = None) -> None:
        result = subprocess.run(
            server_command(*args), input=stdin, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise UsageError(f"ortif-server {args[0]} failed: {result.stderr.strip()}")

    def start(self) -> None:
        command = server_command(
            "serve",
            "--data",
            str(self.data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.serve_args,
        )
        with (self.data_dir / "server.log").open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                break
            try:
                httpx.get(f"{self.url}/api/v1/health", timeout=1.0).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise ConnectionFailure(
            f"The local platform server did not start on {self.url}.",
            hint=f"See {self.data_dir / 'server.log'}.",
        )
