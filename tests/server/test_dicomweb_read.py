"""QIDO-RS matching and WADO-RS retrieval, limited to what the caller may see."""

from __future__ import annotations

import email.parser
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydicom.uid import generate_uid

from tests.server.conftest import Server
from tests.server.dicom_files import ct_bytes
from tests.server.dossier_helpers import create_dossier, upload_study

Client = Callable[[str], httpx.Client]
MULTIPART = 'multipart/related; type="application/dicom"'


@pytest.fixture(scope="module")
def marker() -> str:
    return uuid.uuid4().hex[:8].upper()


@pytest.fixture
def study(signed_in: Client, marker: str) -> dict[str, Any]:
    """A two-instance study uploaded by alice, with a recognisable patient name."""
    study_uid = generate_uid()
    files = [
        ct_bytes(study_uid=study_uid, patient_name=f"MÜLLER{marker}^JOSÉ", description="CT HEAD")
        for _ in range(2)
    ]
    upload_study(signed_in("alice"), *files)
    return {"uid": study_uid, "files": files}


def _qido(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    answer = client.get("/dicomweb/studies", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/dicom+json")
    result: list[dict[str, Any]] = answer.json()
    return result


def _uids(datasets: list[dict[str, Any]]) -> list[str]:
    return [d["0020000D"]["Value"][0] for d in datasets]


def test_study_attributes(signed_in: Client, study: dict[str, Any]) -> None:
    [dataset] = _qido(signed_in("alice"), StudyInstanceUID=study["uid"])
    assert dataset["00100010"]["Value"] == [
        {"Alphabetic": dataset["00100010"]["Value"][0]["Alphabetic"]}
    ]
    assert dataset["00100020"]["Value"] == ["PID-1"]
    assert dataset["00080020"] == {"vr": "DA", "Value": ["20260102"]}
    assert dataset["00080061"]["Value"] == ["CT"]
    assert dataset["00081030"]["Value"] == ["CT HEAD"]
    assert dataset["00201208"]["Value"] == [2] and dataset["00201206"]["Value"] == [2]
    assert set(dataset) >= {"00100030", "00080030", "00080050"}


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"PatientName": "müller{m}*"}, True),
        ({"PatientName": "MULLER{m}^JOSE"}, True),
        ({"PatientName": "M?LLER{m}*"}, True),
        ({"PatientName": "MULLER{m}"}, False),
        ({"PatientID": "PID-1"}, True),
        ({"PatientID": "PID"}, False),
        ({"StudyDate": "20260101-20260103"}, True),
        ({"StudyDate": "20260102"}, True),
        ({"StudyDate": "-20260101"}, False),
        ({"StudyDate": "20260103-"}, False),
        ({"PatientBirthDate": "19700101"}, True),
        ({"ModalitiesInStudy": "MR\\CT"}, True),
        ({"ModalitiesInStudy": "MR"}, False),
        ({"StudyDescription": "CT*"}, True),
    ],
)
def test_matching(
    signed_in: Client, study: dict[str, Any], marker: str, params: dict[str, str], found: bool
) -> None:
    query = {k: v.format(m=marker) for k, v in params.items()}
    if "PatientName" not in query:
        query["PatientName"] = f"*{marker}*"
    assert (study["uid"] in _uids(_qido(signed_in("alice"), **query))) is found


def test_bad_dates_are_400(signed_in: Client) -> None:
    answer = signed_in("alice").get("/dicomweb/studies", params={"StudyDate": "yesterday"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "bad_request")


def test_others_see_a_study_through_a_dossier_only(
    server: Server, signed_in: Client, study: dict[str, Any]
) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    assert _qido(bob, StudyInstanceUID=study["uid"]) == []
    assert bob.get(f"/dicomweb/studies/{study['uid']}").status_code == 404
    assert bob.get(f"/dicomweb/studies/{study['uid']}/series").status_code == 404
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    alice.post(
        f"/api/v1/dossiers/{dossier['id']}/exams", json={"study_instance_uids": [study["uid"]]}
    )
    assert _uids(_qido(bob, StudyInstanceUID=study["uid"])) == [study["uid"]]


def test_series_and_instances(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    series = alice.get(f"/dicomweb/studies/{study['uid']}/series").json()
    assert len(series) == 2 and series[0]["00080060"]["Value"] == ["CT"]
    assert series[0]["00201209"]["Value"] == [1]
    series_uid = series[0]["0020000E"]["Value"][0]
    instances = alice.get(f"/dicomweb/studies/{study['uid']}/series/{series_uid}/instances").json()
    [instance] = instances
    assert set(instance) >= {"00080018", "00080016", "00200013"}


def _parts(answer: httpx.Response) -> list[bytes]:
    head = f"Content-Type: {answer.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser().parsebytes(head + answer.content)
    parts: list[Any] = message.get_payload()  # type: ignore[assignment]
    return [part.get_payload(decode=True) for part in parts]


def test_wado_returns_the_files_unchanged(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    answer = alice.get(f"/dicomweb/studies/{study['uid']}", headers={"Accept": MULTIPART})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("multipart/related")
    digests = sorted(hashlib.sha256(p).hexdigest() for p in _parts(answer))
    assert digests == sorted(hashlib.sha256(f).hexdigest() for f in study["files"])
    assert b"Content-Location: http" in answer.content


def test_wado_single_instance_as_application_dicom(
    signed_in: Client, study: dict[str, Any]
) -> None:
    alice = signed_in("alice")
    series = alice.get(f"/dicomweb/studies/{study['uid']}/series").json()
    series_uid = series[0]["0020000E"]["Value"][0]
    path = f"/dicomweb/studies/{study['uid']}/series/{series_uid}"
    [instance] = alice.get(f"{path}/instances").json()
    sop_uid = instance["00080018"]["Value"][0]
    answer = alice.get(f"{path}/instances/{sop_uid}", headers={"Accept": "application/dicom"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/dicom"
    assert answer.content in study["files"]
    assert answer.headers["etag"] == f'"{hashlib.sha256(answer.content).hexdigest()}"'
    assert len(_parts(alice.get(path, headers={"Accept": MULTIPART}))) == 1
    refused = alice.get(path, headers={"Accept": "image/jpeg"})
    assert refused.status_code == 406
