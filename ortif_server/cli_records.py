"""`ortif-server directory import` and `ortif-server audit`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ortif_server import audit_export
from ortif_server.admin import AdminError, admin_session
from ortif_server.cli_common import DatabaseOption, DataOption, fail
from ortif_server.config import ServerSettings
from ortif_server.directory_import import import_directory

directory_app = typer.Typer(help="Manage the directory of professionals.", no_args_is_help=True)


@directory_app.command("import")
def directory_import(
    data: DataOption,
    file: Annotated[Path, typer.Argument(help="JSON or CSV file of professionals.")],
    database: DatabaseOption = None,
) -> None:
    """Create or update professionals, establishments and communities from FILE."""
    try:
        created, updated = import_directory(ServerSettings(data, database), file)
    except AdminError as exc:
        raise fail(str(exc), 1) from None
    typer.echo(f"{created} professionals created, {updated} updated", err=True)


def audit(
    data: DataOption,
    dossier: Annotated[int, typer.Option(help="Dossier id.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
    fhir: Annotated[bool, typer.Option("--fhir", help="A FHIR R4 Bundle of AuditEvent.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Print the audit trail of a dossier, its exams and its documents."""
    if as_json and fhir:
        raise fail("--json and --fhir are exclusive", 2)
    try:
        with admin_session(ServerSettings(data, database)) as session:
            rows = audit_export.events(session, dossier)
            if fhir:
                typer.echo(json.dumps(audit_export.fhir_bundle(rows), indent=2))
            elif as_json:
                typer.echo(json.dumps([audit_export.as_dict(e) for e in rows], indent=2))
            else:
                for event in rows:
                    typer.echo(audit_export.as_text(event))
    except AdminError as exc:
        raise fail(str(exc), 1) from None
