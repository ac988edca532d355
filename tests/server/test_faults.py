"""A server killed with SIGKILL in the middle of an upload loses nothing and keeps nothing
half-written: no partial blob, no row pointing to a missing file, temporary files cleaned at
restart, and the same upload completes afterwards."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid
from sqlalchemy import text

from ortif_server.config import ServerSettings
from ortif_server.db import create_db_engine
from tests.conftest import PATIENCE
from tests.server.dicom_files import multipart
from tests.server.server_process import ServerProcess

PARTS = 12  # 512x512x16-bit CTs: 6.3 MB in all


@pytest.fixture
def live(tmp_path: Path, empty_database_url: str) -> Iterator[ServerProcess]:
    server = ServerProcess.seeded(tmp_path / "data", empty_database_url)
    server.start()
    yield server
    server.stop()


def _big_ct(study_uid: str) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop_uid
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality = "FAULT^TEST", "PID-F", "CT"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 512
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = os.urandom(512 * 512 * 2)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _send_part_then_kill(server: ServerProcess, head: bytes, body: bytes, cut: int) -> None:
    """Send the request head and `cut` bytes of the body, wait until the server has taken
    them in (a temporary file is open and no longer grows), then SIGKILL it."""
    tmp_dir = server.settings.tmp_dir
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head + body[:cut])
        deadline = time.monotonic() + PATIENCE
        previous, received = -1, _received_bytes(server.settings)
        while received != previous or not any(tmp_dir.iterdir()):
            assert time.monotonic() < deadline, "the server never started writing the upload"
            time.sleep(0.2)
            previous, received = received, _received_bytes(server.settings)
        server.kill()
    assert any(tmp_dir.iterdir()), "the kill should have left a temporary file behind"


def _received_bytes(settings: ServerSettings) -> int:
    paths = [*settings.tmp_dir.iterdir(), *settings.blobs_dir.rglob("*")]
    return sum(p.stat().st_size for p in paths if p.is_file())


def _request_head(server: ServerProcess, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
    lines += [f"Authorization: Bearer {server.token()}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _assert_consistent(settings: ServerSettings) -> None:
    """Every blob holds the bytes its name says; every row points to an existing blob."""
    for path in settings.blobs_dir.rglob("*"):
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, path
    engine = create_db_engine(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            digests = list(connection.execute(text("SELECT sha256 FROM instance")).scalars())
            if _has_table(connection, "document"):
                documents = connection.execute(text("SELECT sha256 FROM document"))
                digests += list(documents.scalars())
    finally:
        engine.dispose()
    for digest in digests:
        assert (settings.blobs_dir / digest[:2] / digest[2:4] / digest).is_file(), digest


def _has_table(connection: object, name: str) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(connection).has_table(name))


def _restart(server: ServerProcess) -> None:
    server.start()
    assert list(server.settings.tmp_dir.iterdir()) == [], "restart must clean DATA/tmp"


def test_stow_killed_mid_request_leaves_nothing_half_stored(live: ServerProcess) -> None:
    study_uid = generate_uid()
    body, content_type = multipart([_big_ct(study_uid) for _ in range(PARTS)])
    head = _request_head(live, "/dicomweb/studies", body, {"Content-Type": content_type})
    _send_part_then_kill(live, head, body, cut=len(body) * 2 // 3)
    _assert_consistent(live.settings)
    _restart(live)
    answer = httpx.post(
        f"{live.url}/dicomweb/studies",
        content=body,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {live.token()}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    statuses = {i["status"] for i in answer.json()["instances"]}
    assert statuses == {"stored"}, "nothing was recorded before the kill"
    assert len(answer.json()["instances"]) == PARTS
    _assert_consistent(live.settings)
    assert list(live.settings.tmp_dir.iterdir()) == []


def _has_document_upload(server: ServerProcess) -> bool:
    paths = httpx.get(f"{server.url}/openapi.json", timeout=10).json()["paths"]
    return "post" in paths.get("/api/v1/documents", {})


def test_document_upload_killed_mid_request_leaves_nothing_half_stored(
    live: ServerProcess,
) -> None:
    if not _has_document_upload(live):
        pytest.skip("POST /api/v1/documents does not exist yet on the server")
    content = os.urandom(4 << 20)
    headers = {
        "Content-Type": "application/pdf",
        "Content-Disposition": 'attachment; filename="report.pdf"',
    }
    head = _request_head(live, "/api/v1/documents", content, headers)
    _send_part_then_kill(live, head, content, cut=len(content) // 2)
    _assert_consistent(live.settings)
    _restart(live)
    answer = httpx.post(
        f"{live.url}/api/v1/documents",
        content=content,
        headers={**headers, "Authorization": f"Bearer {live.token()}"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert answer.json()["size"] == len(content)
    _assert_consistent(live.settings)
    assert list(live.settings.tmp_dir.iterdir()) == []
