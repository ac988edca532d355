"""Compressed DICOM files for the DICOMweb tests: JPEG Baseline (Pillow) and JPEG Lossless
(dcmtk's dcmcjpeg), with a recognisable pattern, plus a native multi-frame image."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy
from numpy.typing import NDArray
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    SecondaryCaptureImageStorage,
    generate_uid,
)

DCMCJPEG = shutil.which("dcmcjpeg")
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"


def pattern(rows: int = 48, columns: int = 64) -> NDArray[numpy.uint8]:
    """Four quadrants: black, 85, 170, white; JPEG keeps them recognisable."""
    image = numpy.zeros((rows, columns), dtype=numpy.uint8)
    image[: rows // 2, columns // 2 :] = 85
    image[rows // 2 :, : columns // 2] = 170
    image[rows // 2 :, columns // 2 :] = 255
    return image


def _dataset(study_uid: str, rows: int, columns: int, syntax: str) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, generate_uid()
    ds.PatientName, ds.PatientID, ds.StudyDate = "CODEC^TEST", "PID-C", "20260103"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "OT", 1, 1
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = rows, columns
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def _bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def jpeg_baseline(study_uid: str | None = None) -> tuple[bytes, bytes]:
    """A JPEG Baseline file of `pattern()`, and the JPEG stream it encapsulates."""
    image = pattern()
    rows, columns = image.shape
    ds = _dataset(study_uid or generate_uid(), rows, columns, JPEGBaseline8Bit)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    jpeg = io.BytesIO()
    Image.fromarray(image, "L").save(jpeg, "JPEG", quality=95)
    ds.PixelData = encapsulate([jpeg.getvalue()])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return _bytes(ds), jpeg.getvalue()


def native_frames(study_uid: str | None = None, frames: int = 3, side: int = 8) -> bytes:
    """A native 16-bit multi-frame image: frame n is filled with the value n * 1000."""
    ds = _dataset(study_uid or generate_uid(), side, side, ExplicitVRLittleEndian)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.NumberOfFrames = frames
    pixels = side * side
    values = numpy.concatenate([numpy.full(pixels, n * 1000, "<u2") for n in range(1, frames + 1)])
    ds.PixelData = values.tobytes()
    ds.WindowCenter, ds.WindowWidth = 2000, 2000
    return _bytes(ds)


def jpeg_lossless(study_uid: str | None = None) -> bytes:
    """A JPEG Lossless (SV1) file of a 16-bit `pattern()` * 16, compressed by dcmcjpeg."""
    assert DCMCJPEG, "dcmtk's dcmcjpeg is not installed"
    ds = _dataset(study_uid or generate_uid(), 48, 64, ExplicitVRLittleEndian)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = (pattern().astype("<u2") * 16).tobytes()
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.dcm", Path(tmp) / "out.dcm"
        source.write_bytes(_bytes(ds))
        subprocess.run([DCMCJPEG, "+e1", str(source), str(target)], check=True)
        data = target.read_bytes()
    assert dcmread(io.BytesIO(data)).file_meta.TransferSyntaxUID == JPEG_LOSSLESS_SV1
    return data
