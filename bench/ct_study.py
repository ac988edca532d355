"""The benchmarks' CT study: 512x512, 16 bits, random pixels (incompressible), one series."""

from __future__ import annotations

import os
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def write_ct_study(
    folder: Path,
    count: int,
    *,
    patient_name: str = "DUPONT^José",
    patient_id: str = "PID-B",
    birth_date: str = "19700214",
) -> tuple[str, list[Path]]:
    """Write `count` instances (about 525 kB each) into `folder`; the Study UID and paths."""
    folder.mkdir(parents=True, exist_ok=True)
    study, series = generate_uid(), generate_uid()
    paths = []
    for number in range(1, count + 1):
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName, ds.PatientID, ds.PatientBirthDate = patient_name, patient_id, birth_date
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, generate_uid()
        ds.Modality, ds.StudyDate, ds.InstanceNumber = "CT", "20261120", number
        ds.StudyDescription = "BENCH CT"
        ds.Rows = ds.Columns = 512
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.PixelData = os.urandom(512 * 512 * 2)
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        path = folder / f"{number:05d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return study, paths
