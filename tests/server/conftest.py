"""A live ortif-server subprocess on a free 127.0.0.1 port, seeded with users."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ortif_server.admin import add_user, init_data_dir
from ortif_server.config import ServerSettings

REPO = Path(__file__).resolve().parents[2]
PEOPLE = {
    # username: (last name, first name, establishment, community)
    "alice": ("MARTIN", "Alice", "Hôpital Nord", "Radiologie"),
    "dave": ("DURAND", "Dave", "Hôpital Nord", "Radiologie"),
    "bob": ("LEFÈVRE", "Éloïse", "CHU Sud", "Neurologie"),
    "carol": ("PETIT", "Carol", "CHU Sud", "Neurochirurgie"),
    "eve": ("OUTSIDE", "Eve", "Clinique Est", "Cardiologie"),
}


@dataclass
class Server:
    url: str
    data_dir: Path
    users: dict[str, int]

    def client(self, username: str | None = None) -> httpx.Client:
        """An httpx client, signed in as `username` if given."""
        client = httpx.Client(base_url=self.url, timeout=10)
        if username is not None:
            credentials = {"username": username, "password": password(username)}
            answer = httpx.post(f"{self.url}/api/v1/session", json=credentials)
            answer.raise_for_status()
            client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return client


def password(username: str) -> str:
    return f"pw-{username}-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("ortif-server exited during start-up")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("ortif-server did not start in time")


def _seed(settings: ServerSettings) -> None:
    init_data_dir(settings)
    for username, (last, first, establishment, community) in PEOPLE.items():
        names = (last, first)
        add_user(settings, username, password(username), names, establishment, [community])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("server") / "data"
    _seed(ServerSettings(data_dir))
    port = _free_port()
    log = (data_dir.parent / "server.log").open("wb")
    command = [sys.executable, "-m", "ortif_server", "serve", "--data", str(data_dir)]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        with httpx.Client(base_url=url) as client:
            users = {p["username"]: p["id"] for p in _directory(client, url)}
        yield Server(url, data_dir, users)
    finally:
        process.terminate()
        stdout, _ = process.communicate(timeout=10)
        log.close()
        assert stdout == b"", "serve must print nothing on stdout"


def _directory(client: httpx.Client, url: str) -> list[dict[str, object]]:
    token = client.post(
        "/api/v1/session", json={"username": "alice", "password": password("alice")}
    ).json()["access_token"]
    answer = client.get("/api/v1/directory", headers={"Authorization": f"Bearer {token}"})
    professionals: list[dict[str, object]] = answer.json()["professionals"]
    return professionals


@pytest.fixture
def signed_in(server: Server) -> Iterator[Callable[[str], httpx.Client]]:
    """Factory of signed-in clients, closed after the test."""
    clients: list[httpx.Client] = []

    def make(username: str) -> httpx.Client:
        clients.append(server.client(username))
        return clients[-1]

    yield make
    for client in clients:
        client.close()
