"""`ortif ack`: acknowledge receipt of a dossier, which closes it."""

from __future__ import annotations

from typing import Annotated

import typer

from ortif_cli.api.models import status_label
from ortif_cli.cli.access import member_client
from ortif_cli.cli.complete import DossierArgument
from ortif_cli.cli.context import app_context, missing
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.i18n import _
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json

EXIT_CANCELLED = 130


def ack(
    ctx: typer.Context,
    dossier_id: DossierArgument,
    comment: Annotated[
        str | None, typer.Option(metavar="TEXT", help="A word for the requester.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Acknowledge receipt [accusé de réception]: the requester is told, the dossier closes.

    Shows what is acknowledged (patient, exams, documents) and asks for [OK];
    --yes confirms without asking, for scripts.
    """
    from ortif_cli.dossiers import acknowledge
    from ortif_cli.ui import prompts

    app_ = app_context(ctx)
    if not yes and not app_.can_prompt:
        raise missing("--yes")
    with member_client(app_, "ack") as client:
        if not yes:
            dossier = client.get_dossier(dossier_id)
            render.ack_screen(app_.output, dossier)
            if not prompts.confirm(_("Acknowledge receipt? This closes the dossier. [OK]")):
                app_.output.message(_("Not acknowledged; nothing changed."))
                raise typer.Exit(EXIT_CANCELLED)
        dossier = acknowledge(client, dossier_id, comment)
    if app_.output.json_mode:
        app_.output.emit_json(to_json(dossier))
    else:
        app_.output.message(
            _("Dossier {id} acknowledged; it is now {status}. {owner} is notified.").format(
                id=dossier.id,
                status=status_label(dossier.status),
                owner=dossier.owner.display_name,
            )
        )


def register(app: OrtifTyper) -> None:
    app.command()(ack)
