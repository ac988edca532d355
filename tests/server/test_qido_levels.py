"""QIDO-RS at every level (PS3.18 10.6): studies, series, instances, within a study or
across the visible ones; includefield, limit/offset, fuzzy, wildcard and range matching."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid
from sqlalchemy import update

from ortif_server.db import create_db_engine
from ortif_server.models import Instance
from tests.dicom_codecs import jpeg_baseline, native_frames
from tests.server.conftest import Server
from tests.server.dicom_files import ct_bytes
from tests.server.dossier_helpers import upload_study

Client = Callable[[str], httpx.Client]


@pytest.fixture(scope="module")
def study(server: Server) -> Iterator[dict[str, Any]]:
    """Two CT instances in two series, a 3-frame image and a JPEG, one patient name."""
    uid, marker = generate_uid(), uuid.uuid4().hex[:8].upper()
    name = f"QIDO{marker}^ANNE"
    files = [ct_bytes(study_uid=uid, patient_name=name) for _ in range(2)]
    files += [native_frames(uid), jpeg_baseline(uid)[0]]
    with server.client("alice") as alice:
        upload_study(alice, *files)
    sops = [str(dcmread(io.BytesIO(f)).SOPInstanceUID) for f in files]
    yield {"uid": uid, "marker": marker, "sops": sops, "files": files}


def search(client: httpx.Client, path: str, **params: str) -> list[dict[str, Any]]:
    answer = client.get(f"/dicomweb{path}", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/dicom+json"
    found: list[dict[str, Any]] = answer.json()
    return found


def values(datasets: list[dict[str, Any]], tag: str) -> list[Any]:
    return [d[tag]["Value"][0] if "Value" in d[tag] else None for d in datasets]


def test_study_level_has_what_viewers_need(signed_in: Client, study: dict[str, Any]) -> None:
    [found] = search(signed_in("alice"), "/studies", StudyInstanceUID=study["uid"])
    assert found["00201206"]["Value"] == [4] and found["00201208"]["Value"] == [4]
    assert found["00080061"]["Value"] == ["CT", "OT"]
    assert found["00081190"]["Value"][0].endswith(f"/dicomweb/studies/{study['uid']}")


def test_every_level(signed_in: Client, study: dict[str, Any]) -> None:
    alice, uid = signed_in("alice"), study["uid"]
    in_study = search(alice, f"/studies/{uid}/series")
    assert len(in_study) == 4 and values(in_study, "00201209") == [1, 1, 1, 1]
    across = search(alice, "/series", StudyInstanceUID=uid)
    assert values(across, "0020000E") == values(in_study, "0020000E")
    assert values(across, "00100010")[0] == {"Alphabetic": f"QIDO{study['marker']}^ANNE"}
    series_uid = values(in_study, "0020000E")[0]
    instances = search(alice, f"/studies/{uid}/instances")
    assert sorted(values(instances, "00080018")) == sorted(study["sops"])
    assert len(search(alice, "/instances", StudyInstanceUID=uid)) == 4
    [one] = search(alice, f"/studies/{uid}/series/{series_uid}/instances")
    assert one["00080018"]["Value"][0] in study["sops"]


def test_instance_attributes(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    [multi] = search(alice, "/instances", SOPInstanceUID=study["sops"][2])
    assert (multi["00280010"]["Value"], multi["00280011"]["Value"]) == ([8], [8])
    assert multi["00280008"]["Value"] == [3]
    [jpeg] = search(alice, "/instances", **{"00080018": study["sops"][3]})
    assert jpeg["00083002"]["Value"] == ["1.2.840.10008.1.2.4.50"]
    assert jpeg["00280010"]["Value"] == [48] and jpeg["00280008"]["Value"] == [1]


def test_instances_stored_before_the_columns_are_filled_from_their_file(
    server: Server, signed_in: Client, study: dict[str, Any]
) -> None:
    engine = create_db_engine(server.settings.effective_database_url)
    with engine.begin() as connection:
        connection.execute(
            update(Instance)
            .where(Instance.sop_instance_uid == study["sops"][2])
            .values(rows=None, columns=None, number_of_frames=None)
        )
    engine.dispose()
    [multi] = search(signed_in("alice"), "/instances", SOPInstanceUID=study["sops"][2])
    assert multi["00280008"]["Value"] == [3] and multi["00280011"]["Value"] == [8]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"Modality": "CT"}, 2),
        ({"Modality": "C?"}, 2),
        ({"Modality": "MR"}, 0),
        ({"SeriesDescription": "*"}, 4),
        ({"00080060": "OT"}, 2),
        ({"StudyDate": "20260101-20260102"}, 4),
        ({"StudyDate": "20260103-"}, 0),
        ({"PatientName": "qido{m}*"}, 4),
        ({"PatientName": "ANNE", "fuzzymatching": "true"}, 4),
        ({"PatientName": "ANNE", "fuzzymatching": "false"}, 0),
        ({"limit": "1"}, 1),
        ({"offset": "3"}, 1),
        ({"limit": "2", "offset": "1"}, 2),
    ],
)
def test_series_matching(
    signed_in: Client, study: dict[str, Any], params: dict[str, str], count: int
) -> None:
    query = {k: v.format(m=study["marker"]) for k, v in params.items()}
    assert len(search(signed_in("alice"), f"/studies/{study['uid']}/series", **query)) == count


def test_includefield(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    every = alice.get(
        "/dicomweb/studies", params={"StudyInstanceUID": study["uid"], "includefield": "all"}
    )
    assert every.status_code == 200 and "warning" not in every.headers
    known = alice.get(
        "/dicomweb/studies",
        params=[
            ("StudyInstanceUID", study["uid"]),
            ("includefield", "00081030"),
            ("includefield", "StudyDescription,00201206"),
        ],
    )
    assert known.status_code == 200 and "warning" not in known.headers
    unknown = alice.get(
        "/dicomweb/studies",
        params={
            "StudyInstanceUID": study["uid"],
            "includefield": "BodyPartExamined",
            "ReferringPhysicianName": "X",
        },
    )
    assert unknown.status_code == 200 and len(unknown.json()) == 1
    assert unknown.headers["warning"].startswith("299 ")
    assert "BodyPartExamined" in unknown.headers["warning"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "x"},
        {"offset": "-1"},
        {"fuzzymatching": "maybe"},
        {"NotAnAttribute": "1"},
        {"SeriesNumber": "one"},
        {"StudyDate": "20260199"},
    ],
)
def test_bad_parameters_are_400(
    signed_in: Client, study: dict[str, Any], params: dict[str, str]
) -> None:
    answer = signed_in("alice").get("/dicomweb/series", params=params)
    assert answer.status_code == 400, answer.text


def test_what_others_cannot_see(signed_in: Client, study: dict[str, Any]) -> None:
    eve, uid = signed_in("eve"), study["uid"]
    assert search(eve, "/series", StudyInstanceUID=uid) == []
    assert search(eve, "/instances", StudyInstanceUID=uid) == []
    assert eve.get(f"/dicomweb/studies/{uid}/instances").status_code == 404
    series_uid = values(search(signed_in("alice"), f"/studies/{uid}/series"), "0020000E")[0]
    assert eve.get(f"/dicomweb/studies/{uid}/series/{series_uid}/instances").status_code == 404
    assert (
        signed_in("alice").get(f"/dicomweb/studies/{generate_uid()}/instances").status_code == 404
    )
