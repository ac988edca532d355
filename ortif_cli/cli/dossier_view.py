"""`ortif dossier view`: the dossier's images in the platform's viewer, in a browser."""

from __future__ import annotations

from typing import Annotated

import typer

from ortif_cli.cli.access import member_client
from ortif_cli.cli.complete import DossierIdArgument
from ortif_cli.cli.context import app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.dates import format_time
from ortif_cli.i18n import _, ngettext


def view(
    ctx: typer.Context,
    dossier_id: DossierIdArgument,
    no_browser: Annotated[
        bool,
        typer.Option(
            "--no-browser", help="Print the link instead of opening it (SSH sessions, scripts)."
        ),
    ] = False,
) -> None:
    """Open the dossier's images in the platform's viewer (OHIF) in your browser.

    The platform gives a link valid two minutes and usable once; it opens a browser
    session limited to this dossier's images, which ends after 12 hours or at
    `ortif logout`.
    """
    import webbrowser

    app_ = app_context(ctx)
    with member_client(app_, "dossier view") as client:
        link = client.viewer_link(dossier_id)
    opened = not no_browser and webbrowser.open(link.url)
    count = len(link.studies)
    studies = ngettext("{n} study", "{n} studies", count).format(n=count)
    if opened:
        app_.output.message(
            _("Opening dossier {id} ({studies}) in your browser.").format(
                id=dossier_id, studies=studies
            )
        )
    else:
        if not no_browser:
            app_.output.warning(_("no browser could be opened; open the link below yourself."))
        app_.output.message(
            _("Link to dossier {id} ({studies}), usable once until {time}:").format(
                id=dossier_id, studies=studies, time=format_time(link.expires_at)
            )
        )
    if app_.output.json_mode:
        app_.output.emit_json(link.to_json())
    elif not opened:
        app_.output.data(link.url)


def register(app: OrtifTyper) -> None:
    app.command()(view)
