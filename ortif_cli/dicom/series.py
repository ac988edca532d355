"""The series of a study, whatever the source, and the choice of which ones to send.

A series is named as people see it on a viewer, by its Series Number, or by its Series
Instance UID when numbers are missing or repeated (both are accepted wherever a series
is asked for).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ortif_cli.dicom.media import InstanceFile, open_instance
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _

SERIES_NUMBER, SERIES_DESCRIPTION, INSTANCE_NUMBER = 0x00200011, 0x0008103E, 0x00200013


@dataclass(frozen=True)
class SeriesInfo:
    """One row of `ortif exam show` (its --json keys are these field names)."""

    series_instance_uid: str
    series_number: int | None
    modality: str | None
    series_description: str | None
    instance_count: int | None
    size: int | None = None
    """Bytes on disk; None where the source does not say (a PACS, the platform)."""

    @property
    def label(self) -> str:
        number = "" if self.series_number is None else str(self.series_number)
        words = [number, self.modality or "", self.series_description or ""]
        return " ".join(w for w in words if w) or self.series_instance_uid


def number(text: str | None) -> int | None:
    """An IS value as an integer (None when absent or not a number)."""
    value = (text or "").strip()
    try:
        return int(value)
    except ValueError:
        return None


def ordered(series: Iterable[SeriesInfo]) -> list[SeriesInfo]:
    """By Series Number (unnumbered last), then UID: the order viewers show."""
    return sorted(
        series,
        key=lambda s: (s.series_number is None, s.series_number or 0, s.series_instance_uid),
    )


def parse_selection(values: Sequence[str] | None) -> list[str]:
    """`--series 1,3 --series 5` as ['1', '3', '5']."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def select(
    series: Sequence[SeriesInfo], include: Sequence[str], exclude: Sequence[str]
) -> list[SeriesInfo]:
    """The series `include` names (all when empty), less those `exclude` names.

    A name is a Series Number or a Series Instance UID; one that names no series is a
    usage error (exit 2) listing those there are.
    """
    _check_names(series, [*include, *exclude])
    chosen = [s for s in series if _named(s, include)] if include else list(series)
    if exclude:
        dropped = {s.series_instance_uid for s in series if _named(s, exclude)}
        chosen = [s for s in chosen if s.series_instance_uid not in dropped]
    if not chosen:
        raise UsageError(_("No series left to send."), hint=_choices_hint(series))
    return chosen


def _named(series: SeriesInfo, names: Sequence[str]) -> bool:
    return any(_matches(series, name) for name in names)


def _matches(series: SeriesInfo, name: str) -> bool:
    if name == series.series_instance_uid:
        return True
    return series.series_number is not None and number(name) == series.series_number


def _check_names(series: Sequence[SeriesInfo], names: Sequence[str]) -> None:
    for name in names:
        if not any(_matches(s, name) for s in series):
            raise UsageError(
                _("The study has no series {name}.").format(name=name), hint=_choices_hint(series)
            )


def _choices_hint(series: Sequence[SeriesInfo]) -> str:
    labels = ", ".join(s.label for s in series)
    return _("Its series: {labels} (see `ortif exam show`).").format(labels=labels)


def series_of_files(instances: Sequence[InstanceFile]) -> list[SeriesInfo]:
    """The series of instances read from a folder, CD or zip, with their size on disk.

    Number and description come from one file per series (the headers read to find the
    study do not keep them).
    """
    groups: dict[str, list[InstanceFile]] = {}
    for instance in instances:
        groups.setdefault(instance.series_instance_uid or "", []).append(instance)
    found = []
    for uid, members in groups.items():
        values = read_tags(members[0], (SERIES_NUMBER, SERIES_DESCRIPTION))
        found.append(
            SeriesInfo(
                series_instance_uid=uid,
                series_number=number(values.get(SERIES_NUMBER)),
                modality=members[0].modality,
                series_description=values.get(SERIES_DESCRIPTION) or None,
                instance_count=len(members),
                size=sum(m.size for m in members),
            )
        )
    return ordered(found)


def read_tags(instance: InstanceFile, tags: Iterable[int]) -> dict[int, str]:
    """Text values of a few top-level elements of one instance (pydicom, header only)."""
    from pydicom import dcmread

    with open_instance(instance) as stream:
        ds = dcmread(stream, stop_before_pixels=True, specific_tags=list(tags), force=True)
    return {tag: str(ds[tag].value) for tag in tags if tag in ds and ds[tag].value is not None}
