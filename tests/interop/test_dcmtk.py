"""Against dcmtk: `storescp` (C-STORE SCP) and `dcmqrscp` (Query/Retrieve SCP)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydicom import dcmread

from ortif_cli.dicom import pacs
from ortif_cli.dicom.query import StudyQuery
from ortif_cli.localserver import free_port
from ortif_cli.pacs_nodes import PacsNode
from tests.conftest import PATIENCE
from tests.dicom_factory import write_study

STORESCP, DCMQRSCP, DCMQRIDX = "/usr/bin/storescp", "/usr/bin/dcmqrscp", "/usr/bin/dcmqridx"
NAMES = ["LEFÈVRE^Hélène", "N'GUYEN^Anh", "DUPONT^José"]
pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not Path(DCMQRSCP).exists(), reason="dcmtk is not installed"),
]
ENV = {**os.environ, "TCP_NODELAY": "1"}


def wait_listening(port: int) -> None:
    import socket

    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def test_store_instances_into_storescp(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "received"
    out.mkdir()
    process = subprocess.Popen(
        [STORESCP, "-aet", "STORESCP", "-od", str(out), str(port)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(port)
        study = write_study(tmp_path / "s", patient_name="LEFÈVRE^Hélène", charset="ISO_IR 100")
        node = PacsNode("scp", "127.0.0.1", port, "STORESCP")
        report = pacs.store_instances(node, study.paths)
    finally:
        process.terminate()
        process.wait(10)
    assert report.ok and len(report.stored) == 6
    received = {str(dcmread(p).SOPInstanceUID) for p in out.iterdir()}
    assert received == set(study.sop_instance_uids)


@contextmanager
def running_dcmqrscp(root: Path, files: list[str], *options: str) -> Iterator[tuple[int, int]]:
    """dcmqrscp (16 KB PDUs) serving `files` as DCMQRSCP; yields its port and move port."""
    database = root / "db"
    database.mkdir()
    port, move_port = free_port(), free_port()
    config = root / "dcmqrscp.cfg"
    config.write_text(
        f"NetworkTCPPort = {port}\nMaxPDUSize = 16384\nMaxAssociations = 16\n"
        f"HostTable BEGIN\nortif = (ORTIF, 127.0.0.1, {move_port})\nHostTable END\n"
        "VendorTable BEGIN\nVendorTable END\n"
        f"AETable BEGIN\nDCMQRSCP {database} RW (200, 1024mb) ANY\nAETable END\n"
    )
    subprocess.run([DCMQRIDX, str(database), *files], check=True, capture_output=True)
    process = subprocess.Popen(
        [DCMQRSCP, *options, "-c", str(config), str(port)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(port)
        yield port, move_port
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def dcmqrscp(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[PacsNode, dict[str, str], int]]:
    root = tmp_path_factory.mktemp("dcmqrscp")
    uids = {}
    files = []
    for charset in ("ISO_IR 100", "ISO_IR 192"):
        for n, name in enumerate(NAMES):
            study = write_study(
                root / f"{charset[-3:]}{n}", patient_name=name, patient_id=f"P{n}", charset=charset
            )
            uids[f"{name}|{charset}"] = study.study_instance_uid
            files += [str(p) for p in study.paths]
    with running_dcmqrscp(root, files) as (port, move_port):
        yield PacsNode("qr", "127.0.0.1", port, "DCMQRSCP"), uids, move_port


@pytest.mark.parametrize("charset", ["ISO_IR 100", "ISO_IR 192"])
@pytest.mark.parametrize("name", NAMES)
def test_find_names_in_both_charsets(
    dcmqrscp: tuple[PacsNode, dict[str, str], int], name: str, charset: str
) -> None:
    node, uids, _ = dcmqrscp
    uid = uids[f"{name}|{charset}"]
    (match,) = pacs.find_studies(node, StudyQuery(study_instance_uid=uid))
    assert match.patient_name == name


def test_get_from_dcmqrscp(dcmqrscp: tuple[PacsNode, dict[str, str], int], tmp_path: Path) -> None:
    node, uids, _ = dcmqrscp
    uid = uids["DUPONT^José|ISO_IR 192"]
    listing = pacs.find_instances(node, uid)
    assert listing is not None and len(listing) == 6
    got = pacs.get_instances(node, uid, listing, tmp_path, lambda path: None)
    assert len(got.received) == 6


def test_move_from_dcmqrscp(dcmqrscp: tuple[PacsNode, dict[str, str], int], tmp_path: Path) -> None:
    base, uids, move_port = dcmqrscp
    node = PacsNode("qr", base.host, base.port, "DCMQRSCP", "ORTIF", "move", move_port)
    got = pacs.move_study(node, uids["N'GUYEN^Anh|ISO_IR 100"], tmp_path, lambda p: None, 6, 2.0)
    assert len(got.received) == 6 and got.completed == 6


def test_cd_indexed_by_dcmmkdir_is_found_by_birth_date(tmp_path: Path) -> None:
    """dcmmkdir's PATIENT records carry no birth date: it is read from a file instead."""
    import shutil

    from tests.conftest import Ortif

    cd = tmp_path / "cd"
    (cd / "DICOM").mkdir(parents=True)
    for number, name in enumerate(NAMES[:2]):
        study = write_study(
            tmp_path / f"s{number}",
            patient_name=name,
            patient_id=f"P{number}",
            charset="ISO_IR 100",
            birth_date="19700214",
        )
        for index, path in enumerate(study.paths):
            shutil.copy(path, cd / "DICOM" / f"IM{number}{index:05d}")
    subprocess.run(["/usr/bin/dcmmkdir", "+r", "+id", str(cd), "-Pgp", "DICOM"],
                   cwd=cd, check=True, capture_output=True)  # fmt: skip
    (cd / "AUTORUN.INF").write_text("[autorun]\n")
    found = Ortif()("exam", "find", "--dir", str(cd), "--birth-date", "14/02/1970", "--csv")
    assert found.exit_code == 0, found.stderr
    rows = found.stdout.splitlines()
    assert rows[0].startswith("patient_name,patient_id,birth_date")
    assert sorted(r.split(",")[0] for r in rows[1:]) == sorted(NAMES[:2])
    assert all(",1970-02-14," in r for r in rows[1:])


