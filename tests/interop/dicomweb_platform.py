"""A platform server of its own for the interop tests, and the studies they exchange:
the sample CT study (native), a JPEG Baseline and a JPEG Lossless instance."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydicom import Dataset, dcmread
from pydicom.uid import generate_uid

from tests.dicom_codecs import DCMCJPEG, jpeg_baseline, jpeg_lossless
from tests.dicom_factory import write_study
from tests.server.server_process import ServerProcess


@dataclass(frozen=True)
class Platform:
    url: str
    token: str

    @property
    def dicomweb(self) -> str:
        return f"{self.url}/dicomweb"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    server = ServerProcess.seeded(tmp_path_factory.mktemp("platform") / "data", None)
    server.start()
    try:
        yield Platform(server.url, server.token("alice"))
    finally:
        server.stop()


def exchanged_study(folder: Path) -> list[Dataset]:
    """Six native CT instances in two series, plus one JPEG Baseline and (with dcmtk) one
    JPEG Lossless instance in the same study."""
    written = write_study(folder, patient_name="INTEROP^Zoé", patient_id="PID-IO")
    datasets = [dcmread(path) for path in written.paths]
    uid = written.study_instance_uid
    compressed = [jpeg_baseline(uid)[0]] + ([jpeg_lossless(uid)] if DCMCJPEG else [])
    for data in compressed:
        ds = dcmread(io.BytesIO(data))
        ds.PatientName, ds.PatientID = "INTEROP^Zoé", "PID-IO"
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        datasets.append(ds)
    return datasets
