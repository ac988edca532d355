"""`ortif-server`: init, user add, serve. FastAPI and uvicorn are imported by `serve` only."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ortif_server.admin import AdminError, add_user, init_data_dir, is_initialised
from ortif_server.config import ServerSettings

app = typer.Typer(
    help="The reference ortif platform server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")

DataOption = Annotated[Path, typer.Option("--data", help="Data directory (database, blobs).")]
DatabaseOption = Annotated[
    str | None, typer.Option("--database", help="Database URL (default: SQLite in --data).")
]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"ortif-server: error: {message}", err=True)
    return typer.Exit(code)


@app.command()
def init(data: DataOption, database: DatabaseOption = None) -> None:
    """Create the data directory and the database schema (idempotent)."""
    for line in init_data_dir(ServerSettings(data, database)):
        typer.echo(line, err=True)


@user_app.command("add")
def user_add(
    data: DataOption,
    username: Annotated[str, typer.Option(help="Login name (unique).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    last_name: Annotated[str | None, typer.Option(help="Last name.")] = None,
    first_name: Annotated[str | None, typer.Option(help="First name.")] = None,
    establishment: Annotated[str | None, typer.Option(help="Establishment name.")] = None,
    community: Annotated[
        list[str] | None, typer.Option(help="Community name (repeatable).")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Create a user, or add communities to an existing one."""
    if community and not establishment:
        raise _fail("--community needs --establishment", 2)
    password = _read_password() if password_stdin else None
    names = (last_name, first_name)
    settings = ServerSettings(data, database)
    try:
        outcome = add_user(settings, username, password, names, establishment, community or [])
    except AdminError as exc:
        raise _fail(str(exc), 1) from None
    typer.echo(f"user {username} {outcome}", err=True)


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise _fail("the password read from stdin is empty", 2)
    return password


@app.command()
def serve(
    data: DataOption,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: DatabaseOption = None,
) -> None:
    """Serve the platform API and DICOMweb until interrupted."""
    settings = ServerSettings(data, database)
    if not is_initialised(settings):
        raise _fail(f"{data} is not initialised; run `ortif-server init --data {data}`", 2)
    import uvicorn

    from ortif_server.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_config=_log_config())


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, all on stderr, with the server's own loggers at INFO."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    config["loggers"]["ortif_server"] = {"handlers": ["default"], "level": "INFO"}
    return config


def run() -> None:
    app(prog_name="ortif-server")
