"""A study's series and instances on a PACS (C-FIND at SERIES and IMAGE level)."""

from __future__ import annotations

from dataclasses import replace

from ortif_cli.dicom.charset import ascii_value, charsets_of, text_value
from ortif_cli.dicom.pacs import (
    QUERY_LEVEL,
    QUERY_SYNTAXES,
    SERIES_UID,
    SOP_UID,
    STUDY_ROOT_FIND,
    STUDY_UID,
    SUCCESS,
    associate,
    c_find,
)
from ortif_cli.dicom.series import (
    INSTANCE_NUMBER,
    SERIES_DESCRIPTION,
    SERIES_NUMBER,
    SeriesInfo,
    number,
    ordered,
)
from ortif_cli.errors import RuleError
from ortif_cli.i18n import _
from ortif_cli.pacs_nodes import PacsNode

CHARSET, MODALITY, SERIES_INSTANCES = 0x00080005, 0x00080060, 0x00201209


def find_series(node: PacsNode, study_instance_uid: str) -> list[SeriesInfo]:
    """The study's series; their image counts from an IMAGE level query when the PACS
    does not give NumberOfSeriesRelatedInstances (dcmtk's dcmqrscp does not)."""
    query = [
        (QUERY_LEVEL, "CS", "SERIES"),
        (CHARSET, "CS", "ISO_IR 192"),
        (STUDY_UID, "UI", study_instance_uid),
        (SERIES_UID, "UI", ""),
        (SERIES_NUMBER, "IS", ""),
        (MODALITY, "CS", ""),
        (SERIES_DESCRIPTION, "LO", ""),
        (SERIES_INSTANCES, "IS", ""),
    ]
    found: dict[str, SeriesInfo] = {}
    for answer in _query(node, query):
        series = _series(answer)
        found.setdefault(series.series_instance_uid, series)  # once per series, however asked
    if any(s.instance_count is None for s in found.values()):
        counts: dict[str, int] = {}
        for series_uid, _sop, _number in find_images(node, study_instance_uid):
            counts[series_uid] = counts.get(series_uid, 0) + 1
        found = {uid: _counted(s, counts.get(uid, 0)) for uid, s in found.items()}
    return ordered(found.values())


def find_images(node: PacsNode, study_instance_uid: str) -> list[tuple[str, str, int | None]]:
    """(Series Instance UID, SOP Instance UID, Instance Number) of each image of a study."""
    query = [
        (QUERY_LEVEL, "CS", "IMAGE"),
        (STUDY_UID, "UI", study_instance_uid),
        (SERIES_UID, "UI", ""),
        (SOP_UID, "UI", ""),
        (INSTANCE_NUMBER, "IS", ""),
    ]
    images = {}
    for answer in _query(node, query):
        sop = ascii_value(answer.get(SOP_UID))
        number_ = number(ascii_value(answer.get(INSTANCE_NUMBER)))
        images[sop] = (ascii_value(answer.get(SERIES_UID)), sop, number_)
    return list(images.values())


def _query(node: PacsNode, identifier: list[tuple[int, str, str]]) -> list[dict[int, bytes]]:
    answers: list[dict[int, bytes]] = []
    with associate(node, [(STUDY_ROOT_FIND, QUERY_SYNTAXES)]) as assoc:
        for context in assoc.contexts.values():
            status = c_find(assoc, context, identifier, answers.append)
            if status not in (SUCCESS, 0xFE00):
                raise RuleError(
                    _("The PACS {name} refused the query (status 0x{status:04X}).").format(
                        name=node.name, status=status
                    )
                )
            return answers
    raise RuleError(
        _("The PACS {name} accepted no Study Root query.").format(name=node.name),
        hint=_("Check with the PACS administrator which services this AE title may use."),
    )


def _series(values: dict[int, bytes]) -> SeriesInfo:
    charsets = charsets_of(values)
    return SeriesInfo(
        series_instance_uid=ascii_value(values.get(SERIES_UID)),
        series_number=number(ascii_value(values.get(SERIES_NUMBER))),
        modality=ascii_value(values.get(MODALITY)) or None,
        series_description=text_value(values, SERIES_DESCRIPTION, charsets) or None,
        instance_count=number(ascii_value(values.get(SERIES_INSTANCES))),
    )


def _counted(series: SeriesInfo, count: int) -> SeriesInfo:
    return series if series.instance_count is not None else replace(series, instance_count=count)
