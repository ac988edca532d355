"""`ortif login`, `logout`, `whoami`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ortif_cli.cli.context import app_context, missing
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json


def login(
    ctx: typer.Context,
    username: Annotated[
        str | None, typer.Option(metavar="NAME", help="Your platform username.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Sign in; the session is kept in the OS keyring."""
    from ortif_cli.credentials import save_token
    from ortif_cli.ui import prompts

    app = app_context(ctx)
    server = app.server()
    username = username or app.profile.username
    if not username:
        if not app.can_prompt:
            raise missing("--username")
        username = prompts.text("Username")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif app.can_prompt:
        password = prompts.password("Password")
    else:
        raise missing("--password-stdin")
    with app.client(signed_in=False) as client:
        session = client.login(username, password)
    save_token(app.profile_name, server, session.access_token)
    profile = app.profile
    profile.server, profile.username = server, username
    app.config.save()
    if app.output.json_mode:
        app.output.emit_json(
            {
                "user": to_json(session.user),
                "server": server,
                "profile": app.profile_name,
                "expires_at": session.expires_at.isoformat(),
            }
        )
    else:
        app.output.message(f"Signed in to {server} as {session.user.display_name}.")


def logout(ctx: typer.Context) -> None:
    """Sign out: revoke the session on the platform and forget it here."""
    from ortif_cli.credentials import delete_token, load_token
    from ortif_cli.errors import OrtifError

    app = app_context(ctx)
    server = app.server()
    if load_token(app.profile_name, server):
        try:
            with app.client() as client:
                client.logout()
        except OrtifError as error:
            app.output.warning(f"the platform could not revoke the session: {error.message}")
    delete_token(app.profile_name, server)
    if app.output.json_mode:
        app.output.emit_json({"signed_out": True, "server": server, "profile": app.profile_name})
    else:
        app.output.message(f"Signed out of {server}.")


def whoami(ctx: typer.Context) -> None:
    """Show who you are signed in as, on which profile and server."""
    app = app_context(ctx)
    with app.client() as client:
        me = client.me()
    if app.output.json_mode:
        app.output.emit_json(
            {**to_json(me), "profile": app.profile_name, "server": client.base_url}
        )
    else:
        render.whoami(app.output, me, app.profile_name, client.base_url)


def register(app: OrtifTyper) -> None:
    app.command()(login)
    app.command()(logout)
    app.command()(whoami)
