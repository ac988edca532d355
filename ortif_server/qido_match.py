"""PS3.18 QIDO-RS matching turned into SQL: wildcards, date ranges, UID lists, exact IDs."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import ColumnElement, String, and_, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from ortif_server.errors import ApiError
from ortif_server.models import Instance, Study
from ortif_server.textsearch import search_key

ESCAPE = "/"
SINGLE_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _bad(parameter: str, why: str) -> ApiError:
    return ApiError(400, "bad_request", f"{parameter}: {why}")


def wildcard(
    column: InstrumentedAttribute[str] | ColumnElement[str], value: str
) -> ColumnElement[bool]:
    """`*` matches any run, `?` one character; without them, exact match. A lone `*` is
    universal matching: it matches an empty value too."""
    if not value.strip("*"):
        return true()
    if "*" not in value and "?" not in value:
        return column == value
    escaped = (
        value.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    )
    return column.like(escaped.replace("*", "%").replace("?", "_"), escape=ESCAPE)


def patient_name(value: str, fuzzy: bool = False) -> ColumnElement[bool]:
    """Case- and accent-insensitive, on the normalised name (`^` read as a space);
    `fuzzy` (fuzzymatching=true): any name with a word that starts with the value."""
    key = search_key(value.replace("^", " "))
    if fuzzy:
        return or_(
            wildcard(Study.patient_name_key, f"{key}*"),
            wildcard(Study.patient_name_key, f"* {key}*"),
        )
    return wildcard(Study.patient_name_key, key)


def uid_list(column: InstrumentedAttribute[str], value: str) -> ColumnElement[bool]:
    uids = [u for u in value.replace(",", "\\").split("\\") if u]
    return column.in_(uids)


def date_range(
    column: InstrumentedAttribute[date | None], value: str, parameter: str
) -> ColumnElement[bool]:
    """`A`, `A-B`, `A-` or `-B`, dates as YYYYMMDD (a single date may be YYYY-MM-DD)."""
    if "-" not in value or SINGLE_ISO_DATE.match(value):
        return column == _date(value, parameter)
    start, _, end = value.partition("-")
    if not start and not end:
        raise _bad(parameter, "empty date range")
    conditions = []
    if start:
        conditions.append(column >= _date(start, parameter))
    if end:
        conditions.append(column <= _date(end, parameter))
    return and_(*conditions)


def _date(text: str, parameter: str) -> date:
    for form in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    raise _bad(parameter, f"{text!r} is not a date (YYYYMMDD)")


def modalities(value: str) -> ColumnElement[bool]:
    """Any of the `\\`-separated modalities is among the study's."""
    wrapped = "\\" + Study.modalities + "\\"
    wanted = [m for m in value.replace(",", "\\").split("\\") if m]
    return or_(*(wrapped.contains(f"\\{m}\\", autoescape=True) for m in wanted))


def study_conditions(params: dict[str, str], fuzzy: bool = False) -> list[ColumnElement[bool]]:
    """SQL conditions on `Study` for the supported QIDO-RS study attributes."""
    found: list[ColumnElement[bool]] = []
    for name, value in params.items():
        if not value:
            continue
        if name == "PatientName":
            found.append(patient_name(value, fuzzy))
        elif name in ("PatientID", "AccessionNumber"):
            column = Study.patient_id if name == "PatientID" else Study.accession_number
            found.append(wildcard(column.cast(String), value))
        elif name == "StudyInstanceUID":
            found.append(uid_list(Study.study_instance_uid, value))
        elif name in ("StudyDate", "PatientBirthDate"):
            day = Study.study_date if name == "StudyDate" else Study.patient_birth_date
            found.append(date_range(day, value, name))
        elif name == "ModalitiesInStudy":
            found.append(modalities(value))
        elif name == "StudyDescription":
            found.append(wildcard(Study.study_description.cast(String), value))
    return found


def instance_conditions(params: dict[str, str]) -> list[ColumnElement[bool]]:
    """SQL conditions on `Instance` for the series and instance attributes."""
    found: list[ColumnElement[bool]] = []
    for name, value in params.items():
        if name in ("SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID"):
            uid = {
                "SeriesInstanceUID": Instance.series_instance_uid,
                "SOPInstanceUID": Instance.sop_instance_uid,
                "SOPClassUID": Instance.sop_class_uid,
            }[name]
            found.append(uid_list(uid, value))
        elif name in ("Modality", "SeriesDescription"):
            text = Instance.modality if name == "Modality" else Instance.series_description
            found.append(wildcard(text.cast(String), value))
        elif name in ("SeriesNumber", "InstanceNumber"):
            number = Instance.series_number if name == "SeriesNumber" else Instance.instance_number
            found.append(number == _integer(value, name))
    return found


def _integer(text: str, parameter: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _bad(parameter, f"{text!r} is not an integer") from None
