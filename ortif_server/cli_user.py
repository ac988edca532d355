"""`ortif-server user add|passwd`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ortif_server.admin import AdminError, add_user, enable_totp, set_password
from ortif_server.cli_common import DatabaseOption, DataOption, fail
from ortif_server.config import ServerSettings

user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
UsernameOption = Annotated[str, typer.Option(help="Login name (unique).")]


@user_app.command("add")
def user_add(
    data: DataOption,
    username: UsernameOption,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    last_name: Annotated[str | None, typer.Option(help="Last name.")] = None,
    first_name: Annotated[str | None, typer.Option(help="First name.")] = None,
    establishment: Annotated[str | None, typer.Option(help="Establishment name.")] = None,
    community: Annotated[
        list[str] | None, typer.Option(help="Community name (repeatable).")
    ] = None,
    totp: Annotated[
        bool, typer.Option("--totp", help="Enable TOTP; print the provisioning URI once.")
    ] = False,
    rpps: Annotated[
        str | None,
        typer.Option(metavar="NUMBER", help="RPPS number (11 digits): sign-in with PSC."),
    ] = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: sign-in with PSC only.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Create a user, or add communities to an existing one."""
    if community and not establishment:
        raise fail("--community needs --establishment", 2)
    if no_password and password_stdin:
        raise fail("--no-password and --password-stdin exclude each other", 2)
    if rpps is not None and not (len(rpps) == 11 and rpps.isdigit()):
        raise fail("--rpps must be the 11 digits of an RPPS number", 2)
    password = read_password() if password_stdin else None
    names = (last_name, first_name)
    settings = ServerSettings(data, database)
    try:
        outcome = add_user(
            settings,
            username,
            password,
            names,
            establishment,
            community or [],
            rpps=rpps,
            no_password=no_password,
        )
        uri = enable_totp(settings, username) if totp else None
    except AdminError as exc:
        raise fail(str(exc), 1) from None
    typer.echo(f"user {username} {outcome}", err=True)
    if uri is not None:
        typer.echo(uri)


@user_app.command("passwd")
def user_passwd(
    data: DataOption, username: UsernameOption, database: DatabaseOption = None
) -> None:
    """Set a user's password, read from stdin (unlocks the account)."""
    try:
        set_password(ServerSettings(data, database), username, read_password())
    except AdminError as exc:
        raise fail(str(exc), 1) from None
    typer.echo(f"password of {username} set", err=True)


def read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise fail("the password read from stdin is empty", 2)
    return password
