"""Look before sending: `exam show`, `exam add --series/--exclude-series`, `exam preview`;
and `exam create` with the patient options of `dossier create`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from ortif_cli.localserver import free_port
from tests.cli.test_exam_sources import JPEG
from tests.cli.test_pacs import TO_EXPERT, add_node
from tests.conftest import REQUESTER, Ortif
from tests.dicom_factory import QueryRetrieveSCP, write_study

PATIENT = ["--patient-name", "LEFÈVRE", "--patient-first-name", "Hélène"]
PATIENT += ["--patient-id", "PID-001", "--patient-birth-date", "1970-02-14"]
SYNTAXES = {
    1: ("MR uncompressed", "1.2.840.10008.1.2.1"),
    2: ("MR JPEG Lossless", "1.2.840.10008.1.2.4.70"),
    3: ("MR RLE", "1.2.840.10008.1.2.5"),
    4: ("MR JPEG 2000", "1.2.840.10008.1.2.4.90"),
}


def _series_file(source: str, study_uid: str, number: int, path: Path) -> Path:
    """pydicom's MR_small as series `number` of one study of LEFÈVRE Hélène, 3 images."""
    ds = dcmread(get_testdata_file(source))
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, generate_uid()
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "LEFÈVRE^Hélène", "PID-001", "19700214"
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SeriesNumber, ds.SeriesDescription = number, SYNTAXES[number][0]
    ds.StudyDate, ds.StudyDescription = "20261120", "IRM"
    path.mkdir(parents=True)
    for index in range(3):
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.InstanceNumber = index + 1
        ds.save_as(path / f"IM{index}.dcm", enforce_file_format=True)
    return path


