"""The source options shared by the `ortif exam` commands: --pacs, --local, --dir, --study,
and the series choice of `exam add`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ortif_cli.errors import UsageError
from ortif_cli.i18n import _

if TYPE_CHECKING:
    from ortif_cli.cli.context import AppContext
    from ortif_cli.dicom.query import ExamSource

PacsOption = Annotated[
    str | None, typer.Option("--pacs", metavar="NAME", help="A PACS node (see `ortif pacs`).")
]
LocalOption = Annotated[
    bool, typer.Option("--local", help="The studies the platform already holds (QIDO-RS).")
]
DirOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--dir",
        metavar="DIR",
        help="A folder, CD, CD image (.iso) or zip file of DICOM; repeatable.",
    ),
]
StudyOption = Annotated[
    str | None, typer.Option("--study", metavar="UID", help="Study Instance UID.")
]

SeriesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--series",
        metavar="N[,N]",
        help="Only these series: numbers as `exam show` lists them, or Series Instance UIDs.",
    ),
]
ExcludeSeriesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-series",
        metavar="N[,N]",
        help="All series but these: numbers as `exam show` lists them, or Series Instance UIDs.",
    ),
]


def exam_source(
    app_: AppContext, pacs: str | None, local: bool, dirs: list[Path] | None, study: str | None
) -> ExamSource:
    from ortif_cli.dicom.query import ExamSource
    from ortif_cli.pacs_nodes import get_node

    if sum((pacs is not None, local, bool(dirs))) != 1:
        raise UsageError(_("Give exactly one source: --pacs NAME, --local or --dir DIR."))
    if pacs is not None:
        return ExamSource("pacs", study, node=get_node(app_.profile, pacs))
    if local:
        return ExamSource("local", study)
    return ExamSource("dir", study, folders=tuple(dirs or ()))
