"""The `ortif` command: global options, command groups, and the entry point."""

from __future__ import annotations

from typing import Annotated

import typer

from ortif_cli import __version__
from ortif_cli.cli import (
    ack,
    config,
    demo,
    directory,
    dossier,
    dossier_view,
    exam,
    invite,
    notifications,
    pacs,
    session,
    step,
    token,
)
from ortif_cli.cli.context import AppContext
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.ui.console import Output

app = OrtifTyper(
    name="ortif",
    help="Send medical imaging to colleagues through the ORTIF platform, and acknowledge it.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ortif {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    profile: Annotated[
        str,
        typer.Option(envvar="ORTIF_PROFILE", metavar="NAME", help="Configuration profile to use."),
    ] = "default",
    server: Annotated[
        str | None,
        typer.Option(envvar="ORTIF_SERVER", metavar="URL", help="Platform URL (https://...)."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON document on stdout.")
    ] = False,
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input",
            envvar="ORTIF_NO_INPUT",
            help="Never prompt; exit 2 when input is missing.",
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Say more: an HTTP trace (secrets redacted) on stderr."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only ids.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Global options, valid before any command."""
    output = Output(json_mode=json_output, quiet=quiet, verbose=verbose)
    ctx.obj = AppContext(output, profile_name=profile, server_option=server, no_input=no_input)


session.register(app)
app.add_typer(token.app, name="token")
app.add_typer(config.app, name="config")
app.add_typer(directory.app, name="directory")
dossier_view.register(dossier.app)
app.add_typer(dossier.app, name="dossier")
app.add_typer(exam.app, name="exam")
app.add_typer(pacs.app, name="pacs")
ack.register(app)
invite.register(app)
app.add_typer(step.app, name="step")
notifications.register(app)
demo.register(app)


def run() -> None:
    """Console-script entry point."""
    app(prog_name="ortif")
