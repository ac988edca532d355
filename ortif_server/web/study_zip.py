"""One study as a zip: its DICOM files, byte for byte, and a DICOMDIR, streamed.

The DICOMDIR (PS3.10 media storage directory) is built by pydicom's `FileSet` from the
instances' headers only (read up to the pixel data); the zip then carries each stored
file unchanged under the ISO 9660 name its directory record gives (`PT000000/ST000000/
SE000000/IM000000`), so a viewer opening the DICOMDIR of the unpacked zip (or of a CD
burnt from it) finds every image. The zip is written as it is sent: stored entries with
data descriptors, one file at a time in 1 MiB chunks, Zip64 when a file needs it.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.fileset import FileSet
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
    paths = {row.sop_instance_uid: store.path_for(row.sha256) for row in rows}
    dicomdir, file_ids = build_dicomdir(study, paths)
    files = [
        Entry(file_ids[row.sop_instance_uid], row.size_bytes, paths[row.sop_instance_uid])
        for row in rows
    ]
    return [Entry("DICOMDIR", len(dicomdir), data=dicomdir), *files]


def build_dicomdir(study: Study, paths: dict[str, Path]) -> tuple[bytes, dict[str, str]]:
    """The DICOMDIR's bytes and each instance's file ID (`/`-separated), from headers only.

    An instance of a SOP class that has no directory record goes in the zip under
    `OTHER/` without one (pydicom refuses it; so would a conformant DICOMDIR).
    """
    file_set = FileSet()
    file_set.ID = "ORTIF"
    others: dict[str, str] = {}
    for number, (uid, path) in enumerate(paths.items(), start=1):
        header = dcmread(path, stop_before_pixels=True)
        try:
            file_set.add(complete_header(header, study, number))
        except ValueError:
            others[uid] = f"OTHER/F{len(others) + 1:07d}"
    try:
        with tempfile.TemporaryDirectory(prefix="ortif-dicomdir-") as scratch:
            file_set.write(scratch)
            data = (Path(scratch) / "DICOMDIR").read_bytes()
        file_ids = {str(i.SOPInstanceUID): i.FileID.replace(os.sep, "/") for i in file_set}
    finally:
        close_file_set(file_set)
    return data, {**file_ids, **others}


def close_file_set(file_set: FileSet) -> None:
    """Remove the staging directory a FileSet keeps (pydicom has no public close)."""
    file_set._stage["t"].cleanup()


def complete_header(header: Dataset, study: Study, number: int) -> Dataset:
    """Type 1 values a directory record needs and an image may lack (as `dcmmkdir --invent`).

    Only the record gets them; the file in the zip is the stored one, unchanged.
    """
    invented = {
        "PatientID": study.patient_id or "UNKNOWN",
        "StudyID": (study.accession_number or "1")[:16],
        "StudyDate": study.study_date.strftime("%Y%m%d") if study.study_date else "19000101",
        "StudyTime": study.study_time or "000000",
        "SeriesNumber": 1,
        "InstanceNumber": number,
    }
    for keyword, value in invented.items():
        if keyword not in header or header[keyword].VM == 0:
            setattr(header, keyword, value)
    if "Modality" not in header or header["Modality"].VM == 0:
        header.Modality = "OT"
    return header


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
