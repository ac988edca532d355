"""Against a real Orthanc (Debian package), started as a plain process with a test config."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ortif_cli.dicom import pacs
from ortif_cli.dicom.query import StudyQuery
from ortif_cli.localserver import free_port
from ortif_cli.pacs_nodes import PacsNode
from tests.conftest import PATIENCE
from tests.dicom_factory import write_study

ORTHANC = Path("/usr/sbin/Orthanc")
pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not ORTHANC.exists(), reason="Orthanc is not installed"),
]


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PacsNode, str]]:
    root = tmp_path_factory.mktemp("orthanc")
    dicom_port, http_port = free_port(), free_port()
    config = {
        "Name": "test",
        "StorageDirectory": str(root / "db"),
        "IndexDirectory": str(root / "db"),
        "DicomAet": "ORTHANC",
        "DicomPort": dicom_port,
        "HttpPort": http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DefaultEncoding": "Utf8",
        "DicomAlwaysAllowGet": True,
        "DicomAlwaysAllowFind": True,
        "DicomAlwaysAllowEcho": True,
        "DicomModalities": {},
        "Plugins": [],
    }
    (root / "config.json").write_text(json.dumps(config))
    env = {**os.environ, "TCP_NODELAY": "1"}
    process = subprocess.Popen(
        [str(ORTHANC), str(root / "config.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                httpx.get(f"{url}/system", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "Orthanc did not start"
                time.sleep(0.1)
        yield PacsNode("orthanc", "127.0.0.1", dicom_port, "ORTHANC", "ORTIF"), url
    finally:
        process.terminate()
        process.wait(10)


def upload(url: str, paths: list[Path]) -> None:
    for path in paths:
        httpx.post(f"{url}/instances", content=path.read_bytes(), timeout=10).raise_for_status()


@pytest.mark.parametrize("charset", ["ISO_IR 100", "ISO_IR 192"])
def test_find_and_get_from_orthanc(
    orthanc: tuple[PacsNode, str], tmp_path: Path, charset: str
) -> None:
    node, url = orthanc
    names = ["LEFÈVRE^Hélène", "N'GUYEN^Anh", "DUPONT^José"]
    written = {}
    for name in names:
        study = write_study(tmp_path / name.replace("^", "_"), patient_name=name, charset=charset)
        upload(url, study.paths)
        written[name] = study
    assert pacs.echo(node) > 0
    for name, study in written.items():
        matches = pacs.find_studies(node, StudyQuery(study_instance_uid=study.study_instance_uid))
        assert [m.patient_name for m in matches] == [name]
        assert matches[0].instance_count == 6
    study = written["DUPONT^José"]
    staging = tmp_path / "staging"
    staging.mkdir()
    got = pacs.get_study(node, study.study_instance_uid, staging, lambda path: None)
    assert len(got.received) == 6
    from pydicom import dcmread

    originals = {dcmread(p).PixelData for p in study.paths}
    received = [dcmread(p) for p in got.received]
    assert {ds.PixelData for ds in received} == originals
    assert {str(ds.file_meta.TransferSyntaxUID) for ds in received} == {"1.2.840.10008.1.2.1"}


def test_store_instances_into_orthanc(orthanc: tuple[PacsNode, str], tmp_path: Path) -> None:
    node, url = orthanc
    study = write_study(tmp_path / "s", patient_name="BŒUF^Zoé", charset="ISO_IR 192")
    report = pacs.store_instances(node, study.paths)
    assert report.ok and sorted(report.stored) == sorted(study.sop_instance_uids)
    found = httpx.post(
        f"{url}/tools/find",
        json={"Level": "Study", "Query": {"StudyInstanceUID": study.study_instance_uid}},
    ).json()
    assert len(found) == 1


def test_series_of_a_study_and_one_series_retrieved(
    orthanc: tuple[PacsNode, str], tmp_path: Path
) -> None:
    from pydicom import dcmread

    from ortif_cli.dicom.pacs_series import find_series

    node, url = orthanc
    study = write_study(tmp_path / "s", patient_name="MARTIN^Léa", series=3, instances_per_series=2)
    upload(url, study.paths)
    series = find_series(node, study.study_instance_uid)
    assert [(s.series_number, s.series_description, s.instance_count) for s in series] == [
        (n, f"SERIES {n}", 2) for n in (1, 2, 3)
    ]
    chosen = [series[0].series_instance_uid, series[2].series_instance_uid]
    staging = tmp_path / "staging"
    staging.mkdir()
    got = pacs.get_study(node, study.study_instance_uid, staging, lambda p: None, chosen)
    assert len(got.received) == 4
    assert {str(dcmread(p).SeriesInstanceUID) for p in got.received} == set(chosen)
