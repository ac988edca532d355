"""STOW-RS uploads: DICOM files streamed from disk in multipart/related batches.

Each file is read in chunks and hashed on the way out, so memory does not grow with
the study and the SHA-256 the server reports can be checked against what was sent.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ortif_cli.api.client import PlatformClient, error_for_response, network_errors
from ortif_cli.api.models import StoredInstance
from ortif_cli.api.stow_answer import read_answer
from ortif_cli.errors import OrtifError
from ortif_cli.i18n import _

CHUNK = 1 << 20
STOW_PATH = "/dicomweb/studies"

ProgressCallback = Callable[[int], None]
"""Called with a number of bytes just sent."""


class ServerFailure(OrtifError):
    """The platform answered 5xx: worth retrying."""


@dataclass(frozen=True)
class UploadItem:
    path: Path
    sop_instance_uid: str
    size: int
    opener: Callable[[], BinaryIO] | None = None
    """How to read the bytes when they are not a plain file (a zip member)."""

    def open_stream(self) -> BinaryIO:
        return self.opener() if self.opener else self.path.open("rb")


@dataclass(frozen=True)
class UploadOutcome:
    """One instance: what we sent (`sent_sha256`) and what the server said."""

    item: UploadItem
    sent_sha256: str
    answer: StoredInstance | None
    error: str | None = None
    """Why the batch could not be sent at all (after retries)."""

    @property
    def ok(self) -> bool:
        answer = self.answer
        return (
            answer is not None
            and answer.status in ("stored", "already_present")
            and answer.sha256 == self.sent_sha256
        )

    @property
    def refused(self) -> bool:
        """Refused for good (the answer says why): sending it again cannot help."""
        return self.answer is not None and self.answer.status == "refused"

    @property
    def problem(self) -> str | None:
        if self.ok:
            return None
        if self.error:
            return self.error
        if self.answer is None:
            return _("the platform did not report this instance")
        if self.answer.status == "refused":
            return self.answer.reason or _("refused by the platform")
        if self.answer.status == "unavailable":
            return self.answer.reason or _("the platform could not store it for now")
        return _("the platform holds different bytes (SHA-256 mismatch)")


class _MultipartBody:
    """Iterates the multipart/related body of a batch, hashing each file as it goes."""

    def __init__(self, items: Sequence[UploadItem], on_bytes: ProgressCallback | None) -> None:
        self.items = items
        self.boundary = secrets.token_hex(16)
        self.digests: dict[str, str] = {}
        self._on_bytes = on_bytes

    @property
    def content_type(self) -> str:
        return f'multipart/related; type="application/dicom"; boundary={self.boundary}'

    def __iter__(self) -> Iterator[bytes]:
        for item in self.items:
            yield (
                f"--{self.boundary}\r\nContent-Type: application/dicom\r\n"
                f"Content-Length: {item.size}\r\n\r\n"
            ).encode("ascii")
            yield from self._file_chunks(item)
            yield b"\r\n"
        yield f"--{self.boundary}--\r\n".encode("ascii")

    def _file_chunks(self, item: UploadItem) -> Iterator[bytes]:
        digest = hashlib.sha256()
        with item.open_stream() as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                if self._on_bytes:
                    self._on_bytes(len(chunk))
                yield chunk
        self.digests[item.sop_instance_uid] = digest.hexdigest()


def store_batch(
    client: PlatformClient,
    items: Sequence[UploadItem],
    on_bytes: ProgressCallback | None = None,
) -> list[UploadOutcome]:
    """POST one batch to STOW-RS and pair each file with the server's answer."""
    body = _MultipartBody(items, on_bytes)
    headers = {"Content-Type": body.content_type, "Accept": "application/dicom+json"}
    with network_errors(client.base_url):
        response = client.http.post(STOW_PATH, content=iter(body), headers=headers)
    if response.status_code >= 500:
        raise ServerFailure(
            _("The platform failed ({status}).").format(status=response.status_code)
        )
    if response.is_error and response.status_code not in (409,):
        raise error_for_response(response)
    answers = pair_answers(items, read_answer(response.json()))
    return [
        UploadOutcome(item, body.digests.get(item.sop_instance_uid, ""), answer)
        for item, answer in zip(items, answers, strict=True)
    ]


def pair_answers(
    items: Sequence[UploadItem], answers: Sequence[StoredInstance]
) -> list[StoredInstance | None]:
    """The answer for each item, by SOP Instance UID.

    A part the platform could not read (not DICOM, cut short) is answered without a UID:
    such answers go, in order, to the items the UIDs left without one.
    """
    by_uid = {a.sop_instance_uid: a for a in answers if a.sop_instance_uid}
    nameless = iter([a for a in answers if not a.sop_instance_uid])
    paired = [by_uid.get(item.sop_instance_uid) for item in items]
    return [answer or next(nameless, None) for answer in paired]


def batches(
    items: Sequence[UploadItem], max_count: int = 50, max_bytes: int = 64 << 20
) -> Iterator[list[UploadItem]]:
    """Split items into batches of at most `max_count` files and about `max_bytes`."""
    batch: list[UploadItem] = []
    size = 0
    for item in items:
        if batch and (len(batch) >= max_count or size + item.size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item.size
    if batch:
        yield batch
