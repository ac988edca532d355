"""The CD a hospital hands over, junk and broken files included, through `exam add` (issue 12).

A DICOMDIR made by dcmtk's `dcmmkdir`, an autorun, a viewer .exe and a README, a raw
Implicit VR data set as old modalities write (no preamble, no File Meta Information), a
file cut short and an empty file. The legacy file arrives wrapped with its data set
bytes unchanged; the broken files are named; a file the platform refuses for good makes
the command exit 6 with the platform's reason, not 8.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pydicom import dcmread

from ortif_cli.dicom.file_meta import file_header
from ortif_cli.dicom.part10 import WRAPPER_VERSION_NAME
from tests.conftest import OUTSIDER, REQUESTER, Ortif
from tests.dicom_factory import (
    WrittenStudy,
    write_bare_data_set,
    write_dcmmkdir_cd,
    write_non_dicom,
    write_study,
    write_truncated,
    write_without_transfer_syntax,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("dcmmkdir"), reason="dcmtk is not installed"),
]
CT_IMAGE, IMPLICIT_VR = "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2"
TO_OUTSIDER = "Clinique du Parc/Cardiologie/DOE"  # its notifications bother no other test
PATIENT = ["--patient-name", "Lefèvre", "--patient-first-name", "Hélène"]
PATIENT += ["--patient-id", "PID-CD-12", "--patient-birth-date", "14/02/1970"]


def hospital_cd(study: WrittenStudy, cd: Path) -> dict[str, Path]:
    """The CD: the first images under a DICOMDIR, the last one as a raw data set, junk."""
    write_dcmmkdir_cd(study.paths[:-1], cd)
    write_non_dicom(cd / "AUTORUN.INF")
    write_non_dicom(cd / "VIEWER" / "VIEWER.EXE", b"MZ\x90\x00" + bytes(4096))
    write_non_dicom(cd / "README.TXT", b"Open VIEWER.EXE to see the images.\r\n")
    return {
        "legacy": write_bare_data_set(study.paths[-1], cd / "OLDIMG", implicit_vr=True),
        "truncated": write_truncated(study.paths[0], cd / "BROKEN", keep=2000),
        "empty": write_non_dicom(cd / "EMPTY", b""),
    }


def new_dossier(ortif: Ortif) -> str:
    created = ortif(
        "--profile",
        "requester",
        "--json",
        "dossier",
        "create",
        "--to",
        TO_OUTSIDER,
        *PATIENT,
    )
    assert created.exit_code == 0, created.stderr
    return str(created.json()["id"])


def test_the_cd_of_the_issue_is_added_whole(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(
        tmp_path / "src", patient_name="LEFÈVRE^Hélène", patient_id="PID-CD-12", series=2
    )
    files = hospital_cd(study, tmp_path / "cd")
    ortif.login(REQUESTER, "requester")
    ortif.login(OUTSIDER, "correspondent")
    dossier = new_dossier(ortif)
    receipt = tmp_path / "receipt.json"
    add = ["exam", "add", dossier, "--dir", str(tmp_path / "cd"), "--receipt", str(receipt)]
    human = ortif("--profile", "requester", *add)
    assert human.exit_code == 0, human.stderr
    assert f"{files['legacy']}: legacy file without a DICOM file header" in human.stderr
    assert f"{files['truncated']}: truncated" in human.stderr
    assert f"{files['empty']}: empty file" in human.stderr
    assert (
        "6 images sent" in human.stderr and "4 non-DICOM files skipped" in human.stderr
    )  # and DICOMDIR
    document = json.loads(receipt.read_text())
    assert document["complete"] and [w["path"] for w in document["wrapped_files"]] == [
        str(files["legacy"])
    ]
    unreadable = {Path(f["path"]).name: f["reason"] for f in document["unreadable_files"]}
    assert set(unreadable) == {"BROKEN", "EMPTY"}

    assert ortif("--profile", "requester", "dossier", "send", dossier).exit_code == 0
    pulled = ortif(
        "--profile", "correspondent", "dossier", "pull", dossier, "--out", str(tmp_path / "got")
    )
    assert pulled.exit_code == 0, pulled.stderr
    got = {dcmread(p).SOPInstanceUID: p for p in (tmp_path / "got").rglob("*.dcm")}
    assert len(got) == 6
    uid = study.sop_instance_uids[-1]
    header = file_header(CT_IMAGE, uid, IMPLICIT_VR, WRAPPER_VERSION_NAME)
    expected = header + files["legacy"].read_bytes()
    assert got[uid].read_bytes() == expected  # wrapped, never re-encoded


def test_a_file_refused_for_good_exits_6_with_the_reason(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "src", patient_name="LEFÈVRE^Hélène", patient_id="PID-CD-12")
    files = hospital_cd(study, tmp_path / "cd")
    other = write_study(
        tmp_path / "other", patient_id="PID-CD-12", series=1, instances_per_series=1
    )
    write_without_transfer_syntax(other.paths[0], tmp_path / "cd" / "NOSYNTAX")
    ortif.login(REQUESTER, "requester")
    dossier = new_dossier(ortif)
    added = ortif(
        "--profile", "requester", "--json", "exam", "add", dossier, "--dir", str(tmp_path / "cd")
    )
    assert added.exit_code == 6, added.stderr
    assert "NOSYNTAX: not DICOM (no transfer syntax in the file meta information)" in added.stderr
    assert "again to resume" not in added.stderr
    summary = added.json()
    assert [Path(r["path"]).name for r in summary["refused"]] == ["NOSYNTAX"]
    assert {Path(f["path"]).name for f in summary["unreadable_files"]} == {"BROKEN", "EMPTY"}
    assert [w["path"] for w in summary["wrapped_files"]] == [str(files["legacy"])]
    shown = ortif("--profile", "requester", "--json", "dossier", "show", dossier).json()
    attached = [e["study_instance_uid"] for step in shown["steps"] for e in step["exams"]]
    assert attached == [study.study_instance_uid]  # the complete study; not the refused one