def test_series_of_a_study_and_one_series_retrieved(
    dcmqrscp: tuple[PacsNode, dict[str, str], int], tmp_path: Path
) -> None:
    """dcmqrscp keeps no Series Description and gives no NumberOfSeriesRelatedInstances:
    the series are listed without description, their images counted at IMAGE level."""
    from ortif_cli.dicom.pacs_series import find_series

    node, uids, _ = dcmqrscp
    uid = uids["LEFÈVRE^Hélène|ISO_IR 192"]
    series = find_series(node, uid)
    assert [(s.series_number, s.instance_count) for s in series] == [(1, 3), (2, 3)]
    assert [s.series_description for s in series] == [None, None]
    second = series[1].series_instance_uid
    got = pacs.get_study(node, uid, tmp_path, lambda p: None, [second])
    assert len(got.received) == 3 and got.completed == 3
    assert {str(dcmread(p).SeriesInstanceUID) for p in got.received} == {second}


def test_a_pacs_accepting_implicit_vr_only(tmp_path: Path) -> None:
    """`dcmqrscp +xi` takes only Implicit VR Little Endian of what we propose: queries and
    retrievals go on in it, the images converted by the PACS, pixels unchanged."""
    study = write_study(tmp_path / "s", patient_name="DUPONT^José")
    with running_dcmqrscp(tmp_path, [str(p) for p in study.paths], "+xi") as (port, _):
        node = PacsNode("qr", "127.0.0.1", port, "DCMQRSCP")
        with pacs.associate(node, [(pacs.STUDY_ROOT_FIND, pacs.QUERY_SYNTAXES)]) as assoc:
            assert [c.transfer_syntax for c in assoc.contexts.values()] == [pacs.IMPLICIT_LE]
        (match,) = pacs.find_studies(node, StudyQuery(study_instance_uid=study.study_instance_uid))
        assert match.patient_name == "DUPONT^José"
        staging = tmp_path / "staging"
        staging.mkdir()
        got = pacs.get_study(node, match.study_instance_uid, staging, lambda p: None)
    assert len(got.received) == 6
    received = [dcmread(p) for p in got.received]
    assert {str(ds.file_meta.TransferSyntaxUID) for ds in received} == {pacs.IMPLICIT_LE}
    assert {ds.PixelData for ds in received} == {dcmread(p).PixelData for p in study.paths}
