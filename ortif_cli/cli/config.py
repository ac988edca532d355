"""`ortif config show|set`: the profile's settings in the TOML configuration file."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ortif_cli.cli.context import app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.i18n import _
from ortif_cli.settings import SETTINGS

app = OrtifTyper(
    help="Show and change the settings of a profile (server, CA bundle, timeouts...).",
    no_args_is_help=True,
)


@app.command()
def show(ctx: typer.Context) -> None:
    """Show the profile's settings and where they are kept (never a secret)."""
    app_ = app_context(ctx)
    config, profile = app_.config, app_.profile
    settings = profile.settings()
    pacs = sorted(profile.extra.get("pacs", {}))
    if app_.output.json_mode:
        app_.output.emit_json(
            {
                "path": str(config.path),
                "profile": profile.name,
                "profiles": sorted(set(config.profiles) | {profile.name}),
                "settings": settings,
                "pacs_nodes": pacs,
            }
        )
        return
    app_.output.data(f"# {config.path}")
    app_.output.data(f"[profiles.{profile.name}]")
    for key, value in settings.items():
        app_.output.data(f"{key} = {_shown(value)}")
    if pacs:
        nodes = _("PACS nodes: {names}").format(names=", ".join(pacs))
        app_.output.data(f"# {nodes}")


def _shown(value: Any) -> str:
    if value is None:
        return _("(not set)")
    return repr(value) if isinstance(value, str) else str(value)


@app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help=", ".join(SETTINGS))],
    value: Annotated[str, typer.Argument(metavar="VALUE")],
) -> None:
    """Set one setting of the profile (server, username, ca_bundle, timeout...)."""
    app_ = app_context(ctx)
    parsed = app_.profile.set(key, value)
    app_.config.save()
    if app_.output.json_mode:
        app_.output.emit_json({"profile": app_.profile_name, "key": key, "value": parsed})
    else:
        app_.output.message(
            _("{key} set to {value} (profile {profile}).").format(
                key=key, value=_shown(parsed), profile=app_.profile_name
            )
        )
