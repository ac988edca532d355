"""One study as a zip: its DICOM files, byte for byte, and a DICOMDIR, streamed.

The DICOMDIR (PS3.10 media storage directory) is built from what the database knows of
each instance (no file is read for it); the zip then carries each stored file unchanged
under the ISO 9660 name its directory record gives (`PT000000/ST000000/SE000000/
IM000000`), so a viewer opening the DICOMDIR of the unpacked zip (or of a CD
burnt from it) finds every image. The zip is written as it is sent: stored entries with
data descriptors, one file at a time in 1 MiB chunks, Zip64 when a file needs it.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, MediaStorageDirectoryStorage, generate_uid
from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server.models import Instance, Study
from ortif_server.store import BlobStore

CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One file of the zip: stored bytes at `path`, or the DICOMDIR's bytes in `data`."""

    name: str
    size: int
    path: Path | None = None
    data: bytes | None = None


def entries(session: Session, store: BlobStore, study: Study) -> list[Entry]:
    """The DICOMDIR first, then every instance of the study under its file ID."""
    rows = session.scalars(
        select(Instance)
        .where(Instance.study_instance_uid == study.study_instance_uid)
        .order_by(Instance.series_number, Instance.series_instance_uid)
        .order_by(Instance.instance_number, Instance.sop_instance_uid)
    ).all()
    file_ids = assign_file_ids(rows)
    dicomdir = build_dicomdir(study, rows, file_ids)
    files = [
        Entry(file_ids[row.sop_instance_uid], row.size_bytes, store.path_for(row.sha256))
        for row in rows
    ]
    return [Entry("DICOMDIR", len(dicomdir), data=dicomdir), *files]


def is_image(row: Instance) -> bool:
    """Whether the instance gets an IMAGE directory record (its SOP class is an image's)."""
    return UID(row.sop_class_uid).name.endswith("Image Storage")


def assign_file_ids(rows: Sequence[Instance]) -> dict[str, str]:
    """ISO 9660 file IDs: PT000000/ST000000/SEnnnnnn/IMnnnnnn; OTHER/Fnnnnnnn if no record."""
    series: dict[str, int] = {}
    ids: dict[str, str] = {}
    for row in rows:
        if is_image(row):
            number = series.setdefault(row.series_instance_uid, len(series))
            ids[row.sop_instance_uid] = f"PT000000/ST000000/SE{number:06d}/IM{len(ids):06d}"
    others = [row for row in rows if not is_image(row)]
    for index, row in enumerate(others, start=1):
        ids[row.sop_instance_uid] = f"OTHER/F{index:07d}"
    return ids


def build_dicomdir(study: Study, rows: Sequence[Instance], file_ids: dict[str, str]) -> bytes:
    """The DICOMDIR (PS3.10 / PS3.3 F) of the study's images, from the database alone.

    Records go depth first (PATIENT, STUDY, then each SERIES and its IMAGEs); their offsets
    are the positions of their items, read back from a first encoding (the values are
    fixed-size, so the second encoding has the same layout).
    """
    records = _records(study, [r for r in rows if is_image(r)], file_ids)
    directory = _directory(records)
    first = dcmread(io.BytesIO(_encode(directory)))
    positions = [item.seq_item_tell for item in first.DirectoryRecordSequence]
    _link(records, positions)
    directory.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = (
        positions[0] if records else 0
    )
    directory.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = (
        positions[0] if records else 0
    )
    return _encode(directory)


