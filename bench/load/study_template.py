"""Studies for the load test, made fast: one encoded instance with fixed-length placeholder
UIDs, copied with fresh UIDs for every instance (no DICOM encoding per instance)."""

from __future__ import annotations

import hashlib
import io
import os
import random

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage

SIDE = 128  # 128x128 16-bit MR slices: 32 KB of pixels each
PATIENT = {"last_name": "CHARGE", "first_name": "Test", "identifier": "PID-LOAD"}
_STUDY, _SERIES, _SOP = (f"2.25.{digit * 55}" for digit in "123")


def new_uid() -> str:
    """A UID of the placeholders' length (60): 2.25 and 55 random digits, no leading 0."""
    return f"2.25.{random.randint(10**54, 10**55 - 1)}"


def _template() -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = _SOP
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, _SOP
    ds.StudyInstanceUID, ds.SeriesInstanceUID = _STUDY, _SERIES
    ds.PatientName = f"{PATIENT['last_name']}^{PATIENT['first_name']}"
    ds.PatientID, ds.Modality, ds.StudyDescription = PATIENT["identifier"], "MR", "LOAD"
    ds.StudyDate, ds.InstanceNumber = "20261130", 1
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = SIDE
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = os.urandom(SIDE * SIDE * 2)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


TEMPLATE = _template()


def study(count: int) -> tuple[str, dict[str, bytes]]:
    """A new study of `count` instances in one series: its UID and {SOP UID: bytes}."""
    study_uid, series_uid = new_uid(), new_uid()
    base = TEMPLATE.replace(_STUDY.encode(), study_uid.encode())
    base = base.replace(_SERIES.encode(), series_uid.encode())
    instances = {}
    for _ in range(count):
        sop_uid = new_uid()
        instances[sop_uid] = base.replace(_SOP.encode(), sop_uid.encode())
    return study_uid, instances


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