@pytest.fixture(scope="module")
def cd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CD of one MR study whose four series are stored in four transfer syntaxes.

    JPEG Lossless and RLE are encoded by dcmtk (dcmcjpeg, dcmcrle); JPEG 2000 is
    pydicom's own test file.
    """
    root = tmp_path_factory.mktemp("cd") / "DICOM"
    study = generate_uid()
    plain = _series_file("MR_small.dcm", study, 1, root / "S1")
    for number, tool in ((2, ["dcmcjpeg", "--encode-lossless-sv1"]), (3, ["dcmcrle"])):
        folder = _series_file("MR_small.dcm", study, number, root / f"S{number}")
        for path in folder.iterdir():
            subprocess.run([*tool, str(path), str(path)], check=True, capture_output=True)
    _series_file("MR_small_jp2klossless.dcm", study, 4, root / "S4")
    assert dcmread(next(plain.iterdir())).file_meta.TransferSyntaxUID == SYNTAXES[1][1]
    for number in (2, 3, 4):
        first = dcmread(next((root / f"S{number}").iterdir()), stop_before_pixels=True)
        assert first.file_meta.TransferSyntaxUID == SYNTAXES[number][1]
    return root


@pytest.fixture
def scp(cd: Path) -> Iterator[QueryRetrieveSCP]:
    server = QueryRetrieveSCP(cd).start()
    yield server
    server.stop()


def study_uid(cd: Path) -> str:
    return str(dcmread(next((cd / "S1").iterdir()), stop_before_pixels=True).StudyInstanceUID)


def _rows(document: dict[str, object]) -> list[tuple[object, ...]]:
    series = document["series"]
    assert isinstance(series, list)
    return [(s["series_number"], s["series_description"], s["instance_count"]) for s in series]


EXPECTED = [(n, SYNTAXES[n][0], 3) for n in (1, 2, 3, 4)]


# exam show ------------------------------------------------------------------------------
def test_show_a_cd(ortif: Ortif, cd: Path) -> None:
    shown = ortif("--json", "exam", "show", "--dir", str(cd))
    assert shown.exit_code == 0, shown.stderr
    document = shown.json()
    assert _rows(document) == EXPECTED
    assert document["study"]["patient_name"] == "LEFÈVRE^Hélène"
    assert all(s["size"] > 0 for s in document["series"])
    table = ortif("exam", "show", "--dir", str(cd))
    assert "MR JPEG Lossless" in table.stdout and "LEFÈVRE Hélène" in table.stderr


def test_show_on_a_pacs(ortif: Ortif, cd: Path, scp: QueryRetrieveSCP) -> None:
    add_node(ortif, scp.port)
    shown = ortif("--json", "exam", "show", "--pacs", "hop", "--study", study_uid(cd))
    assert shown.exit_code == 0, shown.stderr
    assert _rows(shown.json()) == EXPECTED
    assert all(s["size"] is None for s in shown.json()["series"])
    assert scp.sent == []  # looking moves no image


def test_show_needs_the_study_on_a_pacs(ortif: Ortif, scp: QueryRetrieveSCP) -> None:
    add_node(ortif, scp.port)
    assert ortif("exam", "show", "--pacs", "hop").exit_code == 2
    missing = ortif("exam", "show", "--pacs", "hop", "--study", "1.2.3.4")
    assert missing.exit_code == 5, missing.stderr


def test_show_a_folder_of_two_studies_asks_which(ortif: Ortif, cd: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(cd, tmp_path / "two" / "a")
    write_study(tmp_path / "two" / "b", patient_name="DUPONT^José")
    result = ortif("exam", "show", "--dir", str(tmp_path / "two"))
    assert result.exit_code == 2, result.stderr
    assert "2 studies" in result.stderr and study_uid(cd) in result.stderr
    chosen = ortif(
        "--json", "exam", "show", "--dir", str(tmp_path / "two"), "--study", study_uid(cd)
    )
    assert chosen.exit_code == 0, chosen.stderr
    assert _rows(chosen.json()) == EXPECTED


# exam add --series ------------------------------------------------------------------------
def new_dossier(ortif: Ortif) -> int:
    ortif.login(REQUESTER)
    created = ortif("--json", "dossier", "create", "--to", TO_EXPERT, *PATIENT)
    assert created.exit_code == 0, created.stderr
    return int(created.json()["id"])


def test_add_some_series_of_a_cd(ortif: Ortif, cd: Path) -> None:
    dossier = new_dossier(ortif)
    uid = study_uid(cd)
    s2 = ortif("--json", "exam", "show", "--dir", str(cd)).json()["series"][1]
    add = ["--json", "exam", "add", str(dossier), "--dir", str(cd)]
    chosen = ortif(*add, "--series", "1", "--series", s2["series_instance_uid"])
    assert chosen.exit_code == 0, chosen.stderr
    assert chosen.json()["sent"] == 6 and chosen.json()["studies"] == [uid]
    rest = ortif(*add, "--exclude-series", "1,2,3")
    assert rest.exit_code == 0, rest.stderr
    assert rest.json()["sent"] == 3 and rest.json()["already_present"] == 0


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--series", "7"], "no series 7"),
        (["--exclude-series", "1,2,3,4"], "No series left"),
    ],
)
def test_a_wrong_series_choice_exits_2(ortif: Ortif, cd: Path, flags: list[str], said: str) -> None:
    dossier = new_dossier(ortif)
    result = ortif("exam", "add", str(dossier), "--dir", str(cd), *flags)
    assert result.exit_code == 2, result.stderr
    assert said in result.stderr and "1 MR MR uncompressed" in result.stderr


def test_series_from_the_platform_is_refused(ortif: Ortif, cd: Path) -> None:
    dossier = new_dossier(ortif)
    local = ["--local", "--study", study_uid(cd), "--series", "1"]
    result = ortif("exam", "add", str(dossier), *local)
    assert result.exit_code == 2, result.stderr
    assert "attached whole" in result.stderr


@pytest.mark.parametrize("retrieve", ["get", "move"])
def test_add_some_series_from_a_pacs_retrieves_only_those(
    ortif: Ortif, tmp_path: Path, retrieve: str
) -> None:
    study = write_study(tmp_path / "pacs", series=4, instances_per_series=2)
    move_port = free_port()
    server = QueryRetrieveSCP(study.paths[0].parents[1], move_destinations={
        "ORTIF": ("127.0.0.1", move_port)}).start()  # fmt: skip
    try:
        add_node(ortif, server.port, "--retrieve", retrieve, "--move-port", str(move_port))
        dossier = new_dossier(ortif)
        add = ["--json", "exam", "add", str(dossier), "--pacs", "hop"]
        result = ortif(*add, "--study", study.study_instance_uid, "--series", "2,4")
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    assert result.json()["sent"] == 4 and len(server.sent) == 4
    wanted = {str(dcmread(p).SOPInstanceUID) for p in study.paths if p.parent.name[-1] in "24"}
    assert set(server.sent) == wanted


# exam preview ------------------------------------------------------------------------------
def _tiles_with_an_image(sheet: Path, count: int) -> int:
    """How many of the first `count` tiles hold something else than black."""
    from ortif_cli.dicom.contact_sheet import COLUMNS, HEADER_HEIGHT, LABEL_HEIGHT, MARGIN, TILE

    image = Image.open(sheet).convert("L")
    shown = 0
    for index in range(count):
        x = MARGIN + (index % COLUMNS) * (TILE + MARGIN)
        y = HEADER_HEIGHT + MARGIN + (index // COLUMNS) * (TILE + LABEL_HEIGHT + MARGIN)
        low, high = image.crop((x, y, x + TILE, y + TILE)).getextrema()
        shown += high - low > 100
    return shown


def test_preview_of_a_cd_decodes_every_syntax(ortif: Ortif, cd: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.png"
    result = ortif("--json", "exam", "preview", "--dir", str(cd), "--out", str(sheet))
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["without_image"] == [] and document["fetched"] == 0
    assert [s["series_number"] for s in document["series"]] == [1, 2, 3, 4]
    assert _tiles_with_an_image(sheet, 4) == 4


@pytest.mark.parametrize("retrieve", ["get", "move"])
def test_preview_from_a_pacs_retrieves_one_image_per_series(
    ortif: Ortif, cd: Path, tmp_path: Path, retrieve: str
) -> None:
    move_port = free_port()
    destinations = {"ORTIF": ("127.0.0.1", move_port)}
    server = QueryRetrieveSCP(cd, move_destinations=destinations).start()
    sheet = tmp_path / "pacs.png"
    uid = study_uid(cd)
    try:
        add_node(ortif, server.port, "--retrieve", retrieve, "--move-port", str(move_port))
        result = ortif("exam", "preview", "--pacs", "hop", "--study", uid, "--out", str(sheet))
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    middles = {str(dcmread(cd / f"S{n}" / "IM1.dcm").SOPInstanceUID) for n in range(1, 5)}
    assert sorted(server.sent) == sorted(middles)
    assert _tiles_with_an_image(sheet, 4) == 4


def test_preview_from_the_platform(ortif: Ortif, cd: Path, tmp_path: Path) -> None:
    dossier = new_dossier(ortif)
    assert ortif("exam", "add", str(dossier), "--dir", str(cd)).exit_code == 0
    sheet = tmp_path / "local.png"
    uid = study_uid(cd)
    result = ortif("--json", "exam", "preview", "--local", "--study", uid, "--out", str(sheet))
    assert result.exit_code == 0, result.stderr
    assert result.json()["fetched"] == 4
    assert _tiles_with_an_image(sheet, 4) == 4


def test_preview_without_the_extra_says_which_to_install(
    ortif: Ortif, cd: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pylibjpeg", None)  # as if it were not installed
    sheet = tmp_path / "sheet.png"
    result = ortif("exam", "preview", "--dir", str(cd), "--out", str(sheet))
    assert result.exit_code == 2, result.stderr
    assert "pip install 'ortif[preview]'" in result.stderr and "pylibjpeg" in result.stderr
    assert not sheet.exists()


def test_a_series_without_pixels_gets_a_blank_tile(ortif: Ortif, tmp_path: Path) -> None:
    from ortif_cli.dicom.wrap import WrapPatient, wrap_files

    (tmp_path / "p.jpg").write_bytes(JPEG)
    (tmp_path / "r.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    patient = WrapPatient("DUPONT", "P2")
    wrap_files([tmp_path / "p.jpg", tmp_path / "r.pdf"], tmp_path / "cd", patient, "Mixed")
    sheet = tmp_path / "sheet.png"
    result = ortif("--json", "exam", "preview", "--dir", str(tmp_path / "cd"), "--out", str(sheet))
    assert result.exit_code == 0, result.stderr
    assert len(result.json()["without_image"]) == 1
    assert "no image to show" in result.stderr


# exam create: one set of patient options -----------------------------------------------
def test_exam_create_takes_the_dossier_patient_options(ortif: Ortif, tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(JPEG)
    out = tmp_path / "out"
    options = [*PATIENT, "--patient-sex", "F", "--patient-id-issuer", "CHU-LYON"]
    result = ortif(
        "exam", "create", "--description", "Photo", "--out", str(out), *options,
        str(tmp_path / "photo.jpg"),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    ds = dcmread(next(out.rglob("*.dcm")))
    assert str(ds.PatientName) == "LEFÈVRE^Hélène" and ds.PatientSex == "F"
    assert ds.PatientBirthDate == "19700214" and ds.IssuerOfPatientID == "CHU-LYON"


def test_exam_create_keeps_the_old_last_caret_first(ortif: Ortif, tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(JPEG)
    out = tmp_path / "out"
    old = ["--patient-name", "DUPONT^José", "--patient-id", "P2"]
    result = ortif("exam", "create", "--description", "P", "--out", str(out), *old,
                   str(tmp_path / "photo.jpg"))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert str(dcmread(next(out.rglob("*.dcm"))).PatientName) == "DUPONT^José"


def test_exam_create_checks_the_ins_rules(ortif: Ortif, tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(JPEG)
    ins = ["--patient-ins", "270017512345678"]  # without a qualified identity
    result = ortif("exam", "create", "--description", "P", "--out", str(tmp_path / "o"),
                   *PATIENT, *ins, str(tmp_path / "photo.jpg"))  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "qualified" in result.stderr
