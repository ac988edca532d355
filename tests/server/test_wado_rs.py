"""WADO-RS metadata, frames, bulk data, rendered and thumbnail (PS3.18 10.4), over a live
server, for native, JPEG Baseline and JPEG Lossless instances."""

from __future__ import annotations

import email.parser
import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import numpy
import pytest
from PIL import Image
from pydicom import dcmread
from pydicom.uid import generate_uid

from tests.dicom_codecs import DCMCJPEG, jpeg_baseline, jpeg_lossless, native_frames, pattern
from tests.server.conftest import Server
from tests.server.dossier_helpers import upload_study

Client = Callable[[str], httpx.Client]
OCTET = 'multipart/related; type="application/octet-stream"'


@pytest.fixture(scope="module")
def study(server: Server) -> Iterator[dict[str, Any]]:
    """One study: a 3-frame native image, a JPEG Baseline and (with dcmtk) a JPEG Lossless."""
    uid = generate_uid()
    baseline, jpeg_stream = jpeg_baseline(uid)
    files = {"native": native_frames(uid), "baseline": baseline}
    if DCMCJPEG:
        files["lossless"] = jpeg_lossless(uid)
    with server.client("alice") as alice:
        upload_study(alice, *files.values())
    urls = {}
    for name, data in files.items():
        ds = dcmread(io.BytesIO(data))
        urls[name] = (
            f"/dicomweb/studies/{uid}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
        )
    yield {"uid": uid, "files": files, "urls": urls, "jpeg": jpeg_stream}


def parts(answer: httpx.Response) -> list[tuple[str, bytes]]:
    assert answer.status_code == 200, answer.text
    head = f"Content-Type: {answer.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser().parsebytes(head + answer.content)
    payload: list[Any] = message.get_payload()  # type: ignore[assignment]
    return [(p["Content-Type"], p.get_payload(decode=True)) for p in payload]


def test_series_metadata_has_the_header_and_a_bulk_data_uri(
    signed_in: Client, study: dict[str, Any]
) -> None:
    alice = signed_in("alice")
    series_url = study["urls"]["native"].rsplit("/instances/", 1)[0]
    answer = alice.get(f"{series_url}/metadata")
    assert answer.headers["content-type"] == "application/dicom+json"
    [instance] = answer.json()
    assert instance["00280008"]["Value"] == [3] and instance["00280010"]["Value"] == [8]
    assert instance["00020010"]["Value"] == ["1.2.840.10008.1.2.1"]
    uri = instance["7FE00010"]["BulkDataURI"]
    assert uri == f"{alice.base_url}{study['urls']['native']}/bulk/7FE00010".replace("//d", "/d")
    bulk = parts(alice.get(uri, headers={"Accept": OCTET}))
    assert [len(data) for _, data in bulk] == [128, 128, 128]


