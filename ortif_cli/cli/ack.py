"""`ortif ack`: acknowledge receipt of a dossier, which closes it."""

from __future__ import annotations

from typing import Annotated

import typer

from ortif_cli.cli.context import app_context, missing
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json


def ack(
    ctx: typer.Context,
    dossier_id: Annotated[int, typer.Argument(metavar="DOSSIER")],
    comment: Annotated[
        str | None, typer.Option(metavar="TEXT", help="A word for the requester.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Acknowledge receipt [accusé de réception]: the requester is told, the dossier closes."""
    from ortif_cli.ui import prompts

    app_ = app_context(ctx)
    with app_.client() as client:
        if not yes:
            if not app_.can_prompt:
                raise missing("--yes")
            dossier = client.get_dossier(dossier_id)
            render.dossier_detail(app_.output, dossier)
            if not prompts.confirm("Acknowledge receipt of this dossier? [OK]"):
                app_.output.message("Not acknowledged.")
                raise typer.Exit(130)
        dossier = client.add_step(dossier_id, "ack", comment)
    if app_.output.json_mode:
        app_.output.emit_json(to_json(dossier))
    else:
        app_.output.message(f"Dossier {dossier.id} acknowledged; it is now {dossier.status}.")


def register(app: OrtifTyper) -> None:
    app.command()(ack)