def _records(study: Study, images: Sequence[Instance], file_ids: dict[str, str]) -> list[_Record]:
    patient = _record(
        "PATIENT", PatientName=study.patient_name, PatientID=study.patient_id or "UNKNOWN"
    )
    day = study.study_date.strftime("%Y%m%d") if study.study_date else "19000101"
    top = _record(
        "STUDY",
        StudyDate=day,
        StudyTime=study.study_time or "000000",
        StudyDescription=study.study_description or "",
        StudyInstanceUID=study.study_instance_uid,
        StudyID=(study.accession_number or "1")[:16],  # type 1 here, often absent: invented
        AccessionNumber=study.accession_number or "",
    )
    records = [_Record(patient, None, 0), _Record(top, 0, 1)]
    series_index: dict[str, int] = {}
    for row in images:
        if row.series_instance_uid not in series_index:
            series_index[row.series_instance_uid] = len(records)
            number = row.series_number if row.series_number is not None else len(series_index)
            series = _record(
                "SERIES",
                Modality=row.modality or "OT",
                SeriesInstanceUID=row.series_instance_uid,
                SeriesNumber=number,
            )
            records.append(_Record(series, 1, 2))
        records.append(
            _Record(_image(row, file_ids, len(records)), series_index[row.series_instance_uid], 3)
        )
    return records


def _image(row: Instance, file_ids: dict[str, str], position: int) -> Dataset:
    return _record(
        "IMAGE",
        ReferencedFileID=file_ids[row.sop_instance_uid].split("/"),
        ReferencedSOPClassUIDInFile=row.sop_class_uid,
        ReferencedSOPInstanceUIDInFile=row.sop_instance_uid,
        ReferencedTransferSyntaxUIDInFile=row.transfer_syntax_uid,
        InstanceNumber=row.instance_number if row.instance_number is not None else position,
    )


@dataclass
class _Record:
    dataset: Dataset
    parent: int | None
    depth: int


def _record(kind: str, **values: object) -> Dataset:
    record = Dataset()
    record.OffsetOfTheNextDirectoryRecord = 0
    record.RecordInUseFlag = 0xFFFF
    record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    record.DirectoryRecordType = kind
    record.SpecificCharacterSet = "ISO_IR 192"
    for keyword, value in values.items():
        setattr(record, keyword, value)
    return record


def _link(records: list[_Record], positions: list[int]) -> None:
    """Next sibling and first child offsets, from the records' positions."""
    last_child: dict[int | None, int] = {}
    for index, record in enumerate(records):
        previous = last_child.get(record.parent)
        if previous is None and record.parent is not None:
            records[record.parent].dataset.OffsetOfReferencedLowerLevelDirectoryEntity = positions[
                index
            ]
        elif previous is not None:
            records[previous].dataset.OffsetOfTheNextDirectoryRecord = positions[index]
        last_child[record.parent] = index


def _directory(records: list[_Record]) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MediaStorageDirectoryStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    directory = Dataset()
    directory.file_meta = meta
    directory.FileSetID = "ORTIF"
    directory.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
    directory.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
    directory.FileSetConsistencyFlag = 0
    directory.SpecificCharacterSet = "ISO_IR 192"
    directory.DirectoryRecordSequence = [r.dataset for r in records]
    return directory


def _encode(directory: Dataset) -> bytes:
    buffer = io.BytesIO()
    directory.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def stream(files: list[Entry]) -> Iterator[bytes]:
    """The zip's bytes, chunk by chunk, reading one file at a time."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for entry in files:
            info = zipfile.ZipInfo(entry.name, datetime.now().timetuple()[:6])
            info.file_size = entry.size
            with archive.open(info, "w") as target:
                for chunk in _chunks(entry):
                    target.write(chunk)
                    yield sink.drain()
            yield sink.drain()
    yield sink.drain()


def _chunks(entry: Entry) -> Iterator[bytes]:
    if entry.data is not None:
        yield entry.data
        return
    assert entry.path is not None
    with entry.path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


class _Sink(io.RawIOBase):
    """A write-only, unseekable file whose bytes are taken away as they come."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def zip_name(study: Study) -> str:
    """`LEFEVRE_Helene_2024-03-01.zip`: the patient and the study date, ASCII only."""
    name = "_".join(p for p in study.patient_name.split("^")[:2] if p) or "study"
    day = study.study_date.isoformat() if study.study_date else "undated"
    ascii_name = unicodedata.normalize("NFKD", f"{name}_{day}").encode("ascii", "ignore")
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", ascii_name.decode()).strip("-") + ".zip"
