"""The header read without pydicom agrees with pydicom's, and defers to it when unsure."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.uid import ImplicitVRLittleEndian

from ortif_server import dicom_header
from ortif_server.dicom_header import read_header
from tests.server.dicom_files import ct_bytes


def _variant(name: str) -> bytes:
    ds = dcmread(io.BytesIO(ct_bytes(patient_name="DOE^JOHN")))
    if name == "latin-1 name":
        ds.SpecificCharacterSet, ds.PatientName = "ISO_IR 100", "LEFÈVRE^Éloïse"
    elif name == "two values":
        ds.PatientID = ["A", "B"]
    elif name == "numbers and time":
        ds.SeriesNumber, ds.InstanceNumber, ds.StudyTime = " 7", "12 ", "101010.5"
    elif name == "implicit":
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


VARIANTS = ["plain", "latin-1 name", "two values", "numbers and time", "implicit"]


@pytest.mark.parametrize("name", VARIANTS)
def test_lean_read_matches_pydicom(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "file.dcm"
    path.write_bytes(_variant(name))
    lean = read_header(path, path.stat().st_size)
    monkeypatch.setattr(dicom_header, "_lean_reader", lambda found: None)
    assert lean == read_header(path, path.stat().st_size)
    if name == "latin-1 name":
        assert lean.patient_name == "LEFÈVRE^Éloïse"
