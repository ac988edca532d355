"""`ortif pacs add|list|remove|echo`: the PACS nodes of the profile."""

from __future__ import annotations

from typing import Annotated

import typer

from ortif_cli.cli.context import app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.i18n import _

app = OrtifTyper(help="Manage the PACS nodes of the profile.", no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="A name for this node.")],
    host: Annotated[str, typer.Option("--host", metavar="H", help="PACS host name or address.")],
    port: Annotated[int, typer.Option("--port", metavar="P", help="PACS DICOM port.")],
    aet: Annotated[str, typer.Option("--aet", metavar="CALLED", help="The PACS's AE title.")],
    calling_aet: Annotated[
        str, typer.Option("--calling-aet", metavar="A", help="Our AE title, as the PACS knows it.")
    ] = "ORTIF",
    retrieve: Annotated[
        str, typer.Option("--retrieve", metavar="get|move", help="Retrieve with C-GET or C-MOVE.")
    ] = "get",
    move_port: Annotated[
        int | None,
        typer.Option("--move-port", metavar="N", help="Port our Storage SCP listens on (C-MOVE)."),
    ] = None,
) -> None:
    """Add (or replace) a PACS node."""
    from ortif_cli.pacs_nodes import PacsNode, add_node

    app_ = app_context(ctx)
    node = PacsNode(name, host, port, aet, calling_aet, retrieve, move_port)
    add_node(app_.profile, node)
    app_.config.save()
    if app_.output.json_mode:
        app_.output.emit_json({"name": name, **node.to_toml()})
        return
    app_.output.message(_("PACS node {name} saved.").format(name=name))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List the PACS nodes of the profile."""
    from ortif_cli.pacs_nodes import list_nodes

    app_ = app_context(ctx)
    nodes = list_nodes(app_.profile)
    if app_.output.json_mode:
        app_.output.emit_json({"items": [{"name": n.name, **n.to_toml()} for n in nodes]})
        return
    if not nodes:
        app_.output.message(_("No PACS node. Add one with `ortif pacs add`."))
    for n in nodes:
        retrieve = f"move:{n.move_port}" if n.retrieve == "move" else "get"
        app_.output.data(
            f"{n.name}\t{n.host}:{n.port}\t{n.called_ae_title}\t{n.calling_ae_title}\t{retrieve}"
        )


@app.command()
def remove(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Remove a PACS node."""
    from ortif_cli.pacs_nodes import remove_node

    app_ = app_context(ctx)
    remove_node(app_.profile, name)
    app_.config.save()
    if app_.output.json_mode:
        app_.output.emit_json({"name": name, "removed": True})
        return
    app_.output.message(_("PACS node {name} removed.").format(name=name))


@app.command()
def echo(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Check that a PACS node answers (C-ECHO), with the round-trip time."""
    from ortif_cli.dicom.pacs import echo as c_echo
    from ortif_cli.pacs_nodes import get_node

    app_ = app_context(ctx)
    node = get_node(app_.profile, name)
    seconds = c_echo(node)
    if app_.output.json_mode:
        app_.output.emit_json({"name": name, "ok": True, "round_trip_ms": round(seconds * 1000, 1)})
        return
    app_.output.data(_("{name}: C-ECHO OK in {ms:.0f} ms").format(name=name, ms=seconds * 1000))
