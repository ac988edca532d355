"""The lean DICOMDIR reader against pydicom's, and the odd CDs `exam find --dir` meets."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.datadict import tag_for_keyword

from ortif_cli.dicom.dicomdir import KEYS, _text
from ortif_cli.dicom.directory_records import read_directory
from ortif_cli.dicom.listing import list_studies
from tests.dicom_factory import (
    WrittenStudy,
    write_cd_image,
    write_dcmmkdir_cd,
    write_dicomdir,
    write_non_dicom,
    write_study,
    write_truncated,
)

needs_dcmtk = pytest.mark.skipif(not shutil.which("dcmmkdir"), reason="dcmtk is not installed")
FRENCH = [
    ("ISO_IR 100", "LEFÈVRE^Hélène", "PID-100"),
    ("ISO_IR 192", "GARÇON^Zoé Œdipe", "PID-192"),
]


def french_studies(folder: Path) -> list[WrittenStudy]:
    return [
        write_study(folder / charset[-3:], patient_name=name, patient_id=pid, charset=charset)
        for charset, name, pid in FRENCH
    ]


def make_cd(maker: str, studies: list[WrittenStudy], cd: Path) -> Path:
    paths = [path for study in studies for path in study.paths]
    if maker == "dcmmkdir":
        write_dcmmkdir_cd(paths, cd)
        return cd / "DICOMDIR"
    return write_dicomdir(paths, cd)


def summary(listing: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (m.study_instance_uid, m.patient_name, m.patient_id, m.birth_date, m.study_date)
        + (m.modalities, m.description, m.accession_number, m.series_count, m.instance_count)
        for m in listing.studies
    )


@pytest.mark.parametrize("maker", [pytest.param("dcmmkdir", marks=needs_dcmtk), "pydicom"])
def test_lean_records_are_pydicoms(maker: str, tmp_path: Path) -> None:
    dicomdir = make_cd(maker, french_studies(tmp_path / "src"), tmp_path / "cd")
    directory = read_directory(dicomdir, KEYS)
    theirs = dcmread(dicomdir)
    assert directory.root == theirs.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity
    assert [r.offset for r in directory.records.values()] == [
        r.seq_item_tell for r in theirs.DirectoryRecordSequence
    ]
    for ours, record in zip(
        directory.records.values(), theirs.DirectoryRecordSequence, strict=True
    ):
        assert ours.kind == record.DirectoryRecordType
        assert ours.next == record.OffsetOfTheNextDirectoryRecord
        assert ours.lower == record.OffsetOfReferencedLowerLevelDirectoryEntity
        assert ours.file_id == list(record.get("ReferencedFileID") or [])
        for keyword in ("PatientName", "PatientID", "StudyInstanceUID", "StudyDescription"):
            if keyword in record:
                tag = tag_for_keyword(keyword)
                assert tag is not None
                assert _text(directory, ours, tag) == str(record[keyword].value)


@pytest.mark.parametrize("maker", [pytest.param("dcmmkdir", marks=needs_dcmtk), "pydicom"])
def test_a_dicomdir_gives_what_reading_every_file_gives(maker: str, tmp_path: Path) -> None:
    make_cd(maker, french_studies(tmp_path / "src"), tmp_path / "cd")
    with_dicomdir = list_studies(tmp_path / "cd")
    (tmp_path / "cd" / "DICOMDIR").unlink()
    assert summary(with_dicomdir) == summary(list_studies(tmp_path / "cd"))
    names = {m.patient_name for m in with_dicomdir.studies}
    assert names == {"LEFÈVRE^Hélène", "GARÇON^Zoé Œdipe"}


@needs_dcmtk
def test_a_folder_of_several_cds_and_a_study_on_two_of_them(tmp_path: Path) -> None:
    first, second = french_studies(tmp_path / "src")
    write_dcmmkdir_cd(first.paths, tmp_path / "cds" / "CD1")
    write_dcmmkdir_cd(second.paths, tmp_path / "cds" / "CD2")
    write_dcmmkdir_cd(first.paths[:2], tmp_path / "cds" / "CD3")  # the same images again
    listing = list_studies(tmp_path / "cds")
    counts = {m.patient_id: (m.instance_count, m.series_count) for m in listing.studies}
    assert counts == {"PID-100": (6, 2), "PID-192": (6, 2)} and not listing.errors


@needs_dcmtk
def test_several_dicomdirs_on_one_medium(tmp_path: Path) -> None:
    first, second = french_studies(tmp_path / "src")
    write_dcmmkdir_cd(first.paths, tmp_path / "cd")
    write_dcmmkdir_cd(second.paths, tmp_path / "cd" / "EXTRA")  # a second DICOMDIR deeper
    write_non_dicom(tmp_path / "cd" / "AUTORUN.INF")
    listing = list_studies(tmp_path / "cd")
    assert {m.patient_id for m in listing.studies} == {"PID-100", "PID-192"}
    assert listing.skipped == 1 and not listing.errors


@needs_dcmtk
def test_missing_files_lower_case_names_and_version_suffixes(tmp_path: Path) -> None:
    (study, _) = french_studies(tmp_path / "src")
    cd = tmp_path / "cd"
    copies = write_dcmmkdir_cd(study.paths, cd)
    copies[0].unlink()  # listed but missing
    copies[1].rename(copies[1].with_name(copies[1].name + ";1"))  # ISO 9660 version suffix
    (cd / "DICOM").rename(cd / "dicom")  # mounted in lower case
    for path in (cd / "dicom").iterdir():
        path.rename(path.with_name(path.name.lower()))
    (cd / "DICOMDIR").rename(cd / "dicomdir")
    listing = list_studies(cd)
    (match,) = listing.studies
    assert match.instance_count == 6 and match.patient_name == "LEFÈVRE^Hélène"
    assert [(e.path, e.reason) for e in listing.errors] == [
        (cd / "DICOM" / copies[0].name, "listed in DICOMDIR but missing")
    ]


def test_a_damaged_dicomdir_means_reading_every_file(tmp_path: Path) -> None:
    (study, _) = french_studies(tmp_path / "src")
    dicomdir = write_dicomdir(study.paths, tmp_path / "cd")
    write_truncated(dicomdir, dicomdir, keep=dicomdir.stat().st_size - 100)
    (match,) = list_studies(tmp_path / "cd").studies
    assert match.instance_count == 6 and match.patient_name == "LEFÈVRE^Hélène"


@needs_dcmtk
@pytest.mark.parametrize("joliet", [True, False])
def test_a_cd_image_is_read_in_place(tmp_path: Path, joliet: bool) -> None:
    studies = french_studies(tmp_path / "src")
    write_dcmmkdir_cd([p for s in studies for p in s.paths], tmp_path / "cd")
    write_non_dicom(tmp_path / "cd" / "AUTORUN.INF")
    image = write_cd_image(tmp_path / "cd", tmp_path / "exam.iso", joliet=joliet)
    listing = list_studies(image)
    assert summary(listing) == summary(list_studies(tmp_path / "cd"))
    assert listing.skipped == 2  # AUTORUN.INF and the DICOMDIR


@needs_dcmtk
def test_exam_add_reads_every_cd_of_a_folder_and_names_missing_files(tmp_path: Path) -> None:
    from ortif_cli.dicom.dicomdir import scan_source

    first, second = french_studies(tmp_path / "src")
    write_dcmmkdir_cd(first.paths, tmp_path / "cds" / "CD1")
    missing = write_dcmmkdir_cd(second.paths, tmp_path / "cds" / "CD2")[0]
    missing.unlink()
    scan = scan_source(tmp_path / "cds")
    assert len(scan.instances) == 11 and len(scan.skipped) == 2  # the two DICOMDIRs
    assert [(e.path, e.reason) for e in scan.errors] == [
        (tmp_path / "cds" / "CD2" / "DICOM" / missing.name, "listed in DICOMDIR but missing")
    ]
