"""`ortif exam find|add|create` (and `show|preview`, see exam_look): exams from a PACS,
a folder/CD/zip, the platform, or images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ortif_cli.cli.context import CsvOption, app_context, missing
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.cli.exam_look import preview, show
from ortif_cli.cli.exam_options import (
    DirOption,
    ExcludeSeriesOption,
    LocalOption,
    PacsOption,
    SeriesOption,
    StudyOption,
    exam_source,
)
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
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _, ngettext
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json

if TYPE_CHECKING:
    from ortif_cli.cli.context import AppContext
    from ortif_cli.dicom.query import ExamSource

app = OrtifTyper(help="Find exams, look at them, add them to dossiers, or make them from images.")


@app.command()
def find(
    ctx: typer.Context,
    pacs: PacsOption = None,
    local: LocalOption = False,
    directory: DirOption = None,
    patient_name: Annotated[
        str | None,
        typer.Option("--patient-name", metavar="NAME", help="Wildcards * and ? allowed."),
    ] = None,
    patient_id: Annotated[str | None, typer.Option("--patient-id", metavar="ID")] = None,
    birth_date: Annotated[str | None, typer.Option("--birth-date", metavar="DATE")] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", metavar="DATE", help="A day, A..B, A.., ..B, today or yesterday."),
    ] = None,
    modality: Annotated[str | None, typer.Option("--modality", metavar="MOD")] = None,
    accession: Annotated[
        str | None, typer.Option("--accession", metavar="N", help="Accession number (N° de RDV).")
    ] = None,
    csv: CsvOption = False,
) -> None:
    """Find studies in one source: a PACS, the platform, or a folder/CD/zip."""
    from ortif_cli.dicom.query import StudyQuery, parse_date_range, parse_day
    from ortif_cli.ui.rows import RowFormat, render_rows

    app_ = app_context(ctx)
    row_format = RowFormat.pick(app_.output, csv)
    source = exam_source(app_, pacs, local, directory, None)
    query = StudyQuery(
        patient_name=patient_name,
        patient_id=patient_id,
        birth_date=parse_day(birth_date, "--birth-date") if birth_date else None,
        study_date=parse_date_range(date) if date else None,
        modality=modality,
        accession_number=accession,
    )
    matches, problems = _find(app_, source, query)
    for problem in problems:
        app_.output.warning(problem)
    render_rows(
        app_.output,
        render.study_match_columns(),
        matches,
        row_format=row_format,
        json_document={"items": to_json(matches)},
        row_id=lambda m: m.study_instance_uid,
        empty=_("No study found."),
    )


def _find(app_: AppContext, source: ExamSource, query: Any) -> tuple[list[Any], list[str]]:
    from ortif_cli.dicom.query import qido_params, study_match_from_json

    if source.kind == "pacs" and source.node is not None:
        from ortif_cli.dicom.pacs import find_studies

        return find_studies(source.node, query), []
    if source.kind == "local":
        from ortif_cli.api.dicomweb import search_studies

        with app_.client() as client:
            found = search_studies(client, qido_params(query))
        matches = [study_match_from_json(d) for d in found]
        return [m for m in matches if query.matches(m)], []
    from ortif_cli.dicom.listing import list_studies

    matches, problems = [], []
    for folder in source.folders:
        listing = list_studies(folder)
        matches += [m for m in listing.studies if query.matches(m)]
        problems += [f"{e.path}: {e.reason}" for e in listing.errors]
        if listing.skipped and app_.output.verbose:
            problems.append(
                ngettext(
                    "{n} non-DICOM file skipped in {dir}.",
                    "{n} non-DICOM files skipped in {dir}.",
                    listing.skipped,
                ).format(n=listing.skipped, dir=folder)
            )
    return matches, problems


@app.command()
def add(
    ctx: typer.Context,
    dossier_id: Annotated[int, typer.Argument(metavar="DOSSIER")],
    pacs: PacsOption = None,
    local: LocalOption = False,
    directory: DirOption = None,
    study: StudyOption = None,
    series: SeriesOption = None,
    exclude_series: ExcludeSeriesOption = None,
    receipt: Annotated[
        Path | None,
        typer.Option("--receipt", metavar="FILE", help="Write a JSON receipt of what arrived."),
    ] = None,
    accept_identity: Annotated[
        str | None,
        typer.Option(
            "--accept-identity",
            metavar="REASON",
            help="Add even if the patient differs; the reason is recorded.",
        ),
    ] = None,
) -> None:
    """Add studies to a dossier from a PACS, a folder/CD/zip, or the platform's store."""
    from ortif_cli import transfer
    from ortif_cli.dicom.series import parse_selection
    from ortif_cli.exam_series import keep_series
    from ortif_cli.ui.progress import TransferProgress

    app_ = app_context(ctx)
    if not (pacs or local or directory):
        raise missing(_("--pacs, --local or --dir"))
    source = exam_source(app_, pacs, local, directory, study)
    include, exclude = parse_selection(series), parse_selection(exclude_series)
    with app_.client() as client:
        resolved = transfer.resolve_source(source, client)
        if include or exclude:
            resolved = keep_series(resolved, client, include, exclude)
        try:
            with TransferProgress(app_.output) as progress:
                report = transfer.add_exams_from(
                    client, dossier_id, resolved, progress, accept_identity
                )
        except (transfer.UploadRefused, transfer.UploadIncomplete) as failure:
            _report(app_, dossier_id, failure.report, receipt)
            raise
    _report(app_, dossier_id, report, receipt)


