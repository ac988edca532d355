"""`ortif dossier create|list|show|send|cancel|pull`."""

from __future__ import annotations

import contextlib
import tempfile
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ortif_cli.api.models import status_label
from ortif_cli.cli.access import member_client, participant_client
from ortif_cli.cli.complete import DossierIdArgument
from ortif_cli.cli.context import AppContext, CsvOption, app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.cli.patient_options import (
    PatientBirthDate,
    PatientBirthplace,
    PatientFirstName,
    PatientId,
    PatientIdentityStatus,
    PatientIdIssuer,
    PatientIns,
    PatientInsOid,
    PatientName,
    PatientSex,
    patient_flags,
)
from ortif_cli.i18n import _, ngettext
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json

if TYPE_CHECKING:
    from ortif_cli.api.models import Dossier
    from ortif_cli.dicom.identity import FieldDiff

app = OrtifTyper(
    help="Create, list, show, send and download tele-files (dossiers).", no_args_is_help=True
)


class Visibility(str, Enum):
    me = "me"
    community = "community"


class Status(str, Enum):
    draft = "draft"
    sent = "sent"
    closed = "closed"
    cancelled = "cancelled"


class Sort(str, Enum):
    newest = "newest"
    oldest = "oldest"
    updated = "updated"
    updated_oldest = "updated-oldest"


SORT_KEYS = {
    Sort.newest: "-created_at",
    Sort.oldest: "created_at",
    Sort.updated: "-updated_at",
    Sort.updated_oldest: "updated_at",
}


def _opt(metavar: str, text: str) -> Any:
    """A value option: its metavar and its help."""
    return typer.Option(metavar=metavar, help=text)


@app.command()
def create(
    ctx: typer.Context,
    to: Annotated[
        list[str] | None,
        _opt("PATH", "Correspondent: ESTABLISHMENT/COMMUNITY[/PERSON]; repeatable."),
    ] = None,
    visibility: Annotated[
        Visibility | None, typer.Option(help="Who sees it besides the correspondents.")
    ] = None,
    community: Annotated[
        str | None, _opt("PATH", "With --visibility community: which of your communities.")
    ] = None,
    patient_name: PatientName = None,
    patient_first_name: PatientFirstName = None,
    patient_birth_date: PatientBirthDate = None,
    patient_sex: PatientSex = None,
    patient_id: PatientId = None,
    patient_id_issuer: PatientIdIssuer = None,
    patient_birthplace: PatientBirthplace = None,
    patient_ins: PatientIns = None,
    patient_ins_oid: PatientInsOid = None,
    patient_identity_status: PatientIdentityStatus = None,
    comment: Annotated[str | None, _opt("TEXT", "The request's comment.")] = None,
    exam_dir: Annotated[
        list[Path] | None, _opt("DIR", "Folder (or CD) of DICOM files; repeatable.")
    ] = None,
    attach: Annotated[
        list[Path] | None, _opt("FILE", "Document to attach (PDF, Word...); repeatable.")
    ] = None,
    from_exam: Annotated[
        bool,
        typer.Option(
            "--from-exam",
            help="Fill the patient from an exam's DICOM header and add the exam; "
            "the exam is --dir DIR, --pacs NAME --study UID or --local --study UID.",
        ),
    ] = False,
    source_dir: Annotated[
        Path | None, typer.Option("--dir", metavar="DIR", help="With --from-exam: a folder.")
    ] = None,
    pacs: Annotated[str | None, _opt("NAME", "With --from-exam: a PACS node.")] = None,
    local: Annotated[
        bool, typer.Option("--local", help="With --from-exam: the platform's own store.")
    ] = False,
    study: Annotated[str | None, _opt("UID", "With --from-exam: the Study Instance UID.")] = None,
    send: Annotated[bool, typer.Option("--send", help="Send it at once.")] = False,
    draft: Annotated[
        bool,
        typer.Option(
            "--draft",
            help="Keep it as a draft without asking (the default "
            "without a terminal); send it later with `dossier send`.",
        ),
    ] = False,
) -> None:
    """Create an imaging-transfer dossier [Transfert d'imagerie], with its exams and documents.

    On a terminal, what no flag gives is asked for; with --no-input, a missing
    mandatory value exits 2 naming its flag.
    """
    from ortif_cli.cli.create_wizard import CreateFlags, build_request
    from ortif_cli.dossiers import create_dossier
    from ortif_cli.ui.progress import TransferProgress

    app_ = app_context(ctx)
    flags = CreateFlags(
        to=to or [],
        visibility=visibility.value if visibility else None,
        community=community,
        patient=patient_flags(
            patient_name,
            patient_first_name,
            patient_birth_date,
            patient_sex,
            patient_id,
            patient_id_issuer,
            patient_birthplace,
            patient_ins,
            patient_ins_oid,
            patient_identity_status,
        ),  # fmt: skip
        comment=comment,
        exam_dirs=exam_dir or [],
        attachments=attach or [],
        from_exam=from_exam,
        source_dir=source_dir,
        pacs=pacs,
        local=local,
        study=study,
        send=send,
        draft=draft,
    )
    with member_client(app_, "dossier create") as client:
        request = build_request(app_, client, flags)
        with TransferProgress(app_.output) as progress:
            dossier, uploaded = create_dossier(client, request, progress)
    warn_identity(app_, uploaded.identity_warnings)
    _print_dossier_result(app_, dossier, _("sent") if request.send else _("kept as a draft"))


def _print_dossier_result(app_: AppContext, dossier: Dossier, verb: str) -> None:
    if app_.output.json_mode:
        app_.output.emit_json(to_json(dossier))
        return
    app_.output.message(
        _("Dossier {id} {verb} ({status}).").format(
            id=dossier.id, verb=verb, status=status_label(dossier.status)
        )
    )
    app_.output.data(str(dossier.id))


