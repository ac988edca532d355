"""`ortif exam show|preview`: a look at a study before sending it (registered in `exam`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ortif_cli.cli.context import CsvOption, app_context
from ortif_cli.cli.exam_options import DirOption, LocalOption, PacsOption, StudyOption, exam_source
from ortif_cli.i18n import _, ngettext
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json


def show(
    ctx: typer.Context,
    pacs: PacsOption = None,
    local: LocalOption = False,
    directory: DirOption = None,
    study: StudyOption = None,
    csv: CsvOption = False,
) -> None:
    """The series of one study (number, modality, description, images, size): a look
    before sending."""
    from contextlib import nullcontext

    from ortif_cli.exam_series import study_series
    from ortif_cli.transfer import resolve_source
    from ortif_cli.ui.rows import RowFormat, render_rows

    app_ = app_context(ctx)
    row_format = RowFormat.pick(app_.output, csv)
    source = exam_source(app_, pacs, local, directory, study)
    with app_.client() if local else nullcontext() as client:
        shown = study_series(resolve_source(source, client), client)
    if row_format is RowFormat.TABLE:
        app_.output.message(render.study_match_line(shown.study))
    render_rows(
        app_.output,
        render.series_columns(),
        shown.series,
        row_format=row_format,
        json_document={"study": to_json(shown.study), "series": to_json(shown.series)},
        row_id=lambda s: s.series_instance_uid,
    )


def preview(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="The PNG to write.")],
    pacs: PacsOption = None,
    local: LocalOption = False,
    directory: DirOption = None,
    study: StudyOption = None,
) -> None:
    """A contact sheet of one study: the middle image of each series, numbered and
    described, under the patient and date (needs the `ortif[preview]` extra)."""
    from contextlib import nullcontext

    from ortif_cli.dicom.contact_sheet import require_preview_extra
    from ortif_cli.exam_preview import preview as make_preview
    from ortif_cli.transfer import resolve_source

    app_ = app_context(ctx)
    require_preview_extra()
    source = exam_source(app_, pacs, local, directory, study)
    with app_.client() if local else nullcontext() as client:
        made = make_preview(resolve_source(source, client), client, out)
    for label in made.without_image:
        app_.output.warning(_("series {label}: no image to show.").format(label=label))
    if app_.output.json_mode:
        app_.output.emit_json(to_json(made))
        return
    app_.output.message(
        ngettext(
            "Contact sheet of {n} series written to {path}.",
            "Contact sheet of {n} series written to {path}.",
            len(made.series),
        ).format(n=len(made.series), path=out)
    )
    app_.output.data(str(out))
