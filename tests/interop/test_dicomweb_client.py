"""The reference Python DICOMweb client (dicomweb-client, PyPI), unchanged, against the
platform: store, search at every level, retrieve study, series, instance, metadata,
frames, bulk data and rendered images; and the errors it meets."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from PIL import Image
from pydicom import Dataset
from pydicom.uid import generate_uid

from tests.dicom_codecs import pattern
from tests.interop.dicomweb_platform import Platform, exchanged_study, platform
from tests.server.conftest import password

__all__ = ["platform"]
pytestmark = pytest.mark.interop
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


def client_for(platform: Platform, token: str | None = None) -> DICOMwebClient:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token or platform.token}"
    return DICOMwebClient(url=platform.dicomweb, session=session)


@pytest.fixture(scope="module")
def stored(
    platform: Platform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    datasets = exchanged_study(tmp_path_factory.mktemp("study"))
    answer = client_for(platform).store_instances(datasets)
    yield {"datasets": datasets, "answer": answer, "uid": datasets[0].StudyInstanceUID}


def header(metadata: dict[str, Any]) -> Dataset:
    """The data set of a metadata answer, without its bulk data (read apart)."""
    return Dataset.from_json({k: v for k, v in metadata.items() if "BulkDataURI" not in v})


def by_sop(datasets: list[Dataset]) -> dict[str, Dataset]:
    return {ds.SOPInstanceUID: ds for ds in datasets}


def test_store_answer_is_read_by_the_client(stored: dict[str, Any]) -> None:
    answer = stored["answer"]
    assert "FailedSOPSequence" not in answer
    referenced = {item.ReferencedSOPInstanceUID for item in answer.ReferencedSOPSequence}
    assert referenced == set(by_sop(stored["datasets"]))
    assert answer.RetrieveURL.endswith(f"/studies/{stored['uid']}")


def test_search_at_every_level(platform: Platform, stored: dict[str, Any]) -> None:
    client, uid = client_for(platform), stored["uid"]
    [study] = client.search_for_studies(
        search_filters={"PatientID": "PID-IO", "StudyInstanceUID": uid}
    )
    total = len(stored["datasets"])
    assert Dataset.from_json(study).NumberOfStudyRelatedInstances == total
    assert [
        Dataset.from_json(s).StudyInstanceUID
        for s in client.search_for_studies(
            fuzzymatching=True, search_filters={"PatientName": "interop"}
        )
    ] == [uid]
    series = client.search_for_series(uid)
    assert len(series) == len({ds.SeriesInstanceUID for ds in stored["datasets"]})
    assert len(client.search_for_series(search_filters={"StudyInstanceUID": uid})) == len(series)
    assert len(client.search_for_instances(uid)) == total
    assert len(client.search_for_instances(search_filters={"StudyInstanceUID": uid})) == total
    first = Dataset.from_json(series[0]).SeriesInstanceUID
    in_series = client.search_for_instances(uid, first, fields=["all"])
    assert {Dataset.from_json(i).Rows for i in in_series} == {32}
    assert len(client.search_for_instances(uid, limit=2, offset=1)) == 2


def test_retrieve_study_series_instance(platform: Platform, stored: dict[str, Any]) -> None:
    client, uid, sent = client_for(platform), stored["uid"], by_sop(stored["datasets"])
    got = by_sop(client.retrieve_study(uid))
    assert set(got) == set(sent)
    for sop, ds in got.items():
        assert ds.PixelData == sent[sop].PixelData
        assert ds.file_meta.TransferSyntaxUID == sent[sop].file_meta.TransferSyntaxUID
    some = stored["datasets"][0]
    series = client.retrieve_series(uid, some.SeriesInstanceUID)
    assert {ds.SeriesInstanceUID for ds in series} == {some.SeriesInstanceUID}
    one = client.retrieve_instance(uid, some.SeriesInstanceUID, some.SOPInstanceUID)
    assert one.SOPInstanceUID == some.SOPInstanceUID and one.PixelData == some.PixelData


def test_metadata_and_bulk_data(platform: Platform, stored: dict[str, Any]) -> None:
    client, uid = client_for(platform), stored["uid"]
    study = client.retrieve_study_metadata(uid)
    assert len(study) == len(stored["datasets"])
    some = stored["datasets"][0]
    series = client.retrieve_series_metadata(uid, some.SeriesInstanceUID)
    assert {header(m).SeriesInstanceUID for m in series} == {some.SeriesInstanceUID}
    meta = client.retrieve_instance_metadata(uid, some.SeriesInstanceUID, some.SOPInstanceUID)
    assert header(meta).PatientName == "INTEROP^Zoé"
    [pixels] = client.retrieve_bulkdata(meta["7FE00010"]["BulkDataURI"])
    assert pixels == some.PixelData


def test_frames(platform: Platform, stored: dict[str, Any]) -> None:
    """No media type (`*/*`): as stored; `application/octet-stream`: decoded if need be."""
    client, uid = client_for(platform), stored["uid"]
    native, jpeg = stored["datasets"][0], stored["datasets"][6]

    def frame(ds: Dataset, *media_types: Any) -> bytes:
        found = client.retrieve_instance_frames(
            uid, ds.SeriesInstanceUID, ds.SOPInstanceUID, [1], media_types=media_types or None
        )
        assert len(found) == 1
        data: bytes = found[0]
        return data

    assert frame(native) == frame(native, "application/octet-stream") == native.PixelData
    assert frame(jpeg).startswith(b"\xff\xd8")
    assert frame(jpeg, ("image/jpeg", JPEG_BASELINE)) == frame(jpeg)
    decoded = numpy.frombuffer(frame(jpeg, "application/octet-stream"), numpy.uint8)
    assert numpy.abs(decoded.reshape(48, 64).astype(int) - pattern()).max() < 10
    if len(stored["datasets"]) > 7:
        exact = frame(stored["datasets"][7], "application/octet-stream")
        assert (
            numpy.frombuffer(exact, "<u2").reshape(48, 64) == pattern().astype("<u2") * 16
        ).all()


def test_rendered(platform: Platform, stored: dict[str, Any]) -> None:
    client, uid = client_for(platform), stored["uid"]
    for ds in stored["datasets"][6:]:
        png = client.retrieve_instance_rendered(
            uid, ds.SeriesInstanceUID, ds.SOPInstanceUID, media_types=("image/png",)
        )
        image = numpy.asarray(Image.open(io.BytesIO(png)))
        assert image[0, 0] < image[0, -1] < image[-1, 0] < image[-1, -1]
    ct = stored["datasets"][0]
    jpeg = client.retrieve_instance_frames_rendered(
        uid, ct.SeriesInstanceUID, ct.SOPInstanceUID, [1], media_types=("image/jpeg",)
    )
    assert Image.open(io.BytesIO(jpeg)).size == (32, 32)


def test_errors_reach_the_client(
    platform: Platform, stored: dict[str, Any], tmp_path: Path
) -> None:
    client, uid = client_for(platform), stored["uid"]
    some = stored["datasets"][0]
    with pytest.raises(requests.HTTPError) as unknown:
        client.retrieve_study("1.2.3.4.5")
    assert unknown.value.response.status_code == 404
    stranger = client_for(platform, token="not-a-token")
    with pytest.raises(requests.HTTPError) as refused:
        stranger.search_for_studies()
    assert refused.value.response.status_code == 401
    with pytest.raises(requests.HTTPError) as missing_frame:
        client.retrieve_instance_frames(uid, some.SeriesInstanceUID, some.SOPInstanceUID, [2])
    assert missing_frame.value.response.status_code == 404
    with pytest.raises(requests.HTTPError) as bad:
        client.search_for_studies(search_filters={"StudyDate": "yesterday"})
    assert bad.value.response.status_code == 400
    # Another uploader who knows the study's UID may not add to it (0x0124, not authorized).
    eve = client_for(platform, _token(platform, "eve"))
    intruder = some.copy()
    intruder.SOPInstanceUID = intruder.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    with pytest.raises(requests.HTTPError) as not_yours:
        eve.store_instances([intruder])
    assert not_yours.value.response.status_code == 409
    [failed] = Dataset.from_json(not_yours.value.response.json()).FailedSOPSequence
    assert failed.FailureReason == 0x0124
    with pytest.raises(requests.HTTPError) as hidden:
        eve.retrieve_study_metadata(uid)
    assert hidden.value.response.status_code == 404


def _token(platform: Platform, username: str) -> str:
    credentials = {"username": username, "password": password(username)}
    answer = requests.post(f"{platform.url}/api/v1/session", json=credentials, timeout=30)
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token
