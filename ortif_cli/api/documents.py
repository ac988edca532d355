"""Documents and single files, streamed both ways with their SHA-256.

An upload is read from disk in chunks and hashed on the way out; the platform's answer
must name the same SHA-256. A download is written to `NAME.part` while hashing, resumed
from where it stopped with `Range`, and renamed only once the hash is the expected one.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ortif_cli.api.client import PlatformClient, error_for_response, network_errors
from ortif_cli.api.models import Document
from ortif_cli.errors import RuleError
from ortif_cli.i18n import _

CHUNK = 1 << 20
DOCUMENTS_PATH = "/api/v1/documents"

ProgressCallback = Callable[[int], None]
"""Called with a number of bytes just moved."""


def media_type(path: Path) -> str:
    guessed, _encoding = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def content_disposition(filename: str) -> bytes:
    """`attachment` with the name in UTF-8, and again as RFC 5987 `filename*`.

    Many servers read only `filename`, so it carries the UTF-8 bytes too (quotes and
    control characters replaced); the platform sanitises whatever it receives.
    """
    plain = "".join("_" if ord(c) < 32 or c in '"\\' else c for c in filename)
    header = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"
    return header.encode("utf-8")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def upload_document(
    client: PlatformClient, path: Path, on_bytes: ProgressCallback | None = None
) -> Document:
    """POST one file to /documents; RuleError unless the platform holds the same bytes."""
    digest = hashlib.sha256()

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                if on_bytes:
                    on_bytes(len(chunk))
                yield chunk

    headers = {
        "Content-Type": media_type(path),
        "Content-Disposition": content_disposition(path.name),
        "Content-Length": str(path.stat().st_size),
    }
    response = client.request("POST", DOCUMENTS_PATH, content=chunks(), headers=headers)
    document = Document.from_json(response.json())
    if document.sha256 != digest.hexdigest():
        raise RuleError(
            _("The platform holds different bytes for {name} (SHA-256 mismatch).").format(
                name=path.name
            ),
            hint=_("Send it again; if it persists, the network alters the files."),
        )
    return document


def download(
    client: PlatformClient,
    url: str,
    target: Path,
    expected_sha256: str,
    *,
    accept: str = "*/*",
    on_bytes: ProgressCallback | None = None,
) -> None:
    """Stream `url` to `target`, resuming `target.part`; checked, then renamed atomically."""
    part = target.with_name(target.name + ".part")
    digest, offset = _resume_from(part)
    headers = {"Accept": accept}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    with network_errors(client.base_url), client.http.stream("GET", url, headers=headers) as got:
        if got.is_error:
            got.read()
            raise error_for_response(got)
        if offset and got.status_code != 206:  # the server sent it whole: start again
            digest, offset = hashlib.sha256(), 0
        with part.open("ab" if offset else "wb") as out:
            for chunk in got.iter_bytes(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                if on_bytes:
                    on_bytes(len(chunk))
            out.flush()
            os.fsync(out.fileno())
    if digest.hexdigest() != expected_sha256:
        part.unlink(missing_ok=True)
        raise RuleError(
            _("{name} arrived with a SHA-256 other than the platform's manifest says.").format(
                name=target.name
            ),
            hint=_("Run the same command again to download it afresh."),
        )
    os.replace(part, target)


def _resume_from(part: Path) -> tuple[Any, int]:
    """The hash of what `part` already holds, and its size (0 if there is none)."""
    digest = hashlib.sha256()
    if not part.exists():
        return digest, 0
    with part.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest, part.stat().st_size
