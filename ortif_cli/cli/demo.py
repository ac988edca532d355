"""`ortif demo`."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ortif_cli.cli.context import AppContext, app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _
from ortif_cli.ui.serialize import to_json

if TYPE_CHECKING:
    from ortif_cli.ui.progress import ByteProgress


def demo(
    ctx: typer.Context,
    keep: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Keep the platform's data and the images in this folder."),
    ] = None,
    view: Annotated[
        bool,
        typer.Option(
            "--view",
            help="The expert also sees the images in the browser viewer (OHIF, installed "
            "with npm the first time; with --keep, once).",
        ),
    ] = False,
) -> None:
    """Run one complete imaging transfer on a throwaway local platform, step by step."""
    from ortif_cli.demo import run_demo
    from ortif_cli.ui.progress import TransferProgress

    app_ = app_context(ctx)
    if view and not app_.can_prompt:
        raise UsageError(_("--view needs a terminal: the demo waits while you look at the images."))
    with tempfile.TemporaryDirectory(prefix="ortif-demo-") as scratch:
        workdir = keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        with TransferProgress(app_.output) as progress:
            hook = _open_in_browser(app_, progress) if view else None
            result = run_demo(workdir, app_.output.message, progress, hook)
    if app_.output.json_mode:
        app_.output.emit_json(to_json(result))
    else:
        app_.output.data(
            f"Transfer complete: dossier {result.dossier_id} is {result.status}, "
            f"{result.verified} images verified."
        )


def _open_in_browser(app_: AppContext, progress: ByteProgress) -> Callable[[str], None]:
    """Open the expert's viewer link in the default browser, then wait for Enter."""

    def view(url: str) -> None:
        import webbrowser

        from ortif_cli.ui.prompts import text

        if not webbrowser.open(url):
            app_.output.message(_("Open this link in your browser (usable once):"))
            app_.output.message(url)
        with progress.paused():
            text(_("Press Enter when you have seen the images; the demo goes on."))

    return view


def register(app: OrtifTyper) -> None:
    app.command()(demo)
