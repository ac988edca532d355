"""`ortif-server viewer install`: the OHIF viewer served at /viewer/ (never committed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ortif_server import viewer_bundle
from ortif_server.cli_common import DataOption, fail

viewer_app = typer.Typer(help="The OHIF image viewer served at /viewer/.", no_args_is_help=True)


@viewer_app.command("install")
def viewer_install(
    data: DataOption,
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="TGZ",
            help=f"The npm tarball of {viewer_bundle.PACKAGE}@{viewer_bundle.VERSION}, "
            "downloaded beforehand (default: fetched with `npm pack`).",
        ),
    ] = None,
) -> None:
    """Install the pinned OHIF release under the data directory, its checksum verified."""
    current = viewer_bundle.installed(data)
    if current is not None and current.version == viewer_bundle.VERSION and from_ is None:
        typer.echo(f"OHIF viewer {current.version} is already installed in {data}.", err=True)
        return
    package = f"{viewer_bundle.PACKAGE}@{viewer_bundle.VERSION}"
    typer.echo(f"Installing {package} from {from_ or 'npm'}...", err=True)
    try:
        installed = viewer_bundle.install(data, from_)
    except viewer_bundle.ViewerInstallError as exc:
        raise fail(str(exc), 1) from None
    typer.echo(
        f"OHIF viewer {installed.version} installed in {installed.dist.parent}; "
        "`serve` serves it at /viewer/.",
        err=True,
    )
