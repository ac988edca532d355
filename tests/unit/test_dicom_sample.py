"""write_sample_study: valid files in the announced layout, read back with pydicom."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, SecondaryCaptureImageStorage

from ortif_cli.dicom.sample import write_sample_study


def test_layout_and_uids(tmp_path: Path) -> None:
    study = write_sample_study(tmp_path, series=2, instances_per_series=3)
    assert [p.relative_to(tmp_path).as_posix() for p in study.paths] == [
        f"SERIES{s}/IMG{i}.dcm" for s in (1, 2) for i in (1, 2, 3)
    ]
    assert len(set(study.sop_instance_uids)) == 6


def test_files_are_ct_images_with_real_pixel_data(tmp_path: Path) -> None:
    study = write_sample_study(tmp_path, rows=24, columns=16, series=1, instances_per_series=1)
    ds = dcmread(study.paths[0])
    assert study.paths[0].read_bytes()[128:132] == b"DICM"
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert ds.SOPClassUID == CTImageStorage
    assert ds.SOPInstanceUID == study.sop_instance_uids[0]
    assert ds.StudyInstanceUID == study.study_instance_uid
    assert (ds.Rows, ds.Columns, ds.BitsAllocated) == (24, 16, 16)
    assert len(ds.PixelData) == 24 * 16 * 2
    assert any(ds.PixelData)
    assert (ds.PatientName, ds.PatientBirthDate, ds.PatientSex) == (
        "LEFÈVRE^Hélène",
        "19700214",
        "F",
    )
    assert (ds.SpecificCharacterSet, ds.AccessionNumber, ds.StudyDate) == (
        "ISO_IR 192",
        "ACC001",
        "20261120",
    )


def test_latin_1_names_are_written_in_latin_1(tmp_path: Path) -> None:
    study = write_sample_study(tmp_path, patient_name="DUPONT^José", charset="ISO_IR 100")
    assert b"DUPONT^Jos\xe9" in study.paths[0].read_bytes()
    assert dcmread(study.paths[0]).PatientName == "DUPONT^José"


def test_without_preamble(tmp_path: Path) -> None:
    study = write_sample_study(tmp_path, preamble=False, series=1, instances_per_series=1)
    data = study.paths[0].read_bytes()
    assert data[:2] == b"\x02\x00" and b"DICM" not in data[:200]
    assert dcmread(study.paths[0], force=True).SOPInstanceUID == study.sop_instance_uids[0]


def test_other_modalities_are_secondary_captures(tmp_path: Path) -> None:
    study = write_sample_study(tmp_path, modality="MR", series=1, instances_per_series=1)
    ds = dcmread(study.paths[0])
    assert (ds.SOPClassUID, ds.Modality) == (SecondaryCaptureImageStorage, "MR")


@pytest.mark.parametrize(
    "arguments",
    [
        {"charset": "ISO_IR 144"},
        {"charset": "ISO_IR 100", "patient_name": "BŒUF^Zoé"},
        {"series": 0},
        {"instances_per_series": 0},
        {"rows": 0},
    ],
)
def test_invalid_arguments_are_refused(tmp_path: Path, arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        write_sample_study(tmp_path / "cd", **arguments)  # type: ignore[arg-type]
    assert not (tmp_path / "cd").exists()