def warn_identity(app_: AppContext, warnings: list[FieldDiff]) -> None:
    """One warning per identity field that differs (the identifier, or an accepted one)."""
    from ortif_cli.identity_report import diff_values, field_label

    for diff in warnings:
        expected, found = diff_values(diff)
        app_.output.warning(
            _("{field} differs: dossier {expected!r}, study {found!r}.").format(
                field=field_label(diff.field), expected=expected, found=found
            )
        )


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option(help="Only dossiers in this state.")] = None,
    patient: Annotated[str | None, _opt("TEXT", "Patient's name or identifier.")] = None,
    to: Annotated[str | None, _opt("TEXT", "A correspondent's (person or community) name.")] = None,
    since: Annotated[str | None, _opt("DATE", "Created on or after (dd/mm/yyyy).")] = None,
    until: Annotated[str | None, _opt("DATE", "Created on or before (dd/mm/yyyy).")] = None,
    unread: Annotated[bool, typer.Option("--unread", help="Only those with news.")] = False,
    sort: Annotated[
        Sort, typer.Option(help="newest or oldest created first; updated: latest news first.")
    ] = Sort.newest,
    limit: Annotated[int, typer.Option(min=1, max=500, metavar="N", help="Per page.")] = 50,
    page: Annotated[int, typer.Option(min=1, metavar="N", help="Which page.")] = 1,
    csv: CsvOption = False,
) -> None:
    """List the dossiers you can see [liste des télédossiers], newest first."""
    from ortif_cli.dates import parse_date
    from ortif_cli.dossiers import DossierQuery, list_dossiers
    from ortif_cli.ui.rows import RowFormat, render_rows

    app_ = app_context(ctx)
    row_format = RowFormat.pick(app_.output, csv)
    query = DossierQuery(
        status=status.value if status else None,
        patient=patient,
        correspondent=to,
        since=parse_date(since, "--since") if since else None,
        until=parse_date(until, "--until") if until else None,
        unread=unread,
        sort=SORT_KEYS[sort],
        limit=limit,
        page=page,
    )
    with member_client(app_, "dossier list") as client:
        items, total = list_dossiers(client, query)
    document = {"items": to_json(items), "total": total, "page": page, "limit": limit}
    render_rows(
        app_.output,
        render.dossier_columns(),
        items,
        row_format=row_format,
        json_document=document,
        row_id=lambda d: d.id,
        empty=_("No dossiers."),
    )


@app.command()
def show(ctx: typer.Context, dossier_id: DossierIdArgument) -> None:
    """Show a dossier as a timeline: its steps with their exams and documents."""
    app_ = app_context(ctx)
    with participant_client(app_) as client:
        dossier = client.get_dossier(dossier_id)
    if app_.output.json_mode:
        app_.output.emit_json(to_json(dossier))
    else:
        render.dossier_detail(app_.output, dossier)


@app.command()
def send(ctx: typer.Context, dossier_id: DossierIdArgument) -> None:
    """Send a draft dossier to its correspondents [Envoyer]."""
    app_ = app_context(ctx)
    with member_client(app_, "dossier send") as client:
        dossier = client.send_dossier(dossier_id)
    _print_dossier_result(app_, dossier, _("sent"))


@app.command()
def cancel(ctx: typer.Context, dossier_id: DossierIdArgument) -> None:
    """Cancel a draft dossier [Annuler]; a sent dossier cannot be cancelled."""
    app_ = app_context(ctx)
    with member_client(app_, "dossier cancel") as client:
        dossier = client.cancel_dossier(dossier_id)
    _print_dossier_result(app_, dossier, _("cancelled"))


@app.command()
def pull(
    ctx: typer.Context,
    dossier_id: Annotated[int, typer.Argument(metavar="ID")],
    out: Annotated[
        Path | None, _opt("DIR", "Where to write PATIENT/STUDY/SERIES (default: here).")
    ] = None,
    to_pacs: Annotated[
        str | None, _opt("NAME", "Send the exams to this PACS node (C-STORE) instead.")
    ] = None,
) -> None:
    """Download every exam and document of a dossier, checked by SHA-256 and resumable.

    Files go to DIR/PATIENT/STUDY/SERIES; a file already there with the right hash is
    kept. With --to-pacs the exams are then sent to that PACS node by C-STORE (through a
    temporary folder unless --out is given), to be read in the usual viewer.
    """
    from ortif_cli.pull import pull as pull_dossier
    from ortif_cli.pull import store_to_pacs
    from ortif_cli.ui.progress import DownloadProgress

    app_ = app_context(ctx)
    with contextlib.ExitStack() as stack:
        target = out or (_scratch(stack) if to_pacs else Path.cwd())
        with participant_client(app_) as client, DownloadProgress(app_.output) as progress:
            report = pull_dossier(client, dossier_id, target, progress.start, progress.advance)
        stored = store_to_pacs(app_.profile, to_pacs, report.instances) if to_pacs else None
    if app_.output.json_mode:
        app_.output.emit_json({**to_json(report), "stored_to_pacs": stored})
        return
    app_.output.message(
        _("{total} files, {new} downloaded and {kept} already there.").format(
            total=report.total, new=len(report.downloaded), kept=len(report.already_there)
        )
    )
    if to_pacs and stored is not None:
        app_.output.message(
            ngettext(
                "{n} image sent to the PACS node {node}.",
                "{n} images sent to the PACS node {node}.",
                stored,
            ).format(n=stored, node=to_pacs)
        )
    if out or not to_pacs:
        app_.output.data(str(report.folder))


def _scratch(stack: contextlib.ExitStack) -> Path:
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ortif-pull-")))
