"""`ortif token create|list|revoke`: personal access tokens for scripts (ORTIF_TOKEN)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

import typer

from ortif_cli.cli.context import CsvOption, app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _
from ortif_cli.ui.serialize import to_json

if TYPE_CHECKING:
    from ortif_cli.api.auth import PersonalToken
    from ortif_cli.ui.rows import Column

app = OrtifTyper(
    help="Personal access tokens for scripts and cron jobs (pass them as ORTIF_TOKEN).",
    no_args_is_help=True,
)
UNITS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_expiry(text: str) -> int | None:
    """`90d`, `12w`, `6m`, `1y`, `90` (days) or `never` -> days (None for never)."""
    text = text.strip().lower()
    if text == "never":
        return None
    found = re.fullmatch(r"(\d+)\s*([dwmy]?)", text)
    days = int(found.group(1)) * UNITS[found.group(2) or "d"] if found else 0
    if not 1 <= days <= 3650:
        raise UsageError(
            _("--expires {value} is not a duration of 1 day to 10 years.").format(value=text),
            hint=_("Write it as 90d, 12w, 6m, 1y or never."),
        )
    return days


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(metavar="NAME", help="What the token is for.")],
    expires: Annotated[
        str, typer.Option(metavar="DURATION", help="90d, 12w, 6m, 1y or never.")
    ] = "90d",
) -> None:
    """Create a token; its secret is shown this once only."""
    app_ = app_context(ctx)
    days = parse_expiry(expires)
    with app_.client() as client:
        created = client.create_token(name, days)
    info = created.info
    if app_.output.json_mode:
        app_.output.emit_json(
            {
                "id": info.id,
                "token": created.token,
                "name": info.name,
                "expires_at": to_json(info.expires_at),
            }
        )
        return
    app_.output.data(created.token)
    app_.output.message(
        _("Token {id} ({name}) created. Keep it now: it will not be shown again.").format(
            id=info.id, name=info.name
        )
    )


def _columns() -> list[Column[PersonalToken]]:
    from ortif_cli.ui.rows import Column

    return [
        Column("id", _("id"), lambda t: t.id),
        Column("name", _("name"), lambda t: t.name),
        Column("created_at", _("created"), lambda t: t.created_at),
        Column("expires_at", _("expires"), lambda t: t.expires_at),
        Column("last_used_at", _("last used"), lambda t: t.last_used_at),
        Column("revoked", _("revoked"), lambda t: t.revoked),
    ]


@app.command("list")
def list_(ctx: typer.Context, csv: CsvOption = False) -> None:
    """List your personal access tokens (never their secrets)."""
    from ortif_cli.ui.rows import RowFormat, render_rows

    app_ = app_context(ctx)
    row_format = RowFormat.pick(app_.output, csv)
    with app_.client() as client:
        tokens = client.list_tokens()
    render_rows(
        app_.output,
        _columns(),
        tokens,
        row_format=row_format,
        json_document={"items": to_json(tokens)},
        row_id=lambda t: t.id,
        empty=_("No personal access tokens."),
    )


@app.command()
def revoke(ctx: typer.Context, token_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Revoke a token: scripts using it are refused from now on."""
    app_ = app_context(ctx)
    with app_.client() as client:
        client.revoke_token(token_id)
    if app_.output.json_mode:
        app_.output.emit_json({"id": token_id, "revoked": True})
    else:
        app_.output.message(_("Token {id} revoked.").format(id=token_id))
