"""`ortif directory search`."""

from __future__ import annotations

from typing import Annotated

import typer

from ortif_cli.cli.context import app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json

app = OrtifTyper(
    help="Look up establishments, communities and professionals.", no_args_is_help=True
)


@app.command()
def search(ctx: typer.Context, text: Annotated[str, typer.Argument()] = "") -> None:
    """Search the directory by name (case and accents do not matter)."""
    app_ = app_context(ctx)
    with app_.client() as client:
        found = client.search_directory(text)
    if app_.output.json_mode:
        app_.output.emit_json(to_json(found))
    else:
        render.directory(app_.output, found)
