"""`ortif exam add`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ortif_cli.cli.context import app_context, missing
from ortif_cli.cli.dossier import warn_identity
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.ui.serialize import to_json

app = OrtifTyper(help="Add DICOM exams to dossiers.", no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    dossier_id: Annotated[int, typer.Argument(metavar="DOSSIER")],
    directory: Annotated[
        list[Path] | None,
        typer.Option("--dir", metavar="DIR", help="Folder (or CD) of DICOM files; repeatable."),
    ] = None,
) -> None:
    """Upload the studies found in a folder and attach them to a dossier."""
    from ortif_cli import transfer
    from ortif_cli.ui.progress import TransferProgress

    app_ = app_context(ctx)
    if not directory:
        raise missing("--dir")
    with app_.client() as client, TransferProgress(app_.output) as progress:
        report = transfer.add_exams(client, dossier_id, directory, progress)
    warn_identity(app_, report.identity_warnings)
    summary = {
        "dossier_id": dossier_id,
        "studies": report.study_uids,
        "sent": len(report.sent),
        "already_present": report.already_present,
        "skipped_files": len(report.skipped),
        "unreadable_files": [to_json(e) for e in report.errors],
    }
    if app_.output.json_mode:
        app_.output.emit_json(summary)
        return
    for error in report.errors:
        app_.output.warning(f"{error.path}: {error.reason}")
    app_.output.message(
        f"{len(report.study_uids)} study(ies) attached to dossier {dossier_id}: "
        f"{len(report.sent)} images sent, {report.already_present} already on the platform"
        + (f", {len(report.skipped)} non-DICOM files skipped." if report.skipped else ".")
    )
    for uid in report.study_uids:
        app_.output.data(uid)
