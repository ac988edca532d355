"""`ortif demo`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from ortif_cli.cli.context import app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _
from ortif_cli.ui.serialize import to_json


def demo(
    ctx: typer.Context,
    keep: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Keep the platform's data and the images in this folder."),
    ] = None,
    psc: Annotated[
        bool,
        typer.Option("--psc", help="Sign in through a local Pro Santé Connect provider (Node.js)."),
    ] = False,
    psc_provider: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="With --psc: the provider's folder (tests/psc_provider)."),
    ] = None,
) -> None:
    """Run one complete imaging transfer on a throwaway local platform, step by step."""
    from ortif_cli.demo import run_demo
    from ortif_cli.ui.progress import TransferProgress

    app_ = app_context(ctx)
    if psc_provider and not psc:
        raise UsageError(_("--psc-provider goes with --psc."))
    with tempfile.TemporaryDirectory(prefix="ortif-demo-") as scratch:
        workdir = keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        with TransferProgress(app_.output) as progress:
            result = run_demo(workdir, app_.output.message, progress, psc, psc_provider)
    if app_.output.json_mode:
        app_.output.emit_json(to_json(result))
    else:
        app_.output.data(
            f"Transfer complete: dossier {result.dossier_id} is {result.status}, "
            f"{result.verified} images verified."
        )


def register(app: OrtifTyper) -> None:
    app.command()(demo)
