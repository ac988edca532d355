"""`ortif-server serve`: one process, or several under uvicorn's process manager, sized
for the database they share; TLS, a trusted proxy, logs, graceful shutdown.

With `--workers N`, uvicorn starts N processes on one listening socket, restarts one that
dies and, on SIGTERM, lets each finish the requests it is running (uploads included)
before it exits. The workers are started afresh (spawned), so they read the settings from
a private file the parent wrote.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from ortif_server.config import ServerSettings
from ortif_server.db import DEFAULT_CONNECTIONS, create_db_engine
from ortif_server.request_log import log_config

if TYPE_CHECKING:
    from fastapi import FastAPI

SETTINGS_ENV = "ORTIF_SERVER_SETTINGS_FILE"
HEADROOM = 5  # connections left for `ortif-server` admin commands, psql, backups
MIN_PER_PROCESS = 3  # one for notification wake-ups, two for requests


class PoolBudgetError(Exception):
    """The database allows too few connections for this many processes."""


@dataclass(frozen=True)
class Deployment:
    """How `serve` runs: processes, TLS, the proxy it trusts, logs, shutdown."""

    workers: int = 1
    tls_cert: Path | None = None
    tls_key: Path | None = None
    forwarded_allow_ips: str | None = None
    log_format: str = "text"
    graceful_timeout: int = 120
    database_connections: int | None = None


def single_process_only(settings: ServerSettings) -> bool:
    return make_url(settings.effective_database_url).get_backend_name() == "sqlite"


def connections_per_process(settings: ServerSettings, deployment: Deployment) -> int | None:
    """Each process's share of the connections this host may open (None on SQLite).

    The budget is `--database-connections`, or what PostgreSQL's max_connections leaves
    once its reserved slots and some headroom are set aside; each process keeps one
    connection for notification wake-ups and pools the rest."""
    if single_process_only(settings):
        return None
    budget = deployment.database_connections or _server_budget(settings.effective_database_url)
    share = budget // deployment.workers
    if share < MIN_PER_PROCESS:
        raise PoolBudgetError(
            f"{deployment.workers} workers need at least "
            f"{deployment.workers * MIN_PER_PROCESS} database connections and this host "
            f"may open {budget}; lower --workers, or raise PostgreSQL's max_connections "
            "(and --database-connections)"
        )
    return min(share - 1, DEFAULT_CONNECTIONS)


def _server_budget(database_url: str) -> int:
    engine = create_db_engine(database_url, 1)
    try:
        with engine.connect() as connection:
            allowed = int(connection.scalar(text("SHOW max_connections")) or 0)
            reserved = int(connection.scalar(text("SHOW superuser_reserved_connections")) or 0)
    finally:
        engine.dispose()
    return max(allowed - reserved - HEADROOM, 0)


def serve(settings: ServerSettings, deployment: Deployment, host: str, port: int) -> None:
    """Run uvicorn until SIGTERM or Ctrl-C."""
    import uvicorn

    settings = replace(settings, database_connections=connections_per_process(settings, deployment))
    options = _uvicorn_options(deployment)
    if deployment.workers == 1:
        from ortif_server.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, **options)
        return
    with _settings_file(settings) as path:
        os.environ[SETTINGS_ENV] = str(path)
        target = f"{__name__}:app_from_settings_file"
        uvicorn.run(
            target, factory=True, workers=deployment.workers, host=host, port=port, **options
        )


def _uvicorn_options(deployment: Deployment) -> dict[str, Any]:
    options: dict[str, Any] = {
        "log_config": log_config(deployment.log_format),
        "access_log": False,  # ours names the route, never the query string
        "timeout_graceful_shutdown": deployment.graceful_timeout,
        "server_header": False,
    }
    if deployment.tls_cert is not None:
        options["ssl_certfile"], options["ssl_keyfile"] = deployment.tls_cert, deployment.tls_key
    if deployment.forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = deployment.forwarded_allow_ips
    return options


@contextmanager
def _settings_file(settings: ServerSettings) -> Iterator[Path]:
    """The settings in a file only this user reads (it may hold the SMTP password)."""
    with tempfile.TemporaryDirectory(prefix="ortif-server-") as directory:
        path = Path(directory) / "settings.pickle"
        path.write_bytes(pickle.dumps(settings))
        yield path


def app_from_settings_file() -> FastAPI:
    """The app of one worker process (uvicorn's factory)."""
    from ortif_server.app import create_app

    settings = pickle.loads(Path(os.environ[SETTINGS_ENV]).read_bytes())
    assert isinstance(settings, ServerSettings)
    return create_app(settings)
