"""scan_folder and group_studies on studies written by the factory and the junk of real CDs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.encaps import encapsulate
from pydicom.uid import ImplicitVRLittleEndian, JPEGBaseline8Bit

from ortif_cli.dicom.identity import PatientIdentity
from ortif_cli.dicom.media import group_studies, scan_folder
from ortif_cli.errors import NotFoundError
from tests.dicom_factory import (
    write_dicomdir,
    write_non_dicom,
    write_raw_patient_name,
    write_study,
    write_truncated,
    write_without_preamble,
)


def test_scan_reads_back_what_the_factory_wrote(tmp_path: Path) -> None:
    study = write_study(tmp_path, series=2, instances_per_series=3)
    scan = scan_folder(tmp_path)
    assert (scan.skipped, scan.errors) == ([], [])
    assert [i.path for i in scan.instances] == study.paths
    assert [i.sop_instance_uid for i in scan.instances] == study.sop_instance_uids
    first = scan.instances[0]
    assert first.study_instance_uid == study.study_instance_uid
    assert first.sop_class_uid == "1.2.840.10008.5.1.4.1.1.2"
    assert first.transfer_syntax_uid == "1.2.840.10008.1.2.1"
    assert first.patient == PatientIdentity("LEFÈVRE", "Hélène", "PID-001", date(1970, 2, 14))
    assert (first.study_date, first.study_description) == (date(2026, 11, 20), "CT THORAX")
    assert (first.modality, first.accession_number) == ("CT", "ACC001")
    assert first.size == study.paths[0].stat().st_size
    assert len({i.series_instance_uid for i in scan.instances}) == 2


@pytest.mark.parametrize("charset", ["ISO_IR 192", "ISO_IR 100"])
@pytest.mark.parametrize(
    ("patient_name", "last_name", "first_name"),
    [
        ("LEFÈVRE^Hélène", "LEFÈVRE", "Hélène"),
        ("N'GUYEN^Anh", "N'GUYEN", "Anh"),
        ("DUPONT^José", "DUPONT", "José"),
    ],
)
def test_names_come_back_decoded(
    tmp_path: Path, charset: str, patient_name: str, last_name: str, first_name: str
) -> None:
    write_study(tmp_path, patient_name=patient_name, charset=charset, series=1)
    patient = scan_folder(tmp_path).instances[0].patient
    assert (patient.last_name, patient.first_name) == (last_name, first_name)


@pytest.mark.parametrize("charset", ["ISO_IR 100", None])
def test_windows_1252_bytes_under_a_latin_1_label_are_not_garbled(
    tmp_path: Path, charset: str | None
) -> None:
    study = write_study(tmp_path, series=1, instances_per_series=1)
    write_raw_patient_name(study.paths[0], b"B\x8cUF^Ana\xefs", charset)
    patient = scan_folder(tmp_path).instances[0].patient
    assert (patient.last_name, patient.first_name) == ("BŒUF", "Anaïs")


def test_junk_is_skipped_and_damaged_dicom_reported(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study", series=1, instances_per_series=2)
    cd = tmp_path / "cd"
    write_non_dicom(cd / "autorun.inf")
    write_non_dicom(cd / "viewer.exe", b"MZ\x90\x00" + bytes(300))
    write_non_dicom(cd / "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300))
    write_non_dicom(cd / "README", b"Open viewer.exe to see the images.\n")
    write_truncated(study.paths[0], cd / "cut.dcm")
    write_without_preamble(study.paths[1], cd / "IMAGES" / "IM0")
    scan = scan_folder(cd)
    assert [i.path.name for i in scan.instances] == ["IM0"]
    assert scan.instances[0].sop_instance_uid == study.sop_instance_uids[1]
    skipped = {p.name for p in scan.skipped}
    assert skipped == {"autorun.inf", "viewer.exe", "photo.jpg", "README"}
    assert [(e.path.name, e.reason) for e in scan.errors] == [
        ("cut.dcm", "truncated: the Pixel Data is incomplete")
    ]


def test_a_dicomdir_is_skipped_and_its_instances_read(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study", series=1, instances_per_series=2)
    write_dicomdir(study.paths, tmp_path / "cd")
    scan = scan_folder(tmp_path / "cd")
    assert [p.name for p in scan.skipped] == ["DICOMDIR"]
    assert sorted(i.sop_instance_uid for i in scan.instances) == sorted(study.sop_instance_uids)


def test_a_dicomdir_under_another_name_is_skipped(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study", series=1, instances_per_series=1)
    write_dicomdir(study.paths, tmp_path / "cd").rename(tmp_path / "cd" / "INDEX")
    scan = scan_folder(tmp_path / "cd")
    assert [p.name for p in scan.skipped] == ["INDEX"]


@pytest.mark.parametrize(
    ("keyword", "reason"),
    [("SOPInstanceUID", "no SOP Instance UID"), ("StudyInstanceUID", "no Study Instance UID")],
)
def test_an_instance_without_its_uids_is_an_error(
    tmp_path: Path, keyword: str, reason: str
) -> None:
    path = write_study(tmp_path, series=1, instances_per_series=1).paths[0]
    ds = dcmread(path)
    delattr(ds, keyword)
    ds.save_as(path)
    assert [e.reason for e in scan_folder(tmp_path).errors] == [reason]


@pytest.mark.parametrize("preamble", [True, False])
def test_a_file_cut_anywhere_after_its_preamble_is_an_error(tmp_path: Path, preamble: bool) -> None:
    source = write_study(tmp_path / "study", series=1, rows=4, columns=4, preamble=preamble)
    size = source.paths[0].stat().st_size
    start = 132 if preamble else 1
    for keep in range(start, size):
        write_truncated(source.paths[0], tmp_path / "cd" / f"{keep:05}.dcm", keep)
    scan = scan_folder(tmp_path / "cd")
    assert scan.instances == []
    assert len(scan.errors) + len(scan.skipped) == size - start
    assert all(p.stat().st_size < 8 for p in scan.skipped)
    assert all(e.reason for e in scan.errors)


def test_implicit_vr_files_are_read_and_checked(tmp_path: Path) -> None:
    path = write_study(tmp_path / "study", series=1, instances_per_series=1).paths[0]
    ds = dcmread(path)
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    (tmp_path / "cd").mkdir()
    ds.save_as(tmp_path / "cd" / "IMPLICIT.dcm", implicit_vr=True, little_endian=True)
    write_truncated(tmp_path / "cd" / "IMPLICIT.dcm", tmp_path / "cd" / "CUT.dcm")
    scan = scan_folder(tmp_path / "cd")
    assert [i.transfer_syntax_uid for i in scan.instances] == [ImplicitVRLittleEndian]
    assert [e.path.name for e in scan.errors] == ["CUT.dcm"]


def test_encapsulated_pixel_data_is_checked_up_to_its_delimiter(tmp_path: Path) -> None:
    path = write_study(tmp_path / "study", series=1, instances_per_series=1).paths[0]
    ds = dcmread(path)
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([b"\xff\xd8" + bytes(500) + b"\xff\xd9"])
    whole = tmp_path / "cd" / "JPEG.dcm"
    whole.parent.mkdir()
    ds.save_as(whole)
    write_truncated(whole, tmp_path / "cd" / "CUT.dcm", whole.stat().st_size - 4)
    scan = scan_folder(tmp_path / "cd")
    assert [i.transfer_syntax_uid for i in scan.instances] == [JPEGBaseline8Bit]
    assert [(e.path.name, e.reason) for e in scan.errors] == [
        ("CUT.dcm", "truncated: the encapsulated Pixel Data is incomplete")
    ]


def test_scanning_a_missing_folder_raises_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        scan_folder(tmp_path / "nowhere")


def test_group_studies_in_date_order(tmp_path: Path) -> None:
    later = write_study(tmp_path / "B", study_date="20261120", series=2, instances_per_series=2)
    earlier = write_study(
        tmp_path / "A", study_date="20250101", modality="MR", series=1, study_description="IRM"
    )
    undated = write_study(tmp_path / "C", study_date="", series=1, instances_per_series=1)
    studies = group_studies(scan_folder(tmp_path).instances)
    assert [s.study_instance_uid for s in studies] == [
        earlier.study_instance_uid,
        later.study_instance_uid,
        undated.study_instance_uid,
    ]
    assert [(s.series_count, len(s.instances)) for s in studies] == [(1, 3), (2, 4), (1, 1)]
    assert [s.modalities for s in studies] == [["MR"], ["CT"], ["CT"]]
    assert studies[0].study_description == "IRM"
    assert studies[1].total_bytes == sum(p.stat().st_size for p in later.paths)


def test_group_studies_lists_every_modality_once_sorted(tmp_path: Path) -> None:
    study = write_study(tmp_path, series=1, instances_per_series=2)
    ds = dcmread(study.paths[1])
    ds.Modality = "SR"
    ds.save_as(study.paths[1])
    (grouped,) = group_studies(scan_folder(tmp_path).instances * 2)
    assert grouped.modalities == ["CT", "SR"]
