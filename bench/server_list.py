"""`GET /api/v1/dossiers` (50 per page) with 100,000 dossiers in the database.

Seeds a fresh database with bulk SQL inserts (not the API): 50 users in 10 communities,
50,000 patients, 100,000 dossiers spread over two years with one correspondent (a person
or a community) and one request step each, a third of them visible to the owner's
community, and unread notifications. The measured user (alice, in Radiologie) sees about
10,000 of them. Then times the list as alice over loopback: medians of --requests calls.

    python bench/server_list.py [--dossiers 100000] [--requests 50]
    python bench/server_list.py --database postgresql+psycopg://postgres@127.0.0.1:55432/ortif_test

With --database, a uniquely named database is created on that PostgreSQL server for the
run and dropped afterwards; it is vacuumed and analysed after the bulk load, as autovacuum
would do within a minute of it (SQLite is left as is: it analyses nothing by itself).
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.engine import make_url

from ortif_server.admin import add_user, init_data_dir
from ortif_server.config import ServerSettings
from ortif_server.db import create_db_engine
from ortif_server.models import Correspondent, Dossier, Membership, Notification, Patient, Step
from ortif_server.models import User as AppUser

USERS, COMMUNITIES, PATIENTS, BATCH = 50, 10, 50_000, 10_000
PASSWORD = "bench-list-pw"
QUERIES = {
    "first page": "/api/v1/dossiers?limit=50",
    "status=sent": "/api/v1/dossiers?limit=50&status=sent",
    "page 40 (offset 2000)": "/api/v1/dossiers?limit=50&offset=2000",
    "sort=-updated_at": "/api/v1/dossiers?limit=50&sort=-updated_at",
    "floor: GET /api/v1/me": "/api/v1/me",
}


def seed(settings: ServerSettings, dossiers: int) -> None:
    """The users through the admin API (passwords, communities), the rest in bulk SQL."""
    init_data_dir(settings)
    add_user(settings, "alice", PASSWORD, ("MARTIN", "Alice"), "CHU", ["Radiologie"])
    engine = create_db_engine(settings.effective_database_url)
    try:
        with engine.begin() as connection:
            _bulk(connection, dossiers)
        if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def _bulk(connection: Connection, dossiers: int) -> None:
    rng = random.Random(42)
    hashed = connection.scalar(select(AppUser.password_hash).where(AppUser.username == "alice"))
    users = [{"username": f"user{n:02d}", "password_hash": hashed, "last_name": f"LAST{n:02d}",
              "first_name": f"First{n:02d}", "search_key": f"user{n:02d} last{n:02d}"}
             for n in range(1, USERS)]  # fmt: skip
    connection.execute(insert(AppUser), users)
    alice_community = connection.scalar(select(Membership.community_id))
    communities = _communities(connection, alice_community)
    user_ids = list(connection.scalars(select(AppUser.id).order_by(AppUser.id)))
    memberships = [{"user_id": u, "community_id": communities[i % COMMUNITIES]}
                   for i, u in enumerate(user_ids) if i > 0]  # fmt: skip
    connection.execute(insert(Membership), memberships)
    _insert_batched(connection, Patient, (_patient(n) for n in range(PATIENTS)))
    community_of = {u: communities[i % COMMUNITIES] for i, u in enumerate(user_ids)}
    start = datetime(2024, 11, 26, tzinfo=timezone.utc)
    step = timedelta(days=730) / dossiers
    rows = (_dossier(rng, n, start + n * step, user_ids, community_of) for n in range(dossiers))
    _insert_batched(connection, Dossier, rows)
    ids = list(connection.scalars(select(Dossier.id).order_by(Dossier.id)))
    owners = dict(connection.execute(select(Dossier.id, Dossier.owner_id)).all())
    _insert_batched(
        connection,
        Correspondent,
        (_correspondent(rng, d, owners[d], user_ids, communities) for d in ids),
    )
    _insert_batched(connection, Step, ({"dossier_id": d, "kind": "request", "author_id": owners[d],
                                        "comment": "Please review"} for d in ids))  # fmt: skip
    alice = user_ids[0]
    unread = ({"user_id": alice, "kind": "dossier_sent", "dossier_id": d, "actor_id": owners[d]}
              for d in rng.sample(ids, 500))  # fmt: skip
    _insert_batched(connection, Notification, unread)


def _communities(connection: Connection, alice_community: int | None) -> list[int]:
    from ortif_server.models import Community

    establishment = connection.scalar(select(Community.establishment_id))
    rows = [{"name": f"Community {n}", "search_key": f"community {n}",
             "establishment_id": establishment} for n in range(1, COMMUNITIES)]  # fmt: skip
    connection.execute(insert(Community), rows)
    others = connection.scalars(select(Community.id).where(Community.id != alice_community))
    return [alice_community or 0, *others]


def _patient(n: int) -> dict[str, Any]:
    return {"last_name": f"PATIENT{n}", "first_name": "Jean", "identifier": f"PID-{n}",
            "search_key": f"patient{n} jean", "identity_status": "provisional"}  # fmt: skip


def _dossier(
    rng: random.Random, n: int, when: datetime, users: list[int], community_of: dict[int, int]
) -> dict[str, Any]:
    owner = rng.choice(users)
    shared = rng.random() < 0.3
    status = rng.choice(["draft", "sent", "sent", "closed"])
    return {"type": "imaging-transfer", "status": status,
            "visibility": "community" if shared else "me",
            "community_id": community_of[owner] if shared else None, "owner_id": owner,
            "patient_id": 1 + n % PATIENTS, "created_at": when, "updated_at": when,
            "sent_at": None if status == "draft" else when,
            "closed_at": when if status == "closed" else None}  # fmt: skip


def _correspondent(
    rng: random.Random, dossier: int, owner: int, users: list[int], communities: list[int]
) -> dict[str, Any]:
    if rng.random() < 0.6:
        person = rng.choice(users)
        person = person if person != owner else users[(users.index(owner) + 1) % len(users)]
        return {"dossier_id": dossier, "user_id": person, "community_id": None}
    return {"dossier_id": dossier, "user_id": None, "community_id": rng.choice(communities)}


def _insert_batched(connection: Connection, model: Any, rows: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            connection.execute(insert(model), batch)
            batch = []
    if batch:
        connection.execute(insert(model), batch)


@contextmanager
def database(url: str | None) -> Iterator[str | None]:
    """None (SQLite in the data directory), or a fresh database on a PostgreSQL server."""
    if url is None:
        yield None
        return
    import psycopg

    server = make_url(url)
    name = f"ortif_bench_{uuid.uuid4().hex[:10]}"
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def serving(settings: ServerSettings) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "ortif_server", "serve", "--data", str(settings.data_dir)]
    command += ["--port", str(port)]
    if settings.database_url:
        command += ["--database", settings.database_url]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(url: str, requests: int) -> dict[str, tuple[float, float, int]]:
    """Per query: median and 95th percentile in ms, and the total the server reported."""
    login = {"username": "alice", "password": PASSWORD}
    token = httpx.post(f"{url}/api/v1/session", json=login).json()["access_token"]
    results = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for label, path in QUERIES.items():
            for _ in range(5):
                answer = client.get(path)
                answer.raise_for_status()
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            p95 = statistics.quantiles(times, n=20)[-1]
            results[label] = (statistics.median(times), p95, answer.json().get("total", 0))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="ortif-bench-list-") as tmp,
        database(args.database) as url,
    ):
        settings = ServerSettings(Path(tmp) / "data", url)
        started = time.perf_counter()
        seed(settings, args.dossiers)
        backend = make_url(settings.effective_database_url).get_backend_name()
        print(
            f"seeded {args.dossiers} dossiers on {backend} in {time.perf_counter() - started:.1f} s"
        )
        with serving(settings) as server:
            for label, (median, p95, total) in measure(server, args.requests).items():
                print(f"{label:24} median {median:6.1f} ms  p95 {p95:6.1f} ms  (total {total})")


if __name__ == "__main__":
    main()
