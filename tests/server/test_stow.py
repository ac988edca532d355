"""STOW-RS ingest, instance lookup and attaching exams to dossiers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx
from pydicom.uid import generate_uid

from tests.server.conftest import Server
from tests.server.dicom_files import ct_bytes, multipart, stow_instances, without
from tests.server.dossier_helpers import create_dossier

Client = Callable[[str], httpx.Client]


def stow(client: httpx.Client, parts: list[bytes]) -> httpx.Response:
    body, content_type = multipart(parts)
    return client.post("/dicomweb/studies", content=body, headers={"Content-Type": content_type})


def statuses(answer: httpx.Response) -> list[Any]:
    return [(i["status"], i["reason"]) for i in stow_instances(answer)]


def test_stored_then_already_present(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    study_uid = generate_uid()
    files = [ct_bytes(study_uid) for _ in range(3)]
    first = stow(alice, files)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/dicom+json"
    instances = stow_instances(first)
    assert [i["status"] for i in instances] == ["stored"] * 3
    for data, instance in zip(files, instances, strict=True):
        digest = hashlib.sha256(data).hexdigest()
        assert instance["sha256"] == digest
        assert instance["study_instance_uid"] == study_uid
        assert instance["reason"] is None
        blob = server.data_dir / "blobs" / digest[:2] / digest[2:4] / digest
        assert blob.read_bytes() == data
    again = stow(alice, files[:1])
    assert again.status_code == 200
    assert statuses(again) == [("already_present", None)]
    assert list((server.data_dir / "tmp").iterdir()) == []


def test_answer_is_a_ps3_18_dataset(server: Server, signed_in: Client) -> None:
    study_uid = generate_uid()
    data = ct_bytes(study_uid)
    answer = stow(signed_in("alice"), [data]).json()
    assert answer["00081190"]["Value"] == [f"{server.url}/dicomweb/studies/{study_uid}"]
    [item] = answer["00081199"]["Value"]
    assert item["00081150"]["Value"] == ["1.2.840.10008.5.1.4.1.1.2"]
    assert item["00081155"]["Value"] == [_sop_uid(data)]
    assert item["00081190"]["Value"][0].endswith(f"/instances/{_sop_uid(data)}")
    assert item["00770010"] == {"vr": "LO", "Value": ["ORTIF 1.0"]}
    assert item["00771001"]["Value"] == ["STORED"]
    assert item["00771002"]["Value"] == [hashlib.sha256(data).hexdigest()]
    assert "00081198" not in answer


def test_refusals(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    good = ct_bytes()
    stow(alice, [good]).raise_for_status()
    sop_uid = _sop_uid(good)
    parts = [
        b"this is not a DICOM file" * 20,
        good[:-100],  # cut inside Pixel Data
        good[:400],  # cut inside the header
        without(ct_bytes(), "SOPInstanceUID"),
        without(ct_bytes(), "StudyInstanceUID"),
        ct_bytes(sop_uid=sop_uid, description="OTHER BYTES"),
        ct_bytes(),
    ]
    answer = stow(alice, parts)
    assert answer.status_code == 202
    assert statuses(answer)[0] == ("stored", None)
    reasons = [reason for _, reason in statuses(answer)[1:]]
    assert reasons[0].startswith("not DICOM")
    assert reasons[1].startswith("truncated")
    assert reasons[2].startswith("truncated")
    assert reasons[3] == "no SOP Instance UID"
    assert reasons[4] == "no Study Instance UID"
    assert reasons[5] == "SOP Instance UID already stored with different bytes"
    assert stow_instances(answer)[1]["sop_instance_uid"] is None
    assert stow_instances(answer)[6]["sop_instance_uid"] == sop_uid
    failed = answer.json()["00081198"]["Value"]
    assert [item["00081197"]["Value"][0] for item in failed] == [0xC000] * 5 + [0x0111]
    assert list((server.data_dir / "tmp").iterdir()) == []


def test_all_refused_is_409(signed_in: Client) -> None:
    answer = stow(signed_in("alice"), [b"garbage" * 100])
    assert answer.status_code == 409
    assert statuses(answer)[0][0] == "refused"


def test_same_uid_twice_in_one_request(signed_in: Client) -> None:
    data = ct_bytes()
    other = ct_bytes(sop_uid=_sop_uid(data), description="DIFFERENT")
    answer = stow(signed_in("alice"), [data, data, other])
    assert [s for s, _ in statuses(answer)] == ["stored", "already_present", "refused"]


def test_bad_requests(signed_in: Client) -> None:
    alice = signed_in("alice")
    wrong_type = alice.post(
        "/dicomweb/studies", content=b"x", headers={"Content-Type": "image/png"}
    )
    assert wrong_type.status_code == 415
    assert wrong_type.json()["error"]["code"] == "unsupported_media_type"
    no_boundary = alice.post(
        "/dicomweb/studies", content=b"x", headers={"Content-Type": "multipart/related"}
    )
    assert no_boundary.status_code == 400
    body, content_type = multipart([ct_bytes()])
    cut = alice.post(
        "/dicomweb/studies", content=body[:-300], headers={"Content-Type": content_type}
    )
    assert cut.status_code == 400
    assert cut.json()["error"]["code"] == "bad_request"
    unauthenticated = httpx.post(str(alice.base_url.join("/dicomweb/studies")), content=body)
    assert unauthenticated.status_code == 401


def test_lookup_reports_what_the_caller_uploaded(signed_in: Client) -> None:
    alice, eve = signed_in("alice"), signed_in("eve")
    data = ct_bytes()
    stow(alice, [data]).raise_for_status()
    uids = [_sop_uid(data), generate_uid()]
    present = alice.post("/api/v1/instances/lookup", json={"sop_instance_uids": uids}).json()
    assert present == {
        "present": [{"sop_instance_uid": uids[0], "sha256": hashlib.sha256(data).hexdigest()}]
    }
    hidden = eve.post("/api/v1/instances/lookup", json={"sop_instance_uids": uids}).json()
    assert hidden == {"present": []}
    too_many = alice.post("/api/v1/instances/lookup", json={"sop_instance_uids": ["1"] * 1001})
    assert too_many.status_code == 422
    # PostgreSQL cannot search for a NUL character: the client's error, not the server's.
    nul = alice.post("/api/v1/instances/lookup", json={"sop_instance_uids": ["1.2\x00"]})
    assert nul.status_code in (200, 400), nul.text
    assert nul.status_code == 200 or nul.json()["error"]["code"] == "bad_request"


def test_attach_exams(server: Server, signed_in: Client) -> None:
    alice, bob = signed_in("alice"), signed_in("bob")
    study_uid = generate_uid()
    stow(alice, [ct_bytes(study_uid), ct_bytes(study_uid)]).raise_for_status()
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    url = f"/api/v1/dossiers/{dossier['id']}"
    body = {"study_instance_uids": [study_uid, study_uid]}
    attached = alice.post(f"{url}/exams", json=body)
    assert attached.status_code == 200
    [exam] = attached.json()["steps"][0]["exams"]
    assert exam["study_instance_uid"] == study_uid
    assert (exam["instance_count"], exam["modalities"]) == (2, ["CT"])
    assert (exam["patient_name"], exam["patient_id"]) == ("DOE^JOHN", "PID-1")
    assert (exam["patient_birth_date"], exam["study_date"]) == ("1970-01-01", "2026-01-02")
    assert alice.post(f"{url}/exams", json=body).json()["steps"][0]["exams"] == [exam]
    unknown = alice.post(f"{url}/exams", json={"study_instance_uids": [generate_uid()]})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["message"].startswith("study_instance_uids")
    assert bob.post(f"{url}/exams", json=body).status_code == 403
    alice.post(f"{url}/send").raise_for_status()
    lookup = bob.post("/api/v1/instances/lookup", json={"sop_instance_uids": []})
    assert lookup.status_code == 200
    bob.post(f"{url}/steps", json={"kind": "ack"}).raise_for_status()
    closed = alice.post(f"{url}/exams", json=body)
    assert closed.status_code == 409
    assert closed.json()["error"]["code"] == "invalid_state"


def test_study_not_uploaded_by_the_caller_cannot_be_attached(
    server: Server, signed_in: Client
) -> None:
    study_uid = generate_uid()
    stow(signed_in("eve"), [ct_bytes(study_uid)]).raise_for_status()
    alice = signed_in("alice")
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    answer = alice.post(
        f"/api/v1/dossiers/{dossier['id']}/exams", json={"study_instance_uids": [study_uid]}
    )
    assert answer.status_code == 422


def _sop_uid(data: bytes) -> str:
    import io

    from pydicom import dcmread

    return str(dcmread(io.BytesIO(data)).SOPInstanceUID)


def test_store_into_a_named_study(signed_in: Client) -> None:
    alice, study_uid = signed_in("alice"), generate_uid()
    body, content_type = multipart([ct_bytes(study_uid), ct_bytes()])
    answer = alice.post(
        f"/dicomweb/studies/{study_uid}", content=body, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 202
    assert [s for s, _ in statuses(answer)] == ["stored", "refused"]
    assert answer.json()["00081198"]["Value"][0]["00081197"]["Value"] == [0xA900]


def test_no_one_adds_to_a_study_they_may_not_see(server: Server, signed_in: Client) -> None:
    """A study's UID is no secret (it is printed on reports): knowing it must not let an
    uploader see the study, nor slip an image into it."""
    alice, bob, eve = signed_in("alice"), signed_in("bob"), signed_in("eve")
    study_uid = generate_uid()
    original = ct_bytes(study_uid)
    stow(alice, [original]).raise_for_status()

    intruder = stow(eve, [ct_bytes(study_uid, patient_name="EVE^FAKE"), original])
    assert intruder.status_code == 409
    assert [status for status, _ in statuses(intruder)] == ["refused", "refused"]
    failed = intruder.json()["00081198"]["Value"]
    assert [item["00081197"]["Value"] for item in failed] == [[0x0124], [0x0124]]
    assert "another uploader" in statuses(intruder)[0][1]
    assert eve.get(f"/dicomweb/studies/{study_uid}/metadata").status_code == 404
    found = eve.get("/dicomweb/studies", params={"StudyInstanceUID": study_uid})
    assert found.status_code == 204 or found.json() == []
    assert len(alice.get(f"/dicomweb/studies/{study_uid}/metadata").json()) == 1

    # Bob sees the study through the dossier Alice sent him: he may add his report to it.
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    attach = {"study_instance_uids": [study_uid]}
    alice.post(f"/api/v1/dossiers/{dossier['id']}/exams", json=attach).raise_for_status()
    alice.post(f"/api/v1/dossiers/{dossier['id']}/send").raise_for_status()
    assert [s for s, _ in statuses(stow(bob, [ct_bytes(study_uid)]))] == ["stored"]
    assert [s for s, _ in statuses(stow(alice, [original]))] == ["already_present"]
