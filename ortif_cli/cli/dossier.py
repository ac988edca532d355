"""`ortif dossier create|list|show|send|cancel`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ortif_cli.cli.context import AppContext, app_context, missing
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json

if TYPE_CHECKING:
    from ortif_cli.api.models import Dossier
    from ortif_cli.dicom.identity import FieldDiff

app = OrtifTyper(help="Create, list, show and send tele-files (dossiers).", no_args_is_help=True)


class Visibility(str, Enum):
    me = "me"
    community = "community"


class Status(str, Enum):
    draft = "draft"
    sent = "sent"
    closed = "closed"
    cancelled = "cancelled"


@app.command()
def create(
    ctx: typer.Context,
    to: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PATH",
            help="ESTABLISHMENT/COMMUNITY or ESTABLISHMENT/COMMUNITY/PERSON; repeatable.",
        ),
    ] = None,
    patient_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Patient's last name.")
    ] = None,
    patient_id: Annotated[
        str | None, typer.Option(metavar="ID", help="Patient's identifier.")
    ] = None,
    patient_first_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Patient's first name.")
    ] = None,
    patient_birth_date: Annotated[
        str | None, typer.Option(metavar="DATE", help="dd/mm/yyyy or yyyy-mm-dd.")
    ] = None,
    comment: Annotated[
        str | None, typer.Option(metavar="TEXT", help="The request's comment.")
    ] = None,
    visibility: Annotated[
        Visibility, typer.Option(help="Who sees it besides the correspondents.")
    ] = Visibility.me,
    community: Annotated[
        str | None,
        typer.Option(
            metavar="PATH", help="With --visibility community: which of your communities."
        ),
    ] = None,
    exam_dir: Annotated[
        list[Path] | None,
        typer.Option(metavar="DIR", help="Folder (or CD) of DICOM files; repeatable."),
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="Send it at once.")] = False,
) -> None:
    """Create an imaging-transfer dossier, with its exams, and optionally send it."""
    from ortif_cli import recipients
    from ortif_cli.api.models import Patient
    from ortif_cli.dates import parse_date
    from ortif_cli.dossiers import DossierRequest, create_dossier, visibility_community
    from ortif_cli.ui.progress import TransferProgress

    app_ = app_context(ctx)
    if not to:
        raise missing("--to")
    if not patient_name:
        raise missing("--patient-name")
    if not patient_id:
        raise missing("--patient-id")
    birth = parse_date(patient_birth_date, "--patient-birth-date") if patient_birth_date else None
    patient = Patient(patient_name, patient_id, patient_first_name, birth)
    with app_.client() as client:
        request = DossierRequest(
            correspondents=[recipients.resolve(client, path) for path in to],
            patient=patient,
            visibility=visibility.value,
            community=visibility_community(client, community)
            if visibility is Visibility.community
            else None,
            comment=comment,
            exam_dirs=exam_dir or (),
            send=send,
        )
        with TransferProgress(app_.output) as progress:
            dossier, report = create_dossier(client, request, progress)
    if report:
        warn_identity(app_, report.identity_warnings)
    _print_dossier_result(app_, dossier, "created" + (" and sent" if send else ""))


def _print_dossier_result(app_: AppContext, dossier: Dossier, verb: str) -> None:
    if app_.output.json_mode:
        app_.output.emit_json(to_json(dossier))
        return
    app_.output.message(f"Dossier {dossier.id} {verb} ({dossier.status}).")
    app_.output.data(str(dossier.id))


def warn_identity(app_: AppContext, warnings: list[FieldDiff]) -> None:
    for diff in warnings:
        app_.output.warning(
            f"the patient's {diff.field} differs: dossier {diff.expected!r}, study {diff.found!r}."
        )


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option(help="Only dossiers in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, metavar="N", help="How many.")] = 50,
) -> None:
    """List the dossiers you can see, newest first."""
    app_ = app_context(ctx)
    with app_.client() as client:
        page = client.list_dossiers(status=status.value if status else None, limit=limit)
    if app_.output.json_mode:
        app_.output.emit_json({"items": to_json(page.items), "total": page.total})
    elif app_.output.quiet:
        for dossier in page.items:
            app_.output.data(str(dossier.id))
    else:
        render.dossier_table(app_.output, page.items)


@app.command()
def show(ctx: typer.Context, dossier_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Show a dossier: patient, correspondents and its steps with their exams."""
    app_ = app_context(ctx)
    with app_.client() as client:
        dossier = client.get_dossier(dossier_id)
    if app_.output.json_mode:
        app_.output.emit_json(to_json(dossier))
    else:
        render.dossier_detail(app_.output, dossier)


@app.command()
def send(ctx: typer.Context, dossier_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Send a draft dossier to its correspondents."""
    app_ = app_context(ctx)
    with app_.client() as client:
        dossier = client.send_dossier(dossier_id)
    _print_dossier_result(app_, dossier, "sent")


@app.command()
def cancel(ctx: typer.Context, dossier_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Cancel a draft dossier."""
    app_ = app_context(ctx)
    with app_.client() as client:
        dossier = client.cancel_dossier(dossier_id)
    _print_dossier_result(app_, dossier, "cancelled")
