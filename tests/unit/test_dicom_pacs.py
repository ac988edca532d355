"""dicom.pacs against a pynetdicom Query/Retrieve SCP: compressed data kept as it arrived."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread

from ortif_cli.dicom import pacs
from ortif_cli.dicom.query import StudyQuery
from ortif_cli.dicom.wrap import WrapPatient, wrap_files
from ortif_cli.pacs_nodes import PacsNode
from tests.cli.test_exam_sources import JPEG
from tests.dicom_factory import QueryRetrieveSCP


@pytest.fixture
def jpeg_study(tmp_path: Path) -> Path:
    for n in range(3):
        (tmp_path / f"p{n}.jpg").write_bytes(JPEG)
    files = [tmp_path / f"p{n}.jpg" for n in range(3)]
    wrap_files(files, tmp_path / "pacs", WrapPatient("DUPONT", "PID-1", "José"), "Photos")
    return tmp_path / "pacs"


@pytest.fixture
def scp(jpeg_study: Path) -> Iterator[QueryRetrieveSCP]:
    server = QueryRetrieveSCP(jpeg_study).start()
    yield server
    server.stop()


def test_get_keeps_jpeg_as_received(
    scp: QueryRetrieveSCP, jpeg_study: Path, tmp_path: Path
) -> None:
    node = PacsNode("t", "127.0.0.1", scp.port, "TESTPACS")
    (match,) = pacs.find_studies(node, StudyQuery())
    staging = tmp_path / "staging"
    staging.mkdir()
    seen: list[Path] = []
    got = pacs.get_study(node, match.study_instance_uid, staging, seen.append)
    assert len(got.received) == 3 == len(seen) and got.completed == 3
    for path in got.received:
        ds = dcmread(path)
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
        assert path.read_bytes()[128:132] == b"DICM"
    originals = {dcmread(p).PixelData for p in jpeg_study.glob("*.dcm")}
    assert {dcmread(p).PixelData for p in got.received} == originals


def test_a_refusing_receiver_stops_the_retrieval(scp: QueryRetrieveSCP, tmp_path: Path) -> None:
    node = PacsNode("t", "127.0.0.1", scp.port, "TESTPACS")
    (match,) = pacs.find_studies(node, StudyQuery())

    def refuse(path: Path) -> None:
        raise pacs.StopRetrieval("no")

    with pytest.raises(Exception, match="no"):
        pacs.get_study(node, match.study_instance_uid, tmp_path, refuse)


def test_staging_is_private(isolated_env: Path) -> None:
    from ortif_cli.transfer import staging_dir

    folder = staging_dir("node", "uid")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700


def test_store_instances_to_an_scp(jpeg_study: Path, tmp_path: Path) -> None:
    from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt

    received: list[str] = []

    def handle(event: object) -> int:
        received.append(str(event.request.AffectedSOPInstanceUID))  # type: ignore[attr-defined]
        return 0

    ae = AE(ae_title="STORE")
    ae.add_supported_context("1.2.840.10008.5.1.4.1.1.7", ALL_TRANSFER_SYNTAXES)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, handle)]
    )
    try:
        node = PacsNode("s", "127.0.0.1", server.server_address[1], "STORE")
        paths = sorted(jpeg_study.glob("*.dcm"))
        junk = tmp_path / "junk.txt"
        junk.write_text("not dicom")
        progress: list[tuple[int, int]] = []
        report = pacs.store_instances(node, [*paths, junk], lambda n, b: progress.append((n, b)))
    finally:
        server.shutdown()
    assert sorted(report.stored) == sorted(received) and len(received) == 3
    assert [p for p, _ in report.failed] == [junk]
    assert progress[-1][0] == 4  # done: stored or failed


def test_tcp_nodelay_on_every_association(
    scp: QueryRetrieveSCP, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from ortif_cli.dicom import upper_layer

    seen: list[int] = []
    original = upper_layer.Association.__init__

    def spy(self: upper_layer.Association, sock: socket.socket, *args: Any) -> None:
        seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        original(self, sock, *args)

    monkeypatch.setattr(upper_layer.Association, "__init__", spy)
    pacs.echo(PacsNode("t", "127.0.0.1", scp.port, "TESTPACS"))
    assert seen == [1]


def test_uploads_are_retried_on_5xx_and_connection_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A platform that fails twice (a 503, then a dropped connection), then stores."""
    import hashlib
    import json

    import httpx

    from ortif_cli import transfer
    from ortif_cli.api.client import PlatformClient
    from ortif_cli.api.stow import UploadItem

    path = tmp_path / "x.dcm"
    path.write_bytes(b"DICM-bytes")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(503, json={"error": {"code": "x", "message": "busy"}})
        if len(calls) == 2:
            raise httpx.ConnectError("dropped")
        item = {
            "00081155": {"vr": "UI", "Value": ["1.2"]},
            "00770010": {"vr": "LO", "Value": ["ORTIF 1.0"]},
            "00771001": {"vr": "CS", "Value": ["STORED"]},
            "00771002": {"vr": "LO", "Value": [digest]},
        }
        body = {"00081199": {"vr": "SQ", "Value": [item]}}
        return httpx.Response(200, content=json.dumps(body))

    monkeypatch.setattr(transfer, "BACKOFF", 0.01)
    client = PlatformClient("http://platform.test", "t", transport=httpx.MockTransport(answer))
    with client:
        (outcome,) = transfer.store_with_retries(
            client, [UploadItem(path, "1.2", 10)], lambda n: None
        )
    assert outcome.ok and len(calls) == 3


def test_a_node_taking_one_association_at_a_time(jpeg_study: Path, tmp_path: Path) -> None:
    server = QueryRetrieveSCP(jpeg_study, max_associations=2).start()  # pynetdicom: 1 at once
    try:
        node = PacsNode("t", "127.0.0.1", server.port, "TESTPACS")
        (match,) = pacs.find_studies(node, StudyQuery())
        listing = pacs.find_instances(node, match.study_instance_uid)
        assert listing is not None and len(listing) == 3
        got = pacs.get_instances(node, match.study_instance_uid, listing, tmp_path, lambda p: None)
    finally:
        server.stop()
    assert len({p.name for p in got.received}) == 3


def test_move_waits_for_images_sent_after_the_final_answer(
    jpeg_study: Path, tmp_path: Path
) -> None:
    from ortif_cli.localserver import free_port

    move_port = free_port()
    server = QueryRetrieveSCP(
        jpeg_study, move_destinations={"ORTIF": ("127.0.0.1", move_port)}, late_last=True
    ).start()
    try:
        node = PacsNode("t", "127.0.0.1", server.port, "TESTPACS", "ORTIF", "move", move_port)
        (match,) = pacs.find_studies(node, StudyQuery())
        got = pacs.move_study(node, match.study_instance_uid, tmp_path, lambda p: None, 3, 5.0)
    finally:
        server.stop()
    assert got.completed == 2 and len(got.received) == 3
