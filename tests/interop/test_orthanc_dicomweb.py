"""Orthanc's DICOMweb plugin (Debian `orthanc-dicomweb`), unchanged, with the platform
configured as a remote DICOMweb server: push a study from Orthanc to the platform, query
it from Orthanc, retrieve it back into Orthanc; native, JPEG Baseline and JPEG Lossless."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydicom import Dataset

from ortif_cli.localserver import free_port
from tests.interop.dicomweb_platform import Platform, exchanged_study, platform

__all__ = ["platform"]
ORTHANC = Path("/usr/sbin/Orthanc")
PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not PLUGIN.exists(), reason="Orthanc's DICOMweb plugin is not installed"),
]


@pytest.fixture(scope="module")
def orthanc(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Orthanc whose DICOMweb plugin knows the platform as the server "ortif"."""
    root = tmp_path_factory.mktemp("orthanc-dicomweb")
    port = free_port()
    remote = {
        "Url": f"{platform.dicomweb}/",
        "HttpHeaders": {"Authorization": f"Bearer {platform.token}"},
    }
    config = {
        "Name": "interop",
        "StorageDirectory": str(root / "db"),
        "IndexDirectory": str(root / "db"),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DefaultEncoding": "Utf8",
        "Plugins": [str(PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Servers": {"ortif": remote}},
    }
    (root / "config.json").write_text(json.dumps(config))
    log = (root / "orthanc.log").open("wb")
    process = subprocess.Popen(
        [str(ORTHANC), str(root / "config.json")],
        stdout=log,
        stderr=log,
        env={**os.environ, "TCP_NODELAY": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "Orthanc exited during start-up"
        try:
            if httpx.get(f"{url}/system", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("Orthanc did not start in time")


def _part10(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def study(orthanc: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The exchanged study, uploaded into Orthanc; its Orthanc ID and file digests."""
    files = [_part10(ds) for ds in exchanged_study(tmp_path_factory.mktemp("study"))]
    for data in files:
        httpx.post(f"{orthanc}/instances", content=data, timeout=30).raise_for_status()
    uid = _study_uid(files[0])
    return {"uid": uid, "files": files, "id": _orthanc_id(orthanc, uid)}


def _study_uid(data: bytes) -> str:
    from pydicom import dcmread

    return str(dcmread(io.BytesIO(data), stop_before_pixels=True).StudyInstanceUID)


def _orthanc_id(orthanc: str, uid: str) -> str:
    found = httpx.post(f"{orthanc}/tools/lookup", content=uid, timeout=30).json()
    [study] = [f["ID"] for f in found if f["Type"] == "Study"]
    return str(study)


def _digests(files: list[bytes]) -> list[str]:
    return sorted(hashlib.sha256(data).hexdigest() for data in files)


def _plugin(orthanc: str, action: str, body: dict[str, Any]) -> Any:
    answer = httpx.post(f"{orthanc}/dicom-web/servers/ortif/{action}", json=body, timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_push_query_and_retrieve(orthanc: str, platform: Platform, study: dict[str, Any]) -> None:
    uid, files = study["uid"], study["files"]
    _plugin(orthanc, "stow", {"Resources": [study["id"]]})
    headers = {"Authorization": f"Bearer {platform.token}"}
    on_platform = httpx.get(f"{platform.dicomweb}/studies/{uid}/instances", headers=headers)
    assert len(on_platform.json()) == len(files)
    [found] = _plugin(orthanc, "qido", {"Uri": "/studies", "Arguments": {"StudyInstanceUID": uid}})
    # Orthanc shows the answer in its own form: one "Value" string per attribute.
    assert found["00100010"]["Value"] == "INTEROP^Zoé"
    series = _plugin(orthanc, "qido", {"Uri": f"/studies/{uid}/series"})
    instances = _plugin(
        orthanc, "qido", {"Uri": "/instances", "Arguments": {"StudyInstanceUID": uid}}
    )
    assert len(instances) == len(files) and len(series) >= 3
    httpx.delete(f"{orthanc}/studies/{study['id']}").raise_for_status()
    _plugin(orthanc, "retrieve", {"Resources": [{"Study": uid}]})
    back = httpx.get(f"{orthanc}/studies/{_orthanc_id(orthanc, uid)}/instances").json()
    retrieved = [httpx.get(f"{orthanc}/instances/{i['ID']}/file").content for i in back]
    assert _digests(retrieved) == _digests(files), "Orthanc got the bytes it sent, unchanged"


def test_metadata_through_the_plugin(orthanc: str, study: dict[str, Any]) -> None:
    metadata = _plugin(orthanc, "get", {"Uri": f"/studies/{study['uid']}/metadata"})
    assert len(metadata) == len(study["files"])
    syntaxes = {m["00020010"]["Value"][0] for m in metadata}
    assert "1.2.840.10008.1.2.4.50" in syntaxes


def test_unknown_study_through_the_plugin(orthanc: str) -> None:
    answer = httpx.post(
        f"{orthanc}/dicom-web/servers/ortif/get",
        json={"Uri": "/studies/1.2.3.4/metadata"},
        timeout=60,
    )
    assert answer.status_code != 200
