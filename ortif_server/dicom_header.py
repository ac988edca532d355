"""Reads what the server records about a received DICOM file."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset

from ortif_server.dicom_structure import (
    DEFLATED,
    EXPLICIT_VR_BIG_ENDIAN,
    MalformedFile,
    Part10Values,
    read_part10,
)

HEADER_TAGS = [
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "StudyDate",
    "StudyDescription",
    "StudyTime",
    "AccessionNumber",
    "Modality",
    "SeriesDescription",
    "SeriesNumber",
    "InstanceNumber",
    "Rows",
    "Columns",
    "NumberOfFrames",
]
MAX_UID_LENGTH = 64
SPECIFIC_CHARACTER_SET = (0x0008, 0x0005)
PLAIN_CHARSETS = {b"", b"ISO_IR 6", b"ISO_IR 100", b"ISO_IR 192"}
STRING_VRS = set(b"AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UN UT".split())
# Rows and Columns are US (binary): read as numbers whatever the VR mode.
US_TAGS = {(0x0028, 0x0010), (0x0028, 0x0011)}
LEAN_TAGS = {divmod(tag_for_keyword(k) or 0, 0x10000): k for k in HEADER_TAGS}
LEAN_TAGS[SPECIFIC_CHARACTER_SET] = "SpecificCharacterSet"
# Returns the text of an attribute by keyword, stripped, or None.
TextOf = Callable[[str], "str | None"]


class RefusedFile(Exception):
    """The file cannot be stored; the message is the reason given to the client."""

    def __init__(self, reason: str, sop_instance_uid: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sop_instance_uid = sop_instance_uid


@dataclass(frozen=True)
class InstanceHeader:
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    sop_class_uid: str
    transfer_syntax_uid: str
    patient_name: str
    patient_id: str
    patient_birth_date: date | None
    study_date: date | None
    study_description: str | None
    modality: str | None
    study_time: str | None = None
    accession_number: str | None = None
    series_description: str | None = None
    series_number: int | None = None
    instance_number: int | None = None
    rows: int | None = None
    columns: int | None = None
    number_of_frames: int = 0


def read_header(path: Path, size: int) -> InstanceHeader:
    """Check that `path` is a complete DICOM file and read its identifying attributes."""
    try:
        with path.open("rb") as fp:
            found = read_part10(fp, size, LEAN_TAGS)
            text = _lean_reader(found)
            if text is None:  # not plain ASCII: pydicom decodes character sets
                fp.seek(0)
                dataset = dcmread(fp, stop_before_pixels=True, specific_tags=HEADER_TAGS)
                text = partial(_text, dataset)
    except MalformedFile as exc:
        raise RefusedFile(str(exc)) from None
    except Exception:
        raise RefusedFile("not DICOM (unreadable header)") from None
    return _header_from(text, found.transfer_syntax)


def _lean_reader(found: Part10Values) -> TextOf | None:
    """SB (bench/server_stow.py): read the values without pydicom when they are single
    ASCII strings in a plain character set, so decode exactly as pydicom would."""
    charset = found.values.get(SPECIFIC_CHARACTER_SET, b"").strip(b"\x00 ")
    if found.irregular or found.transfer_syntax in DEFLATED or charset not in PLAIN_CHARSETS:
        return None
    if any(vr not in STRING_VRS for tag, vr in found.vrs.items() if tag not in US_TAGS):
        return None
    texts: dict[str, str | None] = {}
    endian = ">" if found.transfer_syntax == EXPLICIT_VR_BIG_ENDIAN else "<"
    for tag, raw in found.values.items():
        if tag in US_TAGS:
            texts[LEAN_TAGS[tag]] = _unsigned_short(raw, endian)
            continue
        if not raw.isascii() or b"\\" in raw or b"\x1b" in raw:
            return None
        texts[LEAN_TAGS.get(tag, "")] = raw.decode("ascii").strip("\x00 ") or None
    return lambda keyword: texts.get(keyword)


def _header_from(text: TextOf, transfer_syntax: str) -> InstanceHeader:
    sop_instance_uid = _uid(text, "SOPInstanceUID", "no SOP Instance UID", None)
    return InstanceHeader(
        sop_instance_uid=sop_instance_uid,
        study_instance_uid=_uid(
            text, "StudyInstanceUID", "no Study Instance UID", sop_instance_uid
        ),
        series_instance_uid=text("SeriesInstanceUID") or "",
        sop_class_uid=text("SOPClassUID") or "",
        transfer_syntax_uid=transfer_syntax,
        patient_name=text("PatientName") or "",
        patient_id=text("PatientID") or "",
        patient_birth_date=_date(text("PatientBirthDate")),
        study_date=_date(text("StudyDate")),
        study_description=text("StudyDescription"),
        modality=text("Modality"),
        study_time=text("StudyTime"),
        accession_number=text("AccessionNumber"),
        series_description=text("SeriesDescription"),
        series_number=_integer(text("SeriesNumber")),
        instance_number=_integer(text("InstanceNumber")),
        rows=_integer(text("Rows")),
        columns=_integer(text("Columns")),
        number_of_frames=_frames(text),
    )


def _unsigned_short(raw: bytes, endian: str) -> str | None:
    return str(struct.unpack(endian + "H", raw)[0]) if len(raw) == 2 else None


def _uid(text: TextOf, keyword: str, missing: str, sop_instance_uid: str | None) -> str:
    value = text(keyword)
    if not value:
        raise RefusedFile(missing, sop_instance_uid)
    if len(value) > MAX_UID_LENGTH:
        raise RefusedFile(f"invalid {keyword} (longer than 64 characters)", sop_instance_uid)
    return value


def _text(dataset: Dataset, keyword: str) -> str | None:
    value: Any = dataset.get(keyword)
    text = str(value).strip("\x00 ") if value is not None else ""
    return text or None


def _frames(text: TextOf) -> int:
    """Number of Frames; 1 for an image without it; 0 when there is no image."""
    if text("Rows") is None:
        return 0
    return _integer(text("NumberOfFrames")) or 1


def _integer(text: str | None) -> int | None:
    try:
        return int(float(text)) if text else None
    except (ValueError, OverflowError):
        return None


def _date(text: str | None) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        return None
