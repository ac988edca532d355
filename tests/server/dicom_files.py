"""Small DICOM files for the server tests, written with pydicom."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import httpx
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def ct_bytes(
    study_uid: str | None = None,
    sop_uid: str | None = None,
    patient_name: str = "DOE^JOHN",
    description: str = "CT HEAD",
) -> bytes:
    """A tiny CT (16x16 pixels) as a Part 10 file in explicit VR little endian."""
    sop_uid = sop_uid or generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = patient_name
    ds.PatientID = "PID-1"
    ds.PatientBirthDate = "19700101"
    ds.StudyDate = "20260102"
    ds.StudyDescription = description
    ds.Modality = "CT"
    _add_pixels(ds)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _add_pixels(ds: Dataset) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 16
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(256)) * 2


def without(data: bytes, keyword: str) -> bytes:
    """The same file with one attribute removed."""
    from pydicom import dcmread

    ds = dcmread(io.BytesIO(data))
    del ds[keyword]
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def multipart(parts: list[bytes], boundary: str = "ortif-test-boundary") -> tuple[bytes, str]:
    """A multipart/related body and its Content-Type."""
    body = b"".join(
        b"--%s\r\nContent-Type: application/dicom\r\n\r\n%s\r\n" % (boundary.encode(), part)
        for part in parts
    )
    body += b"--%s--\r\n" % boundary.encode()
    return body, f'multipart/related; type="application/dicom"; boundary={boundary}'


def stow_instances(answer: httpx.Response) -> list[dict[str, Any]]:
    """The instances of a STOW-RS answer, as the CLI reads them (accepted first)."""
    from ortif_cli.api.stow_answer import read_answer

    return [dataclasses.asdict(instance) for instance in read_answer(answer.json())]
