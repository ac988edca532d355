"""Several server processes: `serve --workers 2` on PostgreSQL (the same tests on SQLite
run one process): concurrent STOW of the same instances stores each once, logs are JSON
lines, and SIGTERM lets a running upload finish while waiting requests end at once (the
last test: it stops the module's server)."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from pydicom.uid import generate_uid
from sqlalchemy import text

from ortif_server.db import create_db_engine
from tests.server.conftest import _database_backends, fresh_postgresql_database
from tests.server.dicom_files import ct_bytes, multipart
from tests.server.server_process import ServerProcess
from tests.server.test_faults import _big_ct, _request_head

WORKERS_READY = 120.0  # seconds: two spawned workers import the app on a loaded machine


@pytest.fixture(scope="module", params=_database_backends())
def live(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    """One server per backend for the module; the last test stops it with SIGTERM."""
    with ExitStack() as stack:
        database = None
        if request.param == "postgresql":
            database = stack.enter_context(fresh_postgresql_database())
        server = ServerProcess.seeded(tmp_path_factory.mktemp("workers") / "data", database)
        if database is not None:
            server.extra_args = ["--workers", "2", "--log-format", "json"]
            server.ready_timeout = WORKERS_READY
        server.start()
        stack.callback(server.stop, 60)
        yield server


def test_concurrent_uploads_of_the_same_instances_store_each_once(live: ServerProcess) -> None:
    study_uid = generate_uid()
    files = [ct_bytes(study_uid) for _ in range(10)]
    body, content_type = multipart(files)
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {live.token()}"}

    def upload(_: int) -> httpx.Response:  # a connection of its own: any worker may take it
        return httpx.post(f"{live.url}/dicomweb/studies", content=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(upload, range(8)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    stored = Counter(
        i["sop_instance_uid"]
        for a in answers
        for i in a.json()["instances"]
        if i["status"] == "stored"
    )
    assert len(stored) == 10 and set(stored.values()) == {1}
    assert _counts(live, study_uid) == (10, 10, sum(len(f) for f in files))


def _counts(server: ServerProcess, study_uid: str) -> tuple[int, int, int]:
    """(instance rows, the study's instance count, the study's bytes)."""
    engine = create_db_engine(server.settings.effective_database_url)
    try:
        with engine.connect() as connection:
            rows = connection.scalar(
                text("SELECT count(*) FROM instance WHERE study_instance_uid = :u"),
                {"u": study_uid},
            )
            count, size = connection.execute(
                text("SELECT instance_count, size_bytes FROM study WHERE study_instance_uid = :u"),
                {"u": study_uid},
            ).one()
    finally:
        engine.dispose()
    return int(rows or 0), int(count), int(size)


def test_sigterm_lets_a_running_upload_finish(live: ServerProcess) -> None:
    assert live.process is not None
    token = live.token()
    waiting = _long_poll(live, token)
    body, content_type = multipart([_big_ct(generate_uid()) for _ in range(6)])
    head = _request_head(live, "/dicomweb/studies", body, {"Content-Type": content_type})
    with socket.create_connection(("127.0.0.1", live.port)) as sock:
        sock.sendall(head + body[: len(body) // 2])
        _wait_for_temp_file(live)
        live.process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        waiting.join(timeout=30)
        assert not waiting.is_alive(), "a waiting request must end at SIGTERM"
        assert time.monotonic() - stopped_at < 20
        sock.sendall(body[len(body) // 2 :])
        status_line = sock.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.1 200"), status_line
    # uvicorn exits by the signal it received once done (systemd counts that as clean)
    assert live.process.wait(timeout=60) in (0, -signal.SIGTERM)
    _assert_json_logs(live.log, json_expected=live.extra_args != [])


def _long_poll(server: ServerProcess, token: str) -> threading.Thread:
    headers = {"Authorization": f"Bearer {token}"}
    params = {"since_id": 2**31 - 1, "wait": 60}
    url = f"{server.url}/api/v1/notifications"
    thread = threading.Thread(
        target=lambda: httpx.get(url, params=params, headers=headers, timeout=90)
    )
    thread.start()
    return thread


def _wait_for_temp_file(server: ServerProcess) -> None:
    deadline = time.monotonic() + 30
    while not any(server.settings.tmp_dir.iterdir()):
        assert time.monotonic() < deadline, "the upload never reached the server"
        time.sleep(0.1)


def _assert_json_logs(log: Path, json_expected: bool) -> None:
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    if not json_expected:
        return
    entries = [json.loads(line) for line in lines]
    access = [e for e in entries if e["logger"] == "ortif_server.access"]
    assert {"POST /dicomweb/studies 200"} <= {e["message"] for e in access}
    assert all(len(e["request_id"]) == 32 for e in access)
    assert {e["pid"] for e in entries} >= {e["pid"] for e in access} and len(entries) > 4
