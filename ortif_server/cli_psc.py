"""The `serve` options of Pro Santé Connect, kept together (one help panel, one builder)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ortif_server.cli_common import fail
from ortif_server.config import PscSettings

PANEL = "Pro Santé Connect"
IssuerOption = Annotated[
    str | None,
    typer.Option(
        "--psc-issuer",
        metavar="URL",
        help="OpenID issuer of Pro Santé Connect; enables sign-in with PSC.",
        rich_help_panel=PANEL,
    ),
]
ClientIdOption = Annotated[
    str | None,
    typer.Option(
        "--psc-client-id", metavar="ID", help="Client id given by PSC.", rich_help_panel=PANEL
    ),
]
SecretFileOption = Annotated[
    Path | None,
    typer.Option(
        "--psc-client-secret-file",
        metavar="FILE",
        help="File holding the client secret given by PSC.",
        rich_help_panel=PANEL,
    ),
]
ScopeOption = Annotated[
    str, typer.Option("--psc-scope", help="Scopes to request.", rich_help_panel=PANEL)
]
AcrOption = Annotated[
    str,
    typer.Option(
        "--psc-acr", help="Authentication level to require ('' for none).", rich_help_panel=PANEL
    ),
]
CibaExpiryOption = Annotated[
    int,
    typer.Option(
        "--psc-ciba-expiry",
        min=10,
        max=600,
        metavar="SECONDS",
        help="How long an e-CPS request (CIBA) waits for approval.",
        rich_help_panel=PANEL,
    ),
]


def psc_settings(
    public_url: str,
    issuer: str | None,
    client_id: str | None,
    secret_file: Path | None,
    scope: str,
    acr: str,
    ciba_expiry: int,
) -> PscSettings | None:
    """The PSC client settings, or None without --psc-issuer; exit 2 when incomplete."""
    if issuer is None:
        if client_id or secret_file:
            raise fail("--psc-client-id and --psc-client-secret-file need --psc-issuer", 2)
        return None
    if not client_id or secret_file is None:
        raise fail("--psc-issuer needs --psc-client-id and --psc-client-secret-file", 2)
    try:
        secret = secret_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read --psc-client-secret-file: {exc}", 2) from None
    if not secret:
        raise fail(f"--psc-client-secret-file {secret_file} is empty", 2)
    return PscSettings(issuer, client_id, secret, public_url, scope, acr or None, ciba_expiry)
