"""`ortif exam find --dir|--local` and `exam add --dir` with CDs, zips and junk; `exam create`."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from pydicom import dcmread

from tests.conftest import REQUESTER, Ortif
from tests.dicom_factory import (
    write_dicomdir,
    write_non_dicom,
    write_raw_patient_name,
    write_study,
    write_truncated,
    write_without_preamble,
)

TO_EXPERT = "CHU Lyon/Neuroradiologie/MARTIN"
PATIENT = ["--patient-name", "LEFÈVRE", "--patient-id", "PID-001"]
PATIENT += ["--patient-birth-date", "1970-02-14"]


def find(ortif: Ortif, *args: str) -> list[dict[str, object]]:
    result = ortif("--json", "exam", "find", *args)
    assert result.exit_code == 0, result.stderr
    items: list[dict[str, object]] = result.json()["items"]
    return items


def test_find_dir_filters_fold_case_and_accents(ortif: Ortif, tmp_path: Path) -> None:
    write_study(tmp_path / "a", patient_name="LEFÈVRE^Hélène", charset="ISO_IR 100")
    write_study(tmp_path / "b", patient_name="DUPONT^José", study_date="20261121", modality="MR")
    write_study(tmp_path / "c", patient_name="N'GUYEN^Anh", study_date="20261001")
    assert [
        i["patient_name"] for i in find(ortif, "--dir", str(tmp_path), "--patient-name", "lefevre")
    ] == ["LEFÈVRE^Hélène"]
    assert len(find(ortif, "--dir", str(tmp_path), "--patient-name", "*jose")) == 1
    assert len(find(ortif, "--dir", str(tmp_path), "--date", "2026-11-20..")) == 2
    assert len(find(ortif, "--dir", str(tmp_path), "--date", "..20/11/2026")) == 2
    assert len(find(ortif, "--dir", str(tmp_path), "--date", "20261121")) == 1
    assert len(find(ortif, "--dir", str(tmp_path), "--modality", "mr")) == 1
    (item,) = find(ortif, "--dir", str(tmp_path), "--patient-name", "n'guyen")
    assert item["instance_count"] == 6 and item["series_count"] == 2
    assert set(item) >= {
        "study_instance_uid",
        "patient_id",
        "birth_date",
        "study_date",
        "modalities",
        "description",
        "accession_number",
        "source",
    }


def test_bad_date_exits_2(ortif: Ortif, tmp_path: Path) -> None:
    result = ortif("exam", "find", "--dir", str(tmp_path), "--date", "31/02/2026")
    assert result.exit_code == 2


def test_mislabelled_windows_1252_is_shown_right(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "a", patient_name="X", series=1, instances_per_series=1)
    write_raw_patient_name(study.paths[0], "BŒUF^Zoé".encode("cp1252"), "ISO_IR 100")
    (item,) = find(ortif, "--dir", str(tmp_path))
    assert item["patient_name"] == "BŒUF^Zoé"


def test_cd_with_dicomdir_iso9660_names_and_junk(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "src", patient_name="DUPONT^José")
    cd = tmp_path / "cd"
    write_dicomdir(study.paths, cd)
    files = sorted(p for p in cd.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    files[0].unlink()  # referenced but missing
    files[1].rename(files[1].with_name(files[1].name + ";1"))  # ISO 9660 version suffix
    extra = write_study(
        tmp_path / "x", patient_name="DUPONT^José", series=1, instances_per_series=1
    )
    shutil.copy(extra.paths[0], cd / "EXTRA.DCM")  # not referenced
    write_non_dicom(cd / "AUTORUN.INF")
    write_truncated(study.paths[2], cd / "BROKEN.DCM")
    write_without_preamble(study.paths[3], cd / "NOPREAMB")
    result = ortif("--json", "exam", "find", "--dir", str(cd))
    assert result.exit_code == 0, result.stderr
    items = result.json()["items"]
    uids = {i["study_instance_uid"] for i in items}
    assert uids == {study.study_instance_uid, extra.study_instance_uid}
    assert "missing" in result.stderr and "BROKEN.DCM" in result.stderr


def test_zip_is_read_without_extracting(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "src", patient_name="LEFÈVRE^Hélène")
    archive = tmp_path / "cd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in study.paths:
            zf.write(path, f"DICOM/{path.parent.name}/{path.name}")
        zf.writestr("autorun.inf", "[autorun]")
    (item,) = find(ortif, "--dir", str(archive))
    assert item["instance_count"] == 6
    ortif.login(REQUESTER)
    dossier = ortif("--json", "dossier", "create", "--to", TO_EXPERT, *PATIENT).json()["id"]
    added = ortif("--json", "exam", "add", str(dossier), "--dir", str(archive))
    assert added.exit_code == 0, added.stderr
    assert added.json()["sent"] == 6


def test_find_local_uses_qido(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "a", patient_name="LEFÈVRE^Hélène")
    ortif.login(REQUESTER)
    dossier = ortif("--json", "dossier", "create", "--to", TO_EXPERT, *PATIENT).json()["id"]
    assert ortif("exam", "add", str(dossier), "--dir", str(tmp_path / "a")).exit_code == 0
    result = ortif("--json", "exam", "find", "--local", "--patient-name", "lefevre*")
    if result.exit_code != 0:
        pytest.skip(f"the server has no QIDO-RS yet: {result.stderr}")
    uids = [i["study_instance_uid"] for i in result.json()["items"]]
    assert study.study_instance_uid in uids
    other = ortif("--json", "dossier", "create", "--to", TO_EXPERT, *PATIENT).json()["id"]
    attached = ortif(
        "--json", "exam", "add", str(other), "--local", "--study", study.study_instance_uid
    )
    assert attached.exit_code == 0, attached.stderr
    assert attached.json()["sent"] == 0


JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c"
    "140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27"
    "393d38323c2e333432ffc0000b080002000201011100ffc4001f0000010501010101010100000000"
    "000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300"
    "041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a"
    "25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475"
    "767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9ba"
    "c2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda"
    "0008010100003f00fbfcffd9"
)


def png(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(range(width * 3)) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_create_wraps_jpeg_png_pdf(ortif: Ortif, tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(JPEG)
    (tmp_path / "scan.png").write_bytes(png(4, 2))
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    out = tmp_path / "out"
    result = ortif(
        "--json",
        "exam",
        "create",
        "--description",
        "Photos plaie",
        "--patient-name",
        "LEFÈVRE^Hélène",
        "--patient-id",
        "PID-001",
        "--patient-birth-date",
        "14/02/1970",
        "--out",
        str(out),
        str(tmp_path / "photo.jpg"),
        str(tmp_path / "scan.png"),
        str(tmp_path / "report.pdf"),
    )
    assert result.exit_code == 0, result.stderr
    paths = [Path(p) for p in result.json()["files"]]
    jpeg, png_file, pdf = (dcmread(p) for p in paths)
    assert jpeg.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
    from pydicom.encaps import generate_frames

    assert next(generate_frames(jpeg.PixelData)).rstrip(b"\0") == JPEG
    assert png_file.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert png_file.PixelData[:6] == bytes([0, 1, 2, 3, 4, 5])
    assert pdf.SOPClassUID == "1.2.840.10008.5.1.4.1.1.104.1"
    assert pdf.EncapsulatedDocument.startswith(b"%PDF")
    assert len({d.StudyInstanceUID for d in (jpeg, png_file, pdf)}) == 1
    assert jpeg.SeriesInstanceUID == png_file.SeriesInstanceUID != pdf.SeriesInstanceUID
    assert str(jpeg.PatientName) == "LEFÈVRE^Hélène" and jpeg.StudyDescription == "Photos plaie"
    for path in paths:
        dump = subprocess.run(["/usr/bin/dcmdump", str(path)], capture_output=True, text=True)
        assert dump.returncode == 0 and "E:" not in dump.stderr, dump.stderr


def test_create_writes_ins_as_drim_m(tmp_path: Path) -> None:
    from ortif_cli.dicom.media import scan_folder
    from ortif_cli.dicom.wrap import WrapPatient, wrap_files

    (tmp_path / "photo.jpg").write_bytes(JPEG)
    patient = WrapPatient("DUPONT", "PID-9", "José", None, "M", "123456789012345", None)
    written = wrap_files([tmp_path / "photo.jpg"], tmp_path / "out", patient, "Photo")
    item = dcmread(written.paths[0]).OtherPatientIDsSequence[0]
    assert item.PatientID == "123456789012345" and item.IssuerOfPatientID == "ASIP-SANTE-INS-NIR"
    assert item.TypeOfPatientID == "TEXT"
    qualifier = item.IssuerOfPatientIDQualifiersSequence[0]
    assert qualifier.UniversalEntityID == "1.2.250.1.213.1.4.8"
    assert qualifier.UniversalEntityIDType == "ISO"
    (instance,) = scan_folder(tmp_path / "out").instances
    assert instance.patient.ins_matricule == "123456789012345"
    assert instance.patient.patient_id == "PID-9"


def test_create_into_dossier(ortif: Ortif, tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(JPEG)
    ortif.login(REQUESTER)
    dossier = ortif("--json", "dossier", "create", "--to", TO_EXPERT, *PATIENT).json()["id"]
    result = ortif(
        "--json",
        "exam",
        "create",
        "--description",
        "Photo",
        "--dossier",
        str(dossier),
        str(tmp_path / "photo.jpg"),
    )
    assert result.exit_code == 0, result.stderr
    assert result.json()["sent"] == 1


def test_accepted_identity_is_recorded_in_an_info_step(ortif: Ortif, tmp_path: Path) -> None:
    write_study(tmp_path / "cd", patient_name="LEFEVRE-MARTIN^Hélène", birth_date="19700214")
    ortif.login(REQUESTER)
    to_outsider = "Clinique du Parc/Cardiologie/DOE"  # its notifications bother no other test
    dossier = ortif("--json", "dossier", "create", "--to", to_outsider, *PATIENT).json()["id"]
    assert ortif("dossier", "send", str(dossier)).exit_code == 0
    refused = ortif("exam", "add", str(dossier), "--dir", str(tmp_path / "cd"))
    assert refused.exit_code == 6
    assert "LEFEVRE-MARTIN" in refused.stderr and "≠" in refused.stderr
    receipt = tmp_path / "receipt.json"
    accepted = ortif(
        "--json",
        "exam",
        "add",
        str(dossier),
        "--dir",
        str(tmp_path / "cd"),
        "--accept-identity",
        "married name",
        "--receipt",
        str(receipt),
    )
    assert accepted.exit_code == 0, accepted.stderr
    import json

    assert json.loads(receipt.read_text())["accepted_identity"] == "married name"
    shown = ortif("--json", "dossier", "show", str(dossier)).json()
    comments = [s.get("comment") or "" for s in shown["steps"] if s["kind"] == "info"]
    assert any("married name" in c for c in comments)
