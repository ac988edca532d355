"""`ortif-server`: init, user, directory, audit, viewer, serve. FastAPI and uvicorn load on
`serve`."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ortif_server import cli_deployment as deploy
from ortif_server import cli_psc
from ortif_server.admin import init_data_dir, is_initialised
from ortif_server.cli_common import DatabaseOption, DataOption, fail
from ortif_server.cli_records import audit, directory_app
from ortif_server.cli_user import user_app
from ortif_server.cli_viewer import viewer_app
from ortif_server.config import DeliverySettings, ServerSettings, SmtpSettings


class Language(str, Enum):
    """Languages of the messages the platform sends (pages follow the browser)."""

    fr = "fr"
    en = "en"


app = typer.Typer(
    help="The reference ortif platform server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(user_app, name="user")
app.add_typer(directory_app, name="directory")
app.add_typer(viewer_app, name="viewer")
app.command()(audit)


@app.command()
def init(data: DataOption, database: DatabaseOption = None) -> None:
    """Create the data directory and the database schema (idempotent)."""
    for line in init_data_dir(ServerSettings(data, database)):
        typer.echo(line, err=True)


@app.command()
def serve(
    data: DataOption,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: DatabaseOption = None,
    smtp: Annotated[str | None, typer.Option(help="SMTP server HOST:PORT.")] = None,
    smtp_starttls: Annotated[bool, typer.Option(help="Use STARTTLS.")] = False,
    smtp_user: Annotated[str | None, typer.Option(help="SMTP login.")] = None,
    smtp_password_file: Annotated[
        Path | None, typer.Option(help="File holding the SMTP password.")
    ] = None,
    mail_from: Annotated[str, typer.Option(help="Sender address.")] = "ortif@localhost",
    sms_gateway: Annotated[str | None, typer.Option(help="SMS gateway URL (JSON POST).")] = None,
    outbox: Annotated[
        Path | None, typer.Option(help="Write outgoing messages as files here instead.")
    ] = None,
    public_url: Annotated[str | None, typer.Option(help="Base URL of guest links.")] = None,
    max_failed_logins: Annotated[
        int, typer.Option(min=1, help="Wrong passwords, OTPs or codes before a lock.")
    ] = 5,
    lockout_minutes: Annotated[int, typer.Option(min=1, help="How long a lock lasts.")] = 15,
    max_document_mb: Annotated[int, typer.Option(min=1, help="Largest document, in MB.")] = 200,
    # deployment (README, "Running the platform for a region"): cli_deployment.py
    workers: deploy.WorkersOption = 1,
    database_connections: deploy.DatabaseConnectionsOption = None,
    tls_cert: deploy.TlsCertOption = None,
    tls_key: deploy.TlsKeyOption = None,
    forwarded_allow_ips: deploy.ForwardedOption = None,
    log_format: deploy.LogFormatOption = deploy.LogFormat.text,
    graceful_timeout: deploy.GracefulOption = 120,
    language: Annotated[
        Language, typer.Option(help="Language of the invitation messages sent.")
    ] = Language.fr,
    # Pro Santé Connect: every option in one block, built by cli_psc.psc_settings
    psc_issuer: cli_psc.IssuerOption = None,
    psc_client_id: cli_psc.ClientIdOption = None,
    psc_client_secret_file: cli_psc.SecretFileOption = None,
    psc_scope: cli_psc.ScopeOption = "openid scope_all",
    psc_acr: cli_psc.AcrOption = "eidas1",
    psc_ciba_expiry: cli_psc.CibaExpiryOption = 120,
) -> None:
    """Serve the platform API and DICOMweb until interrupted (SIGTERM or Ctrl-C: running
    requests finish first)."""
    scheme = "https" if tls_cert else "http"
    delivery = DeliverySettings(
        smtp=_smtp(smtp, smtp_starttls, smtp_user, smtp_password_file, mail_from),
        sms_gateway=sms_gateway,
        outbox_dir=outbox,
        public_url=public_url or f"{scheme}://{host}:{port}",
    )
    settings = ServerSettings(
        data,
        database,
        max_failed_logins=max_failed_logins,
        lockout=timedelta(minutes=lockout_minutes),
        max_document_bytes=max_document_mb * 1024 * 1024,
        delivery=delivery,
        language=language.value,
        psc=cli_psc.psc_settings(
            delivery.public_url or "",
            psc_issuer,
            psc_client_id,
            psc_client_secret_file,
            psc_scope,
            psc_acr,
            psc_ciba_expiry,
        ),
    )
    running = deploy.deployment(
        settings,
        workers,
        (tls_cert, tls_key),
        forwarded_allow_ips,
        log_format,
        graceful_timeout,
        database_connections,
    )
    if not is_initialised(settings):
        raise fail(f"{data} is not initialised; run `ortif-server init --data {data}`", 2)
    from ortif_server.db import SchemaError
    from ortif_server.recovery import prepare_to_serve
    from ortif_server.serving import PoolBudgetError
    from ortif_server.serving import serve as run_server

    try:
        prepare_to_serve(settings)  # SB: schema is current; DATA/tmp cleaned after a crash
        run_server(settings, running, host, port)
    except SchemaError as exc:
        raise fail(f"{exc} (--data {data})", 2) from None
    except PoolBudgetError as exc:
        raise fail(str(exc), 2) from None


def _smtp(
    address: str | None,
    starttls: bool,
    user: str | None,
    password_file: Path | None,
    mail_from: str,
) -> SmtpSettings | None:
    if address is None:
        return None
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise fail("--smtp must be HOST:PORT", 2)
    password = password_file.read_text().strip() if password_file else None
    return SmtpSettings(host, int(port), starttls, user, password, mail_from)


def run() -> None:
    app(prog_name="ortif-server")
