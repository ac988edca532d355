"""Study queries as people type them, and the studies they find, whatever the source.

One `StudyQuery` serves the three sources of `ortif exam find`: it becomes a C-FIND
identifier for a PACS, QIDO-RS parameters for the platform, and a matcher for the
studies read from a folder, CD or zip file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ortif_cli.errors import UsageError
from ortif_cli.i18n import _
from ortif_cli.pacs_nodes import PacsNode

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss"})


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of days; None on a side leaves it open."""

    start: date | None = None
    end: date | None = None

    def contains(self, day: date | None) -> bool:
        if day is None:
            return False
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def to_dicom(self) -> str:
        """`YYYYMMDD`, `A-B`, `A-` or `-B` (PS3.4 range matching)."""
        start = self.start.strftime("%Y%m%d") if self.start else ""
        end = self.end.strftime("%Y%m%d") if self.end else ""
        return start if start == end else f"{start}-{end}"


def parse_day(text: str, flag: str = "--date", today: date | None = None) -> date:
    """A day as 2026-11-20, 20/11/2026, 20261120, `today` or `yesterday`."""
    today = today or date.today()
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(word, pattern).date()
        except ValueError:
            continue
    raise UsageError(
        _("{flag} {text!r} is not a date.").format(flag=flag, text=text),
        hint=_("Write 2026-11-20, 20/11/2026, 20261120, today or yesterday; a range as A..B."),
    )


def parse_date_range(text: str, flag: str = "--date", today: date | None = None) -> DateRange:
    """A day or a range `A..B`, `A..` (from A on) or `..B` (up to B)."""
    if ".." not in text:
        day = parse_day(text, flag, today)
        return DateRange(day, day)
    first, _dots, last = text.partition("..")
    start = parse_day(first, flag, today) if first.strip() else None
    end = parse_day(last, flag, today) if last.strip() else None
    if start is None and end is None:
        raise UsageError(
            _("{flag} {text!r} is an empty range.").format(flag=flag, text=text),
            hint=_("Write A..B, A.. or ..B."),
        )
    if start and end and start > end:
        raise UsageError(_("{flag} {text!r} ends before it starts.").format(flag=flag, text=text))
    return DateRange(start, end)


def fold_name(text: str) -> str:
    """A person name for matching: no accents, no case, `^` and runs of spaces as one space."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("^", " ").casefold().split())


def name_pattern(text: str) -> str:
    """The pattern as typed, with `*` added at the end when it has no wildcard."""
    text = text.strip()
    return text if ("*" in text or "?" in text) else text + "*"


def name_matcher(pattern: str) -> re.Pattern[str]:
    """A regular expression matching folded names against a `*`/`?` pattern."""
    folded = fold_name(name_pattern(pattern))
    parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in folded)
    return re.compile("".join(parts) + r"\Z")


@dataclass(frozen=True)
class ExamSource:
    """Where an exam comes from: `pacs` (node + study), `dir` (folders/zips), `local` (study)."""

    kind: str
    study_instance_uid: str | None = None
    folders: tuple[Path, ...] = ()
    node: PacsNode | None = None
    series: tuple[str, ...] = ()
    """Series Instance UIDs to take from the study; empty: all of them."""


@dataclass(frozen=True)
class StudyQuery:
    """The filters of `ortif exam find`; None means any."""

    patient_name: str | None = None
    patient_id: str | None = None
    birth_date: date | None = None
    study_date: DateRange | None = None
    modality: str | None = None
    accession_number: str | None = None
    study_instance_uid: str | None = None

    def matches(self, study: StudyMatch) -> bool:
        """Whether a study read from disk passes the filters (names fold case and accents)."""
        checks = (
            self.patient_name is None
            or bool(name_matcher(self.patient_name).match(fold_name(study.patient_name))),
            self.patient_id is None or study.patient_id == self.patient_id,
            self.birth_date is None or study.birth_date == self.birth_date,
            self.study_date is None or self.study_date.contains(study.study_date),
            self.modality is None or self.modality.upper() in study.modalities,
            self.accession_number is None or study.accession_number == self.accession_number,
            self.study_instance_uid is None or study.study_instance_uid == self.study_instance_uid,
        )
        return all(checks)


@dataclass(frozen=True)
class StudyMatch:
    """One study found: the row of `exam find` (its --json keys are these field names)."""

    study_instance_uid: str
    patient_name: str
    patient_id: str
    birth_date: date | None
    study_date: date | None
    modalities: list[str] = field(default_factory=list)
    description: str | None = None
    accession_number: str | None = None
    series_count: int | None = None
    instance_count: int | None = None
    source: str = ""


def qido_params(query: StudyQuery) -> dict[str, str]:
    """QIDO-RS study-level parameters for `query`."""
    pairs = {
        "PatientName": name_pattern(query.patient_name) if query.patient_name else None,
        "PatientID": query.patient_id,
        "PatientBirthDate": query.birth_date.strftime("%Y%m%d") if query.birth_date else None,
        "StudyDate": query.study_date.to_dicom() if query.study_date else None,
        "ModalitiesInStudy": query.modality.upper() if query.modality else None,
        "AccessionNumber": query.accession_number,
        "StudyInstanceUID": query.study_instance_uid,
    }
    return {key: value for key, value in pairs.items() if value}


def _json_value(dataset: dict[str, Any], tag: str) -> list[Any]:
    element = dataset.get(tag) or {}
    value = element.get("Value") or []
    return value if isinstance(value, list) else [value]


def _json_text(dataset: dict[str, Any], tag: str) -> str:
    values = _json_value(dataset, tag)
    if not values:
        return ""
    first = values[0]
    if isinstance(first, dict):  # PN: {"Alphabetic": ...}
        return str(first.get("Alphabetic", ""))
    return str(first)


def _json_int(dataset: dict[str, Any], tag: str) -> int | None:
    text = _json_text(dataset, tag)
    return int(text) if text.isdigit() else None


def study_match_from_json(dataset: dict[str, Any], source: str = "local") -> StudyMatch:
    """A QIDO-RS answer (DICOM JSON) as a StudyMatch."""
    from ortif_cli.dicom.identity import parse_date

    return StudyMatch(
        study_instance_uid=_json_text(dataset, "0020000D"),
        patient_name=_json_text(dataset, "00100010"),
        patient_id=_json_text(dataset, "00100020"),
        birth_date=parse_date(_json_text(dataset, "00100030")),
        study_date=parse_date(_json_text(dataset, "00080020")),
        modalities=sorted({str(m) for m in _json_value(dataset, "00080061") if m}),
        description=_json_text(dataset, "00081030") or None,
        accession_number=_json_text(dataset, "00080050") or None,
        series_count=_json_int(dataset, "00201206"),
        instance_count=_json_int(dataset, "00201208"),
        source=source,
    )
