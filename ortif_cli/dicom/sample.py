"""Synthetic studies for the demo and the tests: small, valid, with a fictitious patient."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from pydicom import Dataset, FileMetaDataset, dcmwrite
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

_CODECS = {"ISO_IR 192": "utf-8", "ISO_IR 100": "latin-1"}
_AIR = struct.pack("<H", 0)
_SOFT_TISSUE = struct.pack("<H", 1064)  # 40 HU with a rescale intercept of -1024


@dataclass(frozen=True)
class WrittenStudy:
    """What `write_sample_study` wrote, in writing order."""

    study_instance_uid: str
    paths: list[Path]
    sop_instance_uids: list[str]


def write_sample_study(
    directory: Path,
    *,
    patient_name: str = "LEFÈVRE^Hélène",
    patient_id: str = "PID-001",
    birth_date: str = "19700214",
    sex: str = "F",
    study_description: str = "CT THORAX",
    series: int = 2,
    instances_per_series: int = 3,
    rows: int = 32,
    columns: int = 32,
    charset: str = "ISO_IR 192",
    modality: str = "CT",
    accession: str = "ACC001",
    study_date: str = "20261120",
    preamble: bool = True,
) -> WrittenStudy:
    """Write a study of a sphere phantom as `directory`/SERIESn/IMGm.dcm.

    CT gives CT Image Storage; any other `modality` gives Secondary Capture Image Storage.
    `preamble=False` writes the File Meta Information without the preamble and 'DICM'.
    """
    texts = (patient_name, patient_id, study_description)
    _check_arguments(charset, texts, (series, instances_per_series, rows, columns))
    study = _study_dataset(
        patient_name, patient_id, birth_date, sex, study_description, charset, accession, study_date
    )
    written = WrittenStudy(study.StudyInstanceUID, [], [])
    for series_number in range(1, series + 1):
        folder = directory / f"SERIES{series_number}"
        folder.mkdir(parents=True, exist_ok=True)
        series_uid, frame_uid = generate_uid(), generate_uid()
        for number in range(1, instances_per_series + 1):
            ds = _instance(study, modality, series_uid, series_number, number)
            _add_image(ds, frame_uid, rows, columns, (number - 0.5) / instances_per_series)
            path = folder / f"IMG{number}.dcm"
            _write(path, ds, preamble)
            written.paths.append(path)
            written.sop_instance_uids.append(ds.SOPInstanceUID)
    return written


def _check_arguments(charset: str, texts: tuple[str, ...], counts: tuple[int, ...]) -> None:
    if charset not in _CODECS:
        raise ValueError(f"charset must be one of {', '.join(_CODECS)}, not {charset!r}")
    for text in texts:
        try:
            text.encode(_CODECS[charset])
        except UnicodeEncodeError:
            raise ValueError(f"{text!r} cannot be written in {charset}") from None
    if min(counts) < 1:
        raise ValueError("series, instances_per_series, rows and columns must be at least 1")


def _study_dataset(
    patient_name: str,
    patient_id: str,
    birth_date: str,
    sex: str,
    study_description: str,
    charset: str,
    accession: str,
    study_date: str,
) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = charset
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = birth_date
    ds.PatientSex = sex
    ds.StudyInstanceUID = generate_uid()
    ds.StudyDate = study_date
    ds.StudyTime = "101500"
    ds.StudyID = "1"
    ds.AccessionNumber = accession
    ds.StudyDescription = study_description
    ds.ReferringPhysicianName = ""
    return ds


def _instance(
    study: Dataset, modality: str, series_uid: str, series_number: int, number: int
) -> Dataset:
    ds = Dataset()
    ds.update(study)
    ds.SOPClassUID = CTImageStorage if modality == "CT" else SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = modality
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDescription = f"SERIES {series_number}"
    ds.InstanceNumber = number
    ds.Manufacturer = "ortif sample"
    ds.ContentDate, ds.ContentTime = study.StudyDate, study.StudyTime
    if modality == "CT":
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.KVP = "120"
        ds.AcquisitionNumber = 1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "-1024", "1", "HU"
    else:
        ds.ConversionType = "WSD"
    return ds


def _add_image(ds: Dataset, frame_uid: str, rows: int, columns: int, depth: float) -> None:
    """Add a slice at `depth` (0 to 1) through a sphere, with its plane and pixels."""
    ds.FrameOfReferenceUID = frame_uid
    ds.PositionReferenceIndicator = ""
    ds.PixelSpacing = [1, 1]
    ds.SliceThickness = 1
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = [0, 0, round(depth * 100, 2)]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    radius = min(rows, columns) / 2 * math.sqrt(max(0.0, 1 - (2 * depth - 1) ** 2))
    ds.add_new(0x7FE00010, "OW", _disk(rows, columns, radius))


def _disk(rows: int, columns: int, radius: float) -> bytes:
    """16-bit little-endian pixels: soft tissue inside a centred disk, air around it."""
    centre_row, centre_column = (rows - 1) / 2, (columns - 1) / 2
    pixels = bytearray()
    for row in range(rows):
        half = math.sqrt(max(0.0, radius**2 - (row - centre_row) ** 2))
        start = min(columns, max(0, math.ceil(centre_column - half)))
        stop = max(start, min(columns, math.floor(centre_column + half) + 1))
        pixels += _AIR * start + _SOFT_TISSUE * (stop - start) + _AIR * (columns - stop)
    return bytes(pixels)


def _write(path: Path, ds: Dataset, preamble: bool) -> None:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    dcmwrite(path, ds, enforce_file_format=preamble)
