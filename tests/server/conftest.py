"""A live ortif-server subprocess on a free 127.0.0.1 port, seeded with users."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from ortif_server.admin import add_user, init_data_dir
from ortif_server.config import ServerSettings
from tests.conftest import PATIENCE

REPO = Path(__file__).resolve().parents[2]
# Read at import: the autouse fixture of tests/conftest.py clears ORTIF_* during each test.
TEST_DATABASE_URL = os.environ.get("ORTIF_TEST_DATABASE_URL")
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
    database_url: str | None = None

    @property
    def outbox(self) -> Path:
        """Where the server writes outgoing messages (`serve --outbox`)."""
        return self.data_dir.parent / "outbox"

    @property
    def settings(self) -> ServerSettings:
        return ServerSettings(self.data_dir, self.database_url)

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


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("ortif-server exited during start-up")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1, verify=False).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("ortif-server did not start in time")


def _seed(settings: ServerSettings) -> None:
    init_data_dir(settings)
    for username, (last, first, establishment, community) in PEOPLE.items():
        names = (last, first)
        add_user(settings, username, password(username), names, establishment, [community])


def _database_backends() -> list[str]:
    """SQLite always; PostgreSQL too when ORTIF_TEST_DATABASE_URL names a server."""
    return ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]


@pytest.fixture(scope="session", params=_database_backends())
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite in the data directory, or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_postgresql_database() as url:
        yield url


@pytest.fixture(params=_database_backends())
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database of its own with no table yet, for tests that need one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with fresh_postgresql_database() as url:
        yield url


@contextmanager
def fresh_postgresql_database() -> Iterator[str]:
    """A uniquely named database on the server of ORTIF_TEST_DATABASE_URL, dropped after."""
    import psycopg

    assert TEST_DATABASE_URL, "ORTIF_TEST_DATABASE_URL is not set"
    admin_url = make_url(TEST_DATABASE_URL)
    name = f"ortif_test_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str | None) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("server") / "data"
    _seed(ServerSettings(data_dir, database_url))
    port = _free_port()
    log = (data_dir.parent / "server.log").open("wb")
    command = [sys.executable, "-m", "ortif_server", "serve", "--data", str(data_dir)]
    command += ["--outbox", str(data_dir.parent / "outbox")]
    if database_url is not None:
        command += ["--database", database_url]
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
        yield Server(url, data_dir, users, database_url)
    finally:
        process.terminate()
        stdout, _ = process.communicate(timeout=PATIENCE)
        log.close()
        assert stdout == b"", "serve must print nothing on stdout"


def _directory(client: httpx.Client, url: str) -> list[dict[str, object]]:
    token = client.post(
        "/api/v1/session", json={"username": "alice", "password": password("alice")}
    ).json()["access_token"]
    answer = client.get("/api/v1/directory", headers={"Authorization": f"Bearer {token}"})
    professionals: list[dict[str, object]] = answer.json()["professionals"]
    return professionals


# (server url, username) -> (access token, when obtained): signing in costs an argon2 hash.
_TOKENS: dict[tuple[str, str], tuple[str, float]] = {}
TOKEN_REUSE_SECONDS = 600  # access tokens live 15 min


def _cached_token(server: Server, username: str) -> str:
    token, obtained = _TOKENS.get((server.url, username), ("", float("-inf")))
    if time.monotonic() - obtained > TOKEN_REUSE_SECONDS:
        with server.client(username) as client:
            token = client.headers["Authorization"].removeprefix("Bearer ")
        _TOKENS[(server.url, username)] = token, time.monotonic()
    return token


@pytest.fixture
def signed_in(server: Server) -> Iterator[Callable[[str], httpx.Client]]:
    """Factory of signed-in clients (tokens reused across tests), closed after the test."""
    clients: list[httpx.Client] = []

    def make(username: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {_cached_token(server, username)}"}
        clients.append(httpx.Client(base_url=server.url, timeout=10, headers=headers))
        return clients[-1]

    yield make
    for client in clients:
        client.close()
