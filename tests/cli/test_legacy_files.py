"""`exam add --dir` with legacy files (wrapped, never re-encoded), refusals and broken files."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread

from ortif_cli.dicom.file_meta import PREAMBLE, file_header
from ortif_cli.dicom.part10 import WRAPPER_VERSION_NAME as WRAP
from tests.conftest import REQUESTER, Ortif
from tests.dicom_factory import (
    write_bare_data_set,
    write_cd_image,
    write_in_syntax,
    write_study,
    write_truncated,
    write_without_transfer_syntax,
)

TO_EXPERT = "CHU Lyon/Neuroradiologie/MARTIN"
PATIENT = ["--patient-name", "LEFÈVRE", "--patient-id", "PID-001"]
PATIENT += ["--patient-birth-date", "1970-02-14"]
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT, EXPLICIT = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_dossier(ortif: Ortif) -> str:
    ortif.login(REQUESTER)
    return str(ortif("--json", "dossier", "create", "--to", TO_EXPERT, *PATIENT).json()["id"])


def add(ortif: Ortif, dossier: str, folder: Path, receipt: Path) -> tuple[int, Any, str]:
    result = ortif(
        "--json", "exam", "add", dossier, "--dir", str(folder), "--receipt", str(receipt)
    )
    return result.exit_code, json.loads(result.stdout or "null"), result.stderr


def test_legacy_files_are_wrapped_never_re_encoded(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "src", series=1, instances_per_series=4)
    cd = tmp_path / "cd"
    implicit = write_bare_data_set(study.paths[0], cd / "IM0", implicit_vr=True)
    explicit = write_bare_data_set(study.paths[1], cd / "IM1", implicit_vr=False)
    no_preamble = cd / "IM2"
    no_preamble.write_bytes(study.paths[2].read_bytes()[132:])
    (cd / "IM3").write_bytes(study.paths[3].read_bytes())
    write_truncated(study.paths[3], cd / "CUT", keep=1000)
    (cd / "EMPTY").write_bytes(b"")
    dossier = new_dossier(ortif)
    code, summary, stderr = add(ortif, dossier, cd, tmp_path / "receipt.json")
    assert code == 0, stderr
    assert summary["sent"] == 4 and summary["refused"] == [] and summary["failed"] == []
    wrapped = {Path(f["path"]).name: f["framing"] for f in summary["wrapped_files"]}
    assert wrapped == {"IM0": "no_file_meta", "IM1": "no_file_meta", "IM2": "no_preamble"}
    unreadable = {Path(f["path"]).name: f["reason"] for f in summary["unreadable_files"]}
    assert unreadable["EMPTY"] == "empty file" and "truncated" in unreadable["CUT"]
    receipt = json.loads((tmp_path / "receipt.json").read_text())
    assert receipt["wrapped_files"] == summary["wrapped_files"] and receipt["complete"]
    by_uid = {i["sop_instance_uid"]: i for i in receipt["instances"]}
    uids = study.sop_instance_uids
    expected = {
        uids[0]: file_header(CT_IMAGE, uids[0], IMPLICIT, WRAP) + implicit.read_bytes(),
        uids[1]: file_header(CT_IMAGE, uids[1], EXPLICIT, WRAP) + explicit.read_bytes(),
        uids[2]: PREAMBLE + no_preamble.read_bytes(),
        uids[3]: study.paths[3].read_bytes(),
    }
    for uid, data in expected.items():
        assert by_uid[uid]["server_sha256"] == sha256(data)
        assert by_uid[uid]["wrapped"] == (uid != uids[3])
    code, again, stderr = add(ortif, new_dossier(ortif), cd, tmp_path / "again.json")
    assert code == 0 and again["sent"] == 0 and again["already_present"] == 4, stderr


def test_legacy_files_are_named_in_the_human_report(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "src", series=1, instances_per_series=1)
    write_bare_data_set(study.paths[0], tmp_path / "cd" / "IMAGE", implicit_vr=True)
    (tmp_path / "cd" / "EMPTY").write_bytes(b"")
    result = ortif("exam", "add", new_dossier(ortif), "--dir", str(tmp_path / "cd"))
    assert result.exit_code == 0, result.stderr
    assert "IMAGE: legacy file without a DICOM file header, sent wrapped in one." in result.stderr
    assert "EMPTY: empty file" in result.stderr


@pytest.mark.skipif(not shutil.which("dcmconv"), reason="dcmtk is not installed")
@pytest.mark.parametrize("option", ["+tb", "+td"])
def test_big_endian_and_deflated_files_are_sent_as_they_are(
    ortif: Ortif, tmp_path: Path, option: str
) -> None:
    study = write_study(tmp_path / "src", series=1, instances_per_series=1)
    copy = write_in_syntax(study.paths[0], tmp_path / "cd" / "IMAGE", option)
    code, summary, stderr = add(ortif, new_dossier(ortif), tmp_path / "cd", tmp_path / "r.json")
    assert code == 0, stderr
    assert summary["sent"] == 1 and summary["wrapped_files"] == []
    (instance,) = json.loads((tmp_path / "r.json").read_text())["instances"]
    assert instance["server_sha256"] == sha256(copy.read_bytes())


def test_an_instance_refused_for_good_exits_6_with_its_reason(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "cd", series=1, instances_per_series=2)
    write_without_transfer_syntax(study.paths[1], study.paths[1])
    (tmp_path / "cd" / "EMPTY").write_bytes(b"")
    dossier = new_dossier(ortif)
    code, summary, stderr = add(ortif, dossier, tmp_path / "cd", tmp_path / "r.json")
    assert code == 6, stderr
    assert "no transfer syntax" in stderr and "again to resume" not in stderr
    (refused,) = summary["refused"]
    assert refused["path"] == str(study.paths[1]) and "no transfer syntax" in refused["reason"]
    assert [Path(f["path"]).name for f in summary["unreadable_files"]] == ["EMPTY"]
    assert summary["failed"] == [] and summary["sent"] == 1
    assert json.loads((tmp_path / "r.json").read_text())["complete"] is False
    shown = ortif("--json", "dossier", "show", dossier).json()
    assert not any(step["exams"] for step in shown["steps"])  # the study is not complete


def test_other_bytes_under_a_stored_uid_are_refused(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "cd", series=1, instances_per_series=2)
    assert add(ortif, new_dossier(ortif), tmp_path / "cd", tmp_path / "r.json")[0] == 0
    ds = dcmread(study.paths[0])
    ds.SeriesDescription = "edited elsewhere"
    ds.save_as(study.paths[0])
    code, summary, stderr = add(ortif, new_dossier(ortif), tmp_path / "cd", tmp_path / "r.json")
    assert code == 6, stderr
    (refused,) = summary["refused"]
    assert "different bytes" in refused["reason"]


def test_a_cd_image_is_uploaded_in_place_legacy_file_wrapped(ortif: Ortif, tmp_path: Path) -> None:
    study = write_study(tmp_path / "src", series=1, instances_per_series=3)
    cd = tmp_path / "cd"
    for number, path in enumerate(study.paths[:2]):
        (cd / "IMAGES").mkdir(parents=True, exist_ok=True)
        (cd / "IMAGES" / f"IM{number}").write_bytes(path.read_bytes())
    write_bare_data_set(study.paths[2], cd / "IMAGES" / "OLD", implicit_vr=True)
    (cd / "README.TXT").write_text("Open VIEWER.EXE")
    image = write_cd_image(cd, tmp_path / "exam.iso", joliet=False)
    code, summary, stderr = add(ortif, new_dossier(ortif), image, tmp_path / "r.json")
    assert code == 0, stderr
    assert summary["sent"] == 3 and summary["skipped_files"] == 1
    (wrapped,) = summary["wrapped_files"]
    assert wrapped["path"] == f"{image}!IMAGES/OLD.;1"
    instances = json.loads((tmp_path / "r.json").read_text())["instances"]
    by_uid = {i["sop_instance_uid"]: i["server_sha256"] for i in instances}
    data = study.paths[0].read_bytes()
    assert by_uid[study.sop_instance_uids[0]] == sha256(data)
