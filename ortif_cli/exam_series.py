"""Look before sending: a study's series from any source, and the series chosen to send.

shown = study_series(resolved, client)      # the study and its series, nothing moved
resolved = keep_series(resolved, client, ["2", "3"], [])   # `exam add --series 2,3`
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ortif_cli.api.client import PlatformClient
from ortif_cli.dicom.query import StudyMatch
from ortif_cli.dicom.series import SeriesInfo, number, ordered, select, series_of_files
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _
from ortif_cli.transfer import ResolvedSource, prepare_sources


@dataclass(frozen=True)
class StudySeries:
    """`ortif exam show`: the study (as `exam find` lists it) and its series."""

    study: StudyMatch
    series: list[SeriesInfo]


def one_study(resolved: ResolvedSource) -> StudyMatch:
    """The only study of `resolved`; a usage error naming them when there are several."""
    uids = sorted({s.study_instance_uid for s in resolved.studies})
    if len(uids) > 1:
        raise UsageError(
            _("The source holds {n} studies: say which one.").format(n=len(uids)),
            hint=_("Add --study UID ({uids}).").format(uids=", ".join(uids)),
        )
    return resolved.studies[0]


def study_series(resolved: ResolvedSource, client: PlatformClient | None) -> StudySeries:
    """The series of the one study of `resolved`: headers on disk, C-FIND, or QIDO-RS."""
    study = one_study(resolved)
    uid = study.study_instance_uid
    source = resolved.source
    if source.kind == "dir":
        series = series_of_files(prepare_sources(source.folders, uid).instances)
    elif source.kind == "pacs" and source.node is not None:
        from ortif_cli.dicom.pacs_series import find_series

        series = find_series(source.node, uid)
    elif client is not None:
        from ortif_cli.api.dicomweb import search_series

        series = ordered(series_from_json(d) for d in search_series(client, uid))
    else:
        raise UsageError(_("Unknown exam source {kind!r}.").format(kind=source.kind))
    return StudySeries(study, series)


def keep_series(
    resolved: ResolvedSource,
    client: PlatformClient | None,
    include: Sequence[str],
    exclude: Sequence[str],
) -> ResolvedSource:
    """`resolved` narrowed to the chosen series (`--series`, `--exclude-series`)."""
    if resolved.source.kind == "local":
        raise UsageError(
            _("--series and --exclude-series choose what to send from a PACS or a folder."),
            hint=_("A study already on the platform is attached whole."),
        )
    shown = study_series(resolved, client)
    chosen = select(shown.series, include, exclude)
    return narrowed(resolved, shown.study, chosen)


def narrowed(
    resolved: ResolvedSource, study: StudyMatch, chosen: Sequence[SeriesInfo]
) -> ResolvedSource:
    """The source of `study` restricted to the `chosen` series, its counts adjusted."""
    uids = tuple(s.series_instance_uid for s in chosen)
    images = sum(s.instance_count or 0 for s in chosen)
    source = replace(resolved.source, study_instance_uid=study.study_instance_uid, series=uids)
    counted = replace(study, series_count=len(chosen), instance_count=images)
    return ResolvedSource(source, [counted])


def series_from_json(dataset: dict[str, Any]) -> SeriesInfo:
    """A QIDO-RS series answer (DICOM JSON) as a SeriesInfo."""

    def text(tag: str) -> str:
        values = (dataset.get(tag) or {}).get("Value") or []
        return str(values[0]) if values else ""

    return SeriesInfo(
        series_instance_uid=text("0020000E"),
        series_number=number(text("00200011")),
        modality=text("00080060") or None,
        series_description=text("0008103E") or None,
        instance_count=number(text("00201209")),
    )