def _write_receipt(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _report(app_: AppContext, dossier_id: int, report: Any, receipt: Path | None) -> None:
    """The receipt, then what was done (human or JSON), also when the command fails."""
    from ortif_cli.transfer import files_report
    from ortif_cli.transfer import receipt as receipt_of

    if receipt is not None:
        _write_receipt(receipt, receipt_of(report, dossier_id))
    _identity_warnings(app_, report)
    if app_.output.json_mode:
        app_.output.emit_json(
            {
                "dossier_id": dossier_id,
                "studies": report.study_uids,
                "sent": len(report.sent),
                "already_present": report.already_present,
                "skipped_files": len(report.skipped),
                **files_report(report),
            }
        )
        return
    for error in report.errors:
        app_.output.warning(f"{error.path}: {error.reason}")
    for instance in report.wrapped:
        app_.output.message(
            _("{path}: legacy file without a DICOM file header, sent wrapped in one.").format(
                path=instance.label
            )
        )
    if not report.failed:  # else the error message that follows names them
        _summary(app_, dossier_id, report)


def _identity_warnings(app_: AppContext, report: Any) -> None:
    from ortif_cli.cli.dossier import warn_identity

    warn_identity(app_, report.identity_warnings)
    if report.accepted_identity:
        app_.output.warning(
            _("identity difference accepted: {reason}").format(reason=report.accepted_identity)
        )


def _summary(app_: AppContext, dossier_id: int, report: Any) -> None:
    app_.output.message(
        _(
            "{studies} study(ies) attached to dossier {dossier}: {sent} images sent, "
            "{present} already on the platform."
        ).format(
            studies=len(report.study_uids),
            dossier=dossier_id,
            sent=len(report.sent),
            present=report.already_present,
        )
    )
    if report.skipped:
        n = len(report.skipped)
        skipped = ngettext("{n} non-DICOM file skipped.", "{n} non-DICOM files skipped.", n)
        app_.output.message(skipped.format(n=n))
    for uid in report.study_uids:
        app_.output.data(uid)


@app.command()
def create(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="JPEG, PNG or PDF.")],
    description: Annotated[
        str, typer.Option("--description", metavar="TEXT", help="Study description.")
    ],
    series_description: Annotated[
        str | None, typer.Option("--series-description", metavar="TEXT")
    ] = None,
    dossier_id: Annotated[
        int | None,
        typer.Option("--dossier", metavar="ID", help="Take the patient from it and add the study."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Write the DICOM files here.")
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
) -> None:
    """Wrap images and PDF files as a new DICOM study (written to --out, added to --dossier)."""
    import shutil
    import tempfile

    from ortif_cli.dicom.query import ExamSource
    from ortif_cli.dicom.wrap import wrap_files
    from ortif_cli.patients import wrap_patient

    app_ = app_context(ctx)
    if dossier_id is None and out is None:
        raise missing(_("--out DIR or --dossier ID"))
    for path in files:
        if not path.is_file():
            raise UsageError(_("No file at {path}.").format(path=path))
    flags = patient_flags(
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
    )  # fmt: skip
    if dossier_id is None and not (flags.name and flags.id):
        raise missing(_("--patient-name and --patient-id (or --dossier)"))
    client = app_.client() if dossier_id is not None else None
    try:
        base = client.get_dossier(dossier_id).patient if client and dossier_id else None
        patient = wrap_patient(flags, base)
        target = out or Path(tempfile.mkdtemp(prefix="ortif-create-"))
        try:
            written = wrap_files(files, target, patient, description, series_description)
            report = None
            if client is not None and dossier_id is not None:
                from ortif_cli import transfer

                source = ExamSource("dir", written.study_instance_uid, folders=(target,))
                resolved = transfer.resolve_source(source, client)
                report = transfer.add_exams_from(client, dossier_id, resolved)
        finally:
            if out is None:
                shutil.rmtree(target, ignore_errors=True)
    finally:
        if client is not None:
            client.close()
    document = {
        "study_instance_uid": written.study_instance_uid,
        "files": [str(p) for p in written.paths] if out else [],
        "sop_instance_uids": written.sop_instance_uids,
        "dossier_id": dossier_id,
        "sent": len(report.sent) if report else 0,
    }
    if app_.output.json_mode:
        app_.output.emit_json(document)
        return
    app_.output.message(
        ngettext(
            "Study of {n} instance created.",
            "Study of {n} instances created.",
            len(written.sop_instance_uids),
        ).format(n=len(written.sop_instance_uids))
    )
    app_.output.data(written.study_instance_uid)


app.command()(show)
app.command()(preview)
