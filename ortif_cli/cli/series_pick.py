"""The series tick list of `dossier create`: every series ticked, untick those not to send."""

from __future__ import annotations

from collections.abc import Sequence

from ortif_cli.dicom.media import StudyOnDisk, group_studies
from ortif_cli.dicom.series import series_of_files
from ortif_cli.i18n import _
from ortif_cli.ui import prompts, render


def tick_series(studies: Sequence[StudyOnDisk]) -> list[StudyOnDisk]:
    """The studies with only the series left ticked (a study of one series is not asked)."""
    kept: list[StudyOnDisk] = []
    for study in studies:
        series = series_of_files(study.instances)
        if len(series) < 2:
            kept.append(study)
            continue
        question = _("Series of {study} (space to untick, enter to confirm):")
        ticked = prompts.checkbox(
            question.format(study=render.study_line(study)),
            [(render.series_line(s), s.series_instance_uid) for s in series],
            checked=True,
        )
        kept += group_studies(i for i in study.instances if i.series_instance_uid in ticked)
    return kept