def test_study_and_instance_metadata(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    every = alice.get(f"/dicomweb/studies/{study['uid']}/metadata").json()
    assert len(every) == len(study["files"])
    [one] = alice.get(study["urls"]["baseline"] + "/metadata").json()
    assert one["00020010"]["Value"] == ["1.2.840.10008.1.2.4.50"]
    assert (
        alice.get(
            study["urls"]["baseline"] + "/metadata", headers={"Accept": "image/png"}
        ).status_code
        == 406
    )


def test_native_frames_are_read_by_offset(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    got = parts(alice.get(study["urls"]["native"] + "/frames/3,1", headers={"Accept": OCTET}))
    assert [numpy.frombuffer(data, "<u2")[0] for _, data in got] == [3000, 1000]
    assert got[0][0] == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"


def test_compressed_frame_as_stored_or_decoded(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    url = study["urls"]["baseline"] + "/frames/1"
    ohif = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
    [(kind, data)] = parts(alice.get(url, headers={"Accept": ohif}))
    assert kind == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.50"
    assert data == study["jpeg"]
    [(kind, data)] = parts(
        alice.get(url, headers={"Accept": 'multipart/related; type="image/jpeg"'})
    )
    assert kind == "image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50" and data == study["jpeg"]
    [(kind, data)] = parts(alice.get(url, headers={"Accept": OCTET}))
    decoded = numpy.frombuffer(data, numpy.uint8).reshape(48, 64)
    assert numpy.abs(decoded.astype(int) - pattern()).max() < 10
    refused = alice.get(url, headers={"Accept": 'multipart/related; type="image/jp2"'})
    assert refused.status_code == 406


@pytest.mark.skipif(not DCMCJPEG, reason="dcmtk is not installed")
def test_jpeg_lossless_frame_decodes_exactly(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    [(_, data)] = parts(
        alice.get(study["urls"]["lossless"] + "/frames/1", headers={"Accept": OCTET})
    )
    assert (numpy.frombuffer(data, "<u2").reshape(48, 64) == pattern().astype("<u2") * 16).all()


@pytest.mark.parametrize("name", ["native", "baseline", "lossless"])
def test_rendered_shows_the_pattern(signed_in: Client, study: dict[str, Any], name: str) -> None:
    if name not in study["urls"]:
        pytest.skip("dcmtk is not installed")
    alice = signed_in("alice")
    answer = alice.get(study["urls"][name] + "/rendered", headers={"Accept": "image/png"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    image = numpy.asarray(Image.open(io.BytesIO(answer.content)))
    if name != "native":
        assert image[0, 0] < image[0, -1] < image[-1, 0] < image[-1, -1]


def test_rendered_windowing_and_viewport(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    url = study["urls"]["native"]
    # Window 2000/2000 of the header: frame 1 (1000) is at the bottom, frame 3 (3000) at the top.
    first = alice.get(url + "/frames/1/rendered", headers={"Accept": "image/png"})
    third = alice.get(url + "/frames/3/rendered", headers={"Accept": "image/png"})
    assert numpy.asarray(Image.open(io.BytesIO(first.content))).max() == 0
    assert numpy.asarray(Image.open(io.BytesIO(third.content))).min() == 255
    mid = alice.get(
        url + "/frames/2/rendered", params={"window": "2000,100"}, headers={"Accept": "image/png"}
    )
    assert 120 < numpy.asarray(Image.open(io.BytesIO(mid.content))).mean() < 135
    jpeg = alice.get(study["urls"]["baseline"] + "/rendered", params={"viewport": "32,32"})
    assert jpeg.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(jpeg.content)).size == (32, 24)


@pytest.mark.parametrize("level", ["study", "series", "instance"])
def test_thumbnails(signed_in: Client, study: dict[str, Any], level: str) -> None:
    url = study["urls"]["baseline"]
    url = {
        "study": f"/dicomweb/studies/{study['uid']}",
        "series": url.rsplit("/instances/", 1)[0],
    }.get(level, url)
    answer = signed_in("alice").get(url + "/thumbnail")
    assert answer.status_code == 200, answer.text
    assert max(Image.open(io.BytesIO(answer.content)).size) <= 128


@pytest.mark.parametrize(
    ("path", "headers", "params", "status"),
    [
        ("/frames/9", {}, {}, 404),
        ("/frames/0", {}, {}, 400),
        ("/frames/x", {}, {}, 400),
        ("/frames/1", {"Accept": "text/html"}, {}, 406),
        ("/rendered", {"Accept": "image/gif"}, {}, 406),
        ("/rendered", {}, {"window": "a,b"}, 400),
        ("/rendered", {}, {"viewport": "0,10"}, 400),
        ("/rendered", {}, {"quality": "0"}, 400),
        ("/bulk/00100010", {}, {}, 404),
        ("/bulk/7FE00010", {"Accept": "text/html"}, {}, 406),
    ],
)
def test_failures(
    signed_in: Client,
    study: dict[str, Any],
    path: str,
    headers: dict[str, str],
    params: dict[str, str],
    status: int,
) -> None:
    answer = signed_in("alice").get(study["urls"]["native"] + path, headers=headers, params=params)
    assert answer.status_code == status, answer.text


@pytest.mark.parametrize(
    "suffix", ["/metadata", "/frames/1", "/rendered", "/thumbnail", "/bulk/7FE00010"]
)
def test_unknown_and_invisible_are_404(
    signed_in: Client, study: dict[str, Any], suffix: str
) -> None:
    url = study["urls"]["native"]
    assert signed_in("eve").get(url + suffix).status_code == 404
    unknown = url.rsplit("/", 1)[0] + "/" + generate_uid()
    assert signed_in("alice").get(unknown + suffix).status_code == 404


def test_retrieve_as_stored_and_no_transcoding(signed_in: Client, study: dict[str, Any]) -> None:
    alice = signed_in("alice")
    url = study["urls"]["baseline"]
    as_stored = 'multipart/related; type="application/dicom"; transfer-syntax=*'
    assert parts(alice.get(url, headers={"Accept": as_stored}))[0][1] == study["files"]["baseline"]
    same = 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50'
    assert parts(alice.get(url, headers={"Accept": same}))[0][1] == study["files"]["baseline"]
    other = 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1'
    assert alice.get(url, headers={"Accept": other}).status_code == 406
    everything = alice.get(f"/dicomweb/studies/{study['uid']}", headers={"Accept": as_stored})
    assert sorted(data for _, data in parts(everything)) == sorted(study["files"].values())


def test_large_files_are_sent_whole(signed_in: Client) -> None:
    """Files over the 1 MB item size go in chunks, small ones gathered: bytes unchanged."""
    alice, uid = signed_in("alice"), generate_uid()
    files = [native_frames(uid, frames=3, side=512), native_frames(uid), native_frames(uid)]
    upload_study(alice, *files)
    answer = alice.get(f"/dicomweb/studies/{uid}", headers={"Accept": "multipart/related"})
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert sorted(data for _, data in parts(answer)) == sorted(files)
