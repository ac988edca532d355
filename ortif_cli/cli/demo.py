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
    from ortif_cli.ui.console import Output
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
    psc: Annotated[
        bool,
        typer.Option("--psc", help="Sign in through a local Pro Santé Connect provider (Node.js)."),
    ] = False,
    psc_provider: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="With --psc: the provider's folder (tests/psc_provider)."),
    ] = None,
    guest: Annotated[
        bool,
        typer.Option(
            "--guest",
            help="Also invite a guest and show the link and code to try in your browser; "
            "the demo waits for Enter.",
        ),
    ] = False,
) -> None:
    """Run one complete imaging transfer on a throwaway local platform, step by step."""
    from ortif_cli.demo import run_demo
    from ortif_cli.ui.progress import TransferProgress

    app_ = app_context(ctx)
    if view and not app_.can_prompt:
        raise UsageError(_("--view needs a terminal: the demo waits while you look at the images."))
    if psc_provider and not psc:
        raise UsageError(_("--psc-provider goes with --psc."))
    if guest and not app_.can_prompt:
        raise UsageError(
            _("`ortif demo --guest` waits while you try the guest's pages."),
            hint=_("Run it on a terminal, without --no-input."),
        )
    with tempfile.TemporaryDirectory(prefix="ortif-demo-") as scratch:
        workdir = keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        with TransferProgress(app_.output) as progress:
            hook = _open_in_browser(app_, progress) if view else None
            wait = _guest_wait(app_.output, progress) if guest else None
            result = run_demo(
                workdir,
                app_.output.message,
                progress,
                hook,
                wait,
                psc=psc,
                psc_provider=psc_provider,
            )
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


def _guest_wait(output: Output, progress: ByteProgress) -> Callable[[str, str], None]:
    def wait(link: str, code: str) -> None:
        from ortif_cli.ui import prompts

        with progress.paused():
            output.message(
                _("A guest is invited. Open the link in your browser and type the access code:")
            )
            output.message(f"  {link}")
            output.message(f"  {code}")
            prompts.text(
                _("Press Enter when done; the expert then acknowledges and the demo ends.")
            )

    return wait


def register(app: OrtifTyper) -> None:
    app.command()(demo)
