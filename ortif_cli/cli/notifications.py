"""`ortif notifications`."""

from __future__ import annotations

from typing import Annotated

import typer

from ortif_cli.cli.context import app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json


def notifications(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="Only the unread ones.")] = False,
) -> None:
    """List your notifications, newest first."""
    app_ = app_context(ctx)
    with app_.client() as client:
        items = client.notifications(unread=unread)
    if app_.output.json_mode:
        app_.output.emit_json({"items": to_json(items)})
    elif app_.output.quiet:
        for item in items:
            app_.output.data(str(item.id))
    else:
        render.notifications(app_.output, items)


def register(app: OrtifTyper) -> None:
    app.command()(notifications)
