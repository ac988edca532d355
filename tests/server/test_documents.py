"""Documents: streamed upload, hashes, safe names, size limit, Range and ETag."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import httpx
import pytest

from ortif_server.documents import sanitize_filename
from tests.server.conftest import Server
from tests.server.dossier_helpers import create_dossier, upload_document

Client = Callable[[str], httpx.Client]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\scan.docx", "scan.docx"),
        ("a\x00b\nc.txt", "abc.txt"),
        ('we<ird>:"|?*.txt', "we_ird______.txt"),
        ("..", "document"),
        ("", "document"),
        ("é" * 300, "é" * 200),
    ],
)
def test_sanitize_filename(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


def test_upload_and_download(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    content = bytes(range(256)) * 1000
    document = upload_document(alice, content, "../../secret/Compte rendu.pdf")
    assert document["filename"] == "Compte rendu.pdf"
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    assert (document["size"], document["media_type"]) == (len(content), "application/pdf")
    answer = alice.get(f"/api/v1/documents/{document['id']}/content")
    assert answer.content == content
    assert answer.headers["etag"] == f'"{document["sha256"]}"'
    assert answer.headers["content-type"] == "application/pdf"
    assert "Compte%20rendu.pdf" in answer.headers["content-disposition"]
    part = alice.get(
        f"/api/v1/documents/{document['id']}/content", headers={"Range": "bytes=1000-"}
    )
    assert part.status_code == 206 and part.content == content[1000:]


def test_filename_star_is_decoded(signed_in: Client) -> None:
    headers = {
        "Content-Type": "text/plain",
        "Content-Disposition": "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%2F..%2Fx.txt",
    }
    answer = signed_in("alice").post("/api/v1/documents", content=b"x", headers=headers)
    assert answer.json()["filename"] == "x.txt"


def test_documents_are_visible_through_dossiers_only(server: Server, signed_in: Client) -> None:
    alice, bob, eve = signed_in("alice"), signed_in("bob"), signed_in("eve")
    document = upload_document(alice)
    path = f"/api/v1/documents/{document['id']}/content"
    assert bob.get(path).status_code == 404
    create_dossier(
        alice, [{"kind": "user", "id": server.users["bob"]}], document_ids=[document["id"]]
    )
    assert bob.get(path).status_code == 200
    assert eve.get(path).status_code == 404


def test_a_bad_media_type_is_415(signed_in: Client) -> None:
    answer = signed_in("alice").post(
        "/api/v1/documents", content=b"x", headers={"Content-Type": "not a type"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (415, "unsupported_media_type")
