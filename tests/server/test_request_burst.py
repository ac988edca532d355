"""A burst of requests on a small connection pool queues and never deadlocks, and long
polls waiting for notifications hold no database slot (`database_slots`).

The server runs on PostgreSQL with `--database-connections 4`: one process, a pool of
three connections, two request slots. Before the slots, such a burst left every
connection held by a request waiting for a thread and every thread waiting for a
connection, until the pool's 30 s timeout answered 503 to each."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import PATIENCE
from tests.server.conftest import TEST_DATABASE_URL, fresh_postgresql_database
from tests.server.server_process import ServerProcess

BURST = 60
WATCHERS = 8

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="needs PostgreSQL (ORTIF_TEST_DATABASE_URL; .ci/run starts one)"
)


@pytest.fixture(scope="module")
def small_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with fresh_postgresql_database() as database:
        server = ServerProcess.seeded(tmp_path_factory.mktemp("burst") / "data", database)
        server.extra_args = ["--database-connections", "4"]
        server.start()
        try:
            yield server
        finally:
            server.stop(60)


def test_a_burst_larger_than_the_pool_is_served_in_full(small_pool: ServerProcess) -> None:
    headers = {"Authorization": f"Bearer {small_pool.token()}"}
    paths = ["/api/v1/dossiers", "/api/v1/notifications", "/api/v1/me", "/api/v1/directory"]

    def call(n: int) -> int:
        url = f"{small_pool.url}{paths[n % len(paths)]}"
        return httpx.get(url, headers=headers, timeout=PATIENCE).status_code

    with ThreadPoolExecutor(BURST) as pool:
        statuses = Counter(pool.map(call, range(BURST)))
    assert statuses == {200: BURST}


def test_sign_ins_and_reads_at_once(small_pool: ServerProcess) -> None:
    """Sign-ins wait for their turn to hash without holding a slot the reads need."""
    token = small_pool.token()

    def call(n: int) -> int:
        if n % 3 == 0:
            return httpx.post(
                f"{small_pool.url}/api/v1/session",
                json={"username": "alice", "password": "wrong password"},
                timeout=PATIENCE,
            ).status_code
        url = f"{small_pool.url}/api/v1/dossiers"
        return httpx.get(
            url, headers={"Authorization": f"Bearer {token}"}, timeout=PATIENCE
        ).status_code

    with ThreadPoolExecutor(30) as pool:
        statuses = Counter(pool.map(call, range(30)))
    assert statuses == {401: 10, 200: 20}


def test_long_polls_leave_the_database_to_other_requests(small_pool: ServerProcess) -> None:
    """More waiting `--watch` polls than slots: a read still answers before they end."""
    headers = {"Authorization": f"Bearer {small_pool.token('bob')}"}
    url = f"{small_pool.url}/api/v1/notifications"
    watch = {"since_id": 2**31 - 1, "wait": 30}
    with httpx.Client(timeout=PATIENCE) as probe, ThreadPoolExecutor(WATCHERS) as pool:
        polls = [
            pool.submit(httpx.get, url, params=watch, headers=headers, timeout=PATIENCE)
            for _ in range(WATCHERS)
        ]
        _wait_until_all_wait(small_pool, polls)
        answer = probe.get(f"{small_pool.url}/api/v1/dossiers", headers=headers)
        assert answer.status_code == 200
        assert not any(p.done() for p in polls), "the read answered only once the polls ended"
        assert [p.result().status_code for p in polls] == [200] * WATCHERS


def _wait_until_all_wait(server: ServerProcess, polls: list[Future[httpx.Response]]) -> None:
    """Until the server holds a connection from each poll (read from /proc/net/tcp)."""
    deadline = time.monotonic() + PATIENCE
    while _connections_to(server.port) < len(polls):
        assert time.monotonic() < deadline, "the polls never reached the server"
        assert not any(p.done() for p in polls), [p.result() for p in polls if p.done()]
        time.sleep(0.05)


def _connections_to(port: int) -> int:
    """Established TCP connections whose local end is 127.0.0.1:`port`."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local = f"0100007F:{port:04X}"
    return sum(1 for line in lines if line.split()[1] == local and line.split()[3] == "01")
