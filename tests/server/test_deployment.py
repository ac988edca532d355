"""Serving like a deployment, on the shared server (SQLite, and PostgreSQL when given):
health probes, request ids in the logs without patient data, idempotency leases,
notification wake-ups, and the `serve` refusals."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ortif_server.cli import app
from ortif_server.db import create_db_engine
from ortif_server.models import IdempotencyRecord, utcnow
from ortif_server.serving import Deployment, PoolBudgetError, connections_per_process
from ortif_server.wakeups import LISTEN_POLL
from tests.server.conftest import Server
from tests.server.dossier_helpers import PATIENT, create_dossier, sent_dossier

Client = Callable[[str], httpx.Client]
runner = CliRunner()


def test_live_and_ready_probes(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/health/live").json() == {"status": "live"}
        ready = client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": {"database": True, "data_dir": True}}
        assert client.get("/api/v1/health").json()["status"] == "ok"


def test_ready_is_503_while_the_data_directory_cannot_take_files(server: Server) -> None:
    tmp_dir = server.settings.tmp_dir
    aside = tmp_dir.with_name("tmp-aside")
    tmp_dir.rename(aside)
    try:
        answer = httpx.get(f"{server.url}/health/ready", timeout=10)
    finally:
        aside.rename(tmp_dir)
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": True, "data_dir": False}


def test_request_id_is_echoed_and_logged_without_query_or_values(
    server: Server, signed_in: Client
) -> None:
    request_id = f"probe-{uuid.uuid4().hex[:12]}"
    answer = signed_in("alice").get(
        "/dicomweb/studies",
        params={"PatientName": "SECRETNAME^PATIENT"},
        headers={"X-Request-ID": request_id},
    )
    assert answer.headers["x-request-id"] == request_id
    fresh = httpx.get(f"{server.url}/api/v1/health", timeout=10).headers["x-request-id"]
    assert len(fresh) == 32
    log = _wait_for_line(server.data_dir.parent / "server.log", request_id)
    assert "GET /dicomweb/studies 200" in log
    text = (server.data_dir.parent / "server.log").read_text()
    assert "SECRETNAME" not in text


def _wait_for_line(path: Path, needle: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for line in path.read_text().splitlines():
            if needle in line:
                return line
        time.sleep(0.1)
    raise AssertionError(f"{needle} never logged")


def _dossier_body(server: Server) -> dict[str, object]:
    return {
        "type": "imaging-transfer",
        "visibility": "me",
        "correspondents": [{"kind": "user", "id": server.users["bob"]}],
        "patient": PATIENT,
    }


def _pending_key(server: Server, lease_left: timedelta) -> str:
    """A key alice's request claimed and whose lease ends in `lease_left` (past if < 0)."""
    key = uuid.uuid4().hex
    engine = create_db_engine(server.settings.effective_database_url)
    try:
        with Session(engine) as session:
            caller = f"user:{server.users['alice']}"
            session.add(
                IdempotencyRecord(
                    caller=caller,
                    key=key,
                    fingerprint="",
                    status=0,
                    body=b"",
                    lease_expires_at=utcnow() + lease_left,
                )
            )
            session.commit()
    finally:
        engine.dispose()
    return key


def test_a_retry_runs_again_once_the_dead_request_lease_has_passed(
    server: Server, signed_in: Client
) -> None:
    alice = signed_in("alice")
    key = _pending_key(server, timedelta(seconds=-1))  # its process died a while ago
    headers = {"Idempotency-Key": key}
    first = alice.post("/api/v1/dossiers", json=_dossier_body(server), headers=headers)
    assert first.status_code == 201, first.text
    replay = alice.post("/api/v1/dossiers", json=_dossier_body(server), headers=headers)
    assert replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"


def test_a_request_still_running_elsewhere_is_409_with_retry_after(
    server: Server, signed_in: Client
) -> None:
    key = _pending_key(server, timedelta(seconds=20))
    answer = signed_in("alice").post(
        "/api/v1/dossiers", json=_dossier_body(server), headers={"Idempotency-Key": key}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "idempotency_conflict")
    assert 1 <= int(answer.headers["retry-after"]) <= 21


def test_a_waiting_notifications_request_wakes_on_a_new_one(
    server: Server, signed_in: Client
) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    dossier = sent_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    latest = max(n["id"] for n in bob.get("/api/v1/notifications").json()["items"])
    answers: list[httpx.Response] = []
    waiting = threading.Thread(target=lambda: answers.append(_wait_for_news(bob, latest)))
    started = time.monotonic()
    waiting.start()
    time.sleep(0.5)  # not a wait on a condition: only gives the request time to park
    step = alice.post(f"/api/v1/dossiers/{dossier['id']}/steps", json={"kind": "info"})
    assert step.status_code == 201, step.text
    waiting.join(timeout=30)
    elapsed = time.monotonic() - started
    assert [n["dossier_id"] for n in answers[0].json()["items"]] == [dossier["id"]]
    # PostgreSQL wakes it through NOTIFY, well before the fallback poll; SQLite polls each second
    assert elapsed < LISTEN_POLL - 2


def _wait_for_news(client: httpx.Client, since_id: int) -> httpx.Response:
    params = {"since_id": since_id, "wait": 15}
    return client.get("/api/v1/notifications", params=params, timeout=60)


def test_a_wait_with_nothing_new_answers_empty_when_the_time_is_up(signed_in: Client) -> None:
    carol = signed_in("carol")
    items = carol.get("/api/v1/notifications").json()["items"]
    since_id = max((n["id"] for n in items), default=0) + 10**6
    started = time.monotonic()
    answer = carol.get("/api/v1/notifications", params={"since_id": since_id, "wait": 1.5})
    assert answer.json() == {"items": []}
    assert 1.4 < time.monotonic() - started < 10


def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--data", str(tmp_path / "data"), "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers 2 needs PostgreSQL" in result.output


def test_a_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not used")
    result = runner.invoke(app, ["serve", "--data", str(tmp_path), "--tls-cert", str(cert)])
    assert result.exit_code == 2
    assert "--tls-cert and --tls-key go together" in result.output


def test_pools_share_the_connections_a_host_may_open(tmp_path: Path) -> None:
    from ortif_server.config import ServerSettings

    settings = ServerSettings(tmp_path, "postgresql+psycopg://u@127.0.0.1:1/none")
    share = connections_per_process(settings, Deployment(workers=4, database_connections=92))
    assert share == 22  # 23 each, one of which listens for wake-ups
    with pytest.raises(PoolBudgetError, match="8 workers need at least 24"):
        connections_per_process(settings, Deployment(workers=8, database_connections=20))
    assert connections_per_process(ServerSettings(tmp_path), Deployment()) is None


def test_a_step_creation_notifies_through_the_shared_database(
    server: Server, signed_in: Client
) -> None:
    """The wake-up is announced in the transaction that adds the notification."""
    alice, bob = signed_in("alice"), signed_in("bob")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    before = len(bob.get("/api/v1/notifications").json()["items"])
    assert alice.post(f"/api/v1/dossiers/{dossier['id']}/send").status_code == 200
    assert len(bob.get("/api/v1/notifications").json()["items"]) == before + 1
