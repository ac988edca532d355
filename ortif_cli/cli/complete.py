"""Shell completion of values that live on the platform: dossier ids.

Use it on any argument or option that takes a dossier id:

    from ortif_cli.cli.complete import complete_dossier_id

    dossier_id: Annotated[int, typer.Argument(metavar="ID", autocompletion=complete_dossier_id)]

or, the same, the aliases `DossierIdArgument` (metavar ID) and `DossierArgument` (metavar
DOSSIER) defined below: `def show(ctx: typer.Context, dossier_id: DossierIdArgument)`.

`complete_dossier_id(ctx, incomplete)` returns `(id, help)` pairs, newest first, of the
dossiers the signed-in user may see (the profile and server given on the command line
so far, or ORTIF_PROFILE/ORTIF_SERVER/ORTIF_TOKEN), whose id starts with `incomplete`.
The help shows the status and creation date, never the patient. It never prompts,
prints or fails: without a session, or when the platform does not answer within
COMPLETION_TIMEOUT seconds, it offers nothing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ortif_cli.api.auth import SessionTokens

COMPLETION_TIMEOUT = 2.0
LIMIT = 100


def complete_dossier_id(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Dossier ids starting with `incomplete`, with their status and date as help."""
    try:
        return [(i, h) for i, h in _dossier_ids(ctx) if i.startswith(incomplete)]
    except Exception:  # completion must never break the shell
        return []


def _dossier_ids(ctx: typer.Context) -> list[tuple[str, str]]:
    import httpx

    from ortif_cli.api.client import PlatformClient
    from ortif_cli.credentials import load_session
    from ortif_cli.dates import format_date
    from ortif_cli.settings import DEFAULT_PROFILE, load_config

    root = ctx.find_root().params
    profile_name = root.get("profile") or os.environ.get("ORTIF_PROFILE") or DEFAULT_PROFILE
    profile = load_config().profile(profile_name)
    server = root.get("server") or os.environ.get("ORTIF_SERVER") or profile.server
    if not server:
        return []
    stored = load_session(profile_name, server)
    if stored is None:
        return []
    timeout = httpx.Timeout(COMPLETION_TIMEOUT)
    with PlatformClient(
        server,
        stored.access_token,
        refresh_token=stored.refresh_token,
        expires_at=stored.expires_at,
        on_refresh=lambda tokens: _store(profile_name, server, tokens),
        ca_bundle=profile.ca_bundle,
        timeout=timeout,
    ) as client:
        page = client.list_dossiers(limit=LIMIT)
    return [(str(d.id), f"{d.status} {format_date(d.created_at)}") for d in page.items]


def _store(profile: str, server: str, tokens: SessionTokens) -> None:
    from ortif_cli.credentials import StoredSession, save_session

    renewed = StoredSession(
        tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.refresh_expires_at
    )
    save_session(profile, server, renewed)


DossierIdArgument = Annotated[int, typer.Argument(metavar="ID", autocompletion=complete_dossier_id)]
"""A dossier id argument that completes (`ortif dossier show ID`)."""
DossierArgument = Annotated[
    int, typer.Argument(metavar="DOSSIER", autocompletion=complete_dossier_id)
]
"""The same with the metavar DOSSIER (`ortif ack DOSSIER`, `exam add DOSSIER`...)."""
