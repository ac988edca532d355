"""Reads what the server records about a received DICOM file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset

from ortif_server.dicom_structure import MalformedFile, check_part10

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
]
MAX_UID_LENGTH = 64


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


def read_header(path: Path, size: int) -> InstanceHeader:
    """Check that `path` is a complete DICOM file and read its identifying attributes."""
    try:
        with path.open("rb") as fp:
            transfer_syntax = check_part10(fp, size)
            fp.seek(0)
            dataset = dcmread(fp, stop_before_pixels=True, specific_tags=HEADER_TAGS)
    except MalformedFile as exc:
        raise RefusedFile(str(exc)) from None
    except Exception:
        raise RefusedFile("not DICOM (unreadable header)") from None
    return _header_from(dataset, transfer_syntax)


def _header_from(dataset: Dataset, transfer_syntax: str) -> InstanceHeader:
    sop_instance_uid = _uid(dataset, "SOPInstanceUID", "no SOP Instance UID", None)
    return InstanceHeader(
        sop_instance_uid=sop_instance_uid,
        study_instance_uid=_uid(
            dataset, "StudyInstanceUID", "no Study Instance UID", sop_instance_uid
        ),
        series_instance_uid=_text(dataset, "SeriesInstanceUID") or "",
        sop_class_uid=_text(dataset, "SOPClassUID") or "",
        transfer_syntax_uid=transfer_syntax,
        patient_name=_text(dataset, "PatientName") or "",
        patient_id=_text(dataset, "PatientID") or "",
        patient_birth_date=_date(dataset, "PatientBirthDate"),
        study_date=_date(dataset, "StudyDate"),
        study_description=_text(dataset, "StudyDescription"),
        modality=_text(dataset, "Modality"),
        study_time=_text(dataset, "StudyTime"),
        accession_number=_text(dataset, "AccessionNumber"),
        series_description=_text(dataset, "SeriesDescription"),
        series_number=_integer(dataset, "SeriesNumber"),
        instance_number=_integer(dataset, "InstanceNumber"),
    )


def _uid(dataset: Dataset, keyword: str, missing: str, sop_instance_uid: str | None) -> str:
    value = _text(dataset, keyword)
    if not value:
        raise RefusedFile(missing, sop_instance_uid)
    if len(value) > MAX_UID_LENGTH:
        raise RefusedFile(f"invalid {keyword} (longer than 64 characters)", sop_instance_uid)
    return value


def _text(dataset: Dataset, keyword: str) -> str | None:
    value: Any = dataset.get(keyword)
    text = str(value).strip("\x00 ") if value is not None else ""
    return text or None


def _integer(dataset: Dataset, keyword: str) -> int | None:
    text = _text(dataset, keyword)
    try:
        return int(float(text)) if text else None
    except (ValueError, OverflowError):
        return None


def _date(dataset: Dataset, keyword: str) -> date | None:
    text = _text(dataset, keyword)
    try:
        return datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        return None
