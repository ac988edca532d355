"""The options of `ortif-server serve` for running a region's platform: processes,
database connections, TLS, a proxy, logs, shutdown (README, "Running the platform for a
region"). They are shown together under one heading of `serve --help`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ortif_server.cli_common import fail
from ortif_server.config import ServerSettings
from ortif_server.serving import Deployment, single_process_only

PANEL = "Deployment"


class LogFormat(str, Enum):
    text = "text"
    json = "json"


WorkersOption = Annotated[
    int,
    typer.Option(
        min=1,
        help="Server processes on this host (more than one needs PostgreSQL).",
        rich_help_panel=PANEL,
    ),
]
DatabaseConnectionsOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Database connections this host may open, shared by its processes "
        "(default: what PostgreSQL's max_connections allows; give each host its share).",
        rich_help_panel=PANEL,
    ),
]
TlsCertOption = Annotated[
    Path | None,
    typer.Option(
        exists=True,
        dir_okay=False,
        help="Serve HTTPS: certificate chain (PEM).",
        rich_help_panel=PANEL,
    ),
]
TlsKeyOption = Annotated[
    Path | None,
    typer.Option(
        exists=True, dir_okay=False, help="Private key of --tls-cert (PEM).", rich_help_panel=PANEL
    ),
]
ForwardedOption = Annotated[
    str | None,
    typer.Option(
        help="Addresses of the proxies whose X-Forwarded-For/-Proto to trust "
        "(comma-separated; default: 127.0.0.1).",
        rich_help_panel=PANEL,
    ),
]
LogFormatOption = Annotated[
    LogFormat, typer.Option(help="Log lines as text or JSON (stderr).", rich_help_panel=PANEL)
]
GracefulOption = Annotated[
    int,
    typer.Option(
        min=1,
        metavar="SECONDS",
        help="On SIGTERM, how long running requests (uploads) may take to finish.",
        rich_help_panel=PANEL,
    ),
]


def deployment(
    settings: ServerSettings,
    workers: int,
    tls: tuple[Path | None, Path | None],
    forwarded_allow_ips: str | None,
    log_format: LogFormat,
    graceful_timeout: int,
    database_connections: int | None,
) -> Deployment:
    """The options checked together; exit 2 with a sentence when they do not fit."""
    if workers > 1 and single_process_only(settings):
        raise fail(
            f"--workers {workers} needs PostgreSQL: SQLite serves one process only. "
            "Use --database postgresql+psycopg://... (see the README, "
            '"Running the platform for a region").',
            2,
        )
    if (tls[0] is None) != (tls[1] is None):
        raise fail("--tls-cert and --tls-key go together", 2)
    return Deployment(
        workers=workers,
        tls_cert=tls[0],
        tls_key=tls[1],
        forwarded_allow_ips=forwarded_allow_ips,
        log_format=log_format.value,
        graceful_timeout=graceful_timeout,
        database_connections=database_connections,
    )
