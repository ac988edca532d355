"""STOW-RS ingest: a streamed multipart/related body -> blob store -> database rows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from ortif_server.dicom_header import InstanceHeader, RefusedFile, read_header
from ortif_server.errors import ApiError
from ortif_server.store import BlobStore, TempBlob

log = logging.getLogger(__name__)

DICOM_MEDIA_TYPE = b"application/dicom"
DIFFERENT_BYTES = "SOP Instance UID already stored with different bytes"
OTHER_STUDY = "belongs to another study than the one of the request URL"
NOT_YOURS = (
    "its study is on the platform from another uploader and you may not see it: ask them "
    "to send it to you in a dossier"
)

# Returns the SHA-256 the database holds for a SOP Instance UID, if any.
StoredDigest = Callable[[str], "str | None"]
# True if the caller may add instances to this study: a new one, or one it sees.
MayAddTo = Callable[[str], bool]


@dataclass
class PartOutcome:
    """What became of one part of the request."""

    status: str
    sha256: str
    size: int
    header: InstanceHeader | None = None
    reason: str | None = None
    sop_instance_uid: str | None = None

    @property
    def study_instance_uid(self) -> str | None:
        return self.header.study_instance_uid if self.header else None


def multipart_boundary(content_type: str | None) -> bytes:
    """The boundary of a `multipart/related; type="application/dicom"` body."""
    media_type, options = parse_options_header(content_type or "")
    if media_type != b"multipart/related":
        raise ApiError(415, "unsupported_media_type", "Expected multipart/related.")
    if options.get(b"type", DICOM_MEDIA_TYPE) != DICOM_MEDIA_TYPE:
        raise ApiError(415, "unsupported_media_type", 'Expected type="application/dicom".')
    boundary = options.get(b"boundary")
    if not boundary:
        raise ApiError(400, "bad_request", "The multipart boundary is missing.")
    return boundary


@dataclass
class StowReceiver:
    """Feeds body chunks to a streaming multipart parser, one temp file per part."""

    store: BlobStore
    boundary: bytes
    stored_digest: StoredDigest
    may_add_to: MayAddTo
    study_uid: str | None = None
    """The study of the request URL (`POST /studies/{study}`), if any."""
    outcomes: list[PartOutcome] = field(default_factory=list)
    touched_dirs: set[Path] = field(default_factory=set)
    _seen: dict[str, str] = field(default_factory=dict)
    _studies: dict[str, bool] = field(default_factory=dict)
    _pending: list[tuple[PartOutcome, TempBlob, Future[Path]]] = field(default_factory=list)
    _temp: TempBlob | None = None
    _headers: dict[str, str] = field(default_factory=dict)
    _header: list[bytes] = field(default_factory=lambda: [b"", b""])

    def __post_init__(self) -> None:
        callbacks = {
            "on_part_begin": self._on_part_begin,
            "on_header_field": lambda d, s, e: self._append_header(0, d[s:e]),
            "on_header_value": lambda d, s, e: self._append_header(1, d[s:e]),
            "on_header_end": self._on_header_end,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
        }
        self._parser = MultipartParser(self.boundary, callbacks)  # type: ignore[arg-type]

    def write(self, chunk: bytes) -> None:
        self._parser.write(chunk)

    def finish(self) -> None:
        """End of body: a part still open means the body was cut."""
        self._parser.finalize()
        if self._temp is not None:
            raise ApiError(400, "bad_request", "The multipart body ends inside a part.")

    def settle(self) -> None:
        """Wait for the files being synced into place; refuse those that could not be."""
        for outcome, temp, future in self._pending:
            try:
                self.touched_dirs.add(future.result())
            except OSError as exc:
                temp.path.unlink(missing_ok=True)
                outcome.status, outcome.reason = "refused", f"could not be stored: {exc}"
        self._pending.clear()

    def abort(self) -> None:
        if self._temp is not None:
            self._temp.discard()
            self._temp = None

    def _on_part_begin(self) -> None:
        self.abort()
        self._headers = {}
        self._temp = self.store.open_temp()

    def _append_header(self, index: int, data: bytes) -> None:
        self._header[index] += data

    def _on_header_end(self) -> None:
        name, value = (part.decode("latin-1").strip() for part in self._header)
        self._headers[name.lower()] = value
        self._header = [b"", b""]

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        assert self._temp is not None
        self._temp.write(memoryview(data)[start:end])

    def _on_part_end(self) -> None:
        temp, self._temp = self._temp, None
        assert temp is not None
        sha256 = temp.finish()
        try:
            outcome = self._classify(temp, sha256)
        except RefusedFile as exc:
            temp.discard()
            outcome = PartOutcome("refused", sha256, temp.size, None, exc.reason)
            outcome.sop_instance_uid = exc.sop_instance_uid
        self.outcomes.append(outcome)

    def _classify(self, temp: TempBlob, sha256: str) -> PartOutcome:
        media_type, _ = parse_options_header(self._headers.get("content-type", "application/dicom"))
        if media_type != DICOM_MEDIA_TYPE:
            raise RefusedFile(f"part is {media_type.decode('latin-1')}, not application/dicom")
        header = read_header(temp.path, temp.size)
        uid = header.sop_instance_uid
        if self.study_uid is not None and header.study_instance_uid != self.study_uid:
            raise RefusedFile(OTHER_STUDY, uid)
        study = header.study_instance_uid
        if study not in self._studies:
            self._studies[study] = self.may_add_to(study)
        if not self._studies[study]:
            raise RefusedFile(NOT_YOURS, uid)
        known = self._seen.get(uid) or self.stored_digest(uid)
        if known is not None and known != sha256:
            raise RefusedFile(DIFFERENT_BYTES, uid)
        self._seen[uid] = sha256
        if known:
            temp.discard()
            return PartOutcome("already_present", sha256, temp.size, header, None, uid)
        outcome = PartOutcome("stored", sha256, temp.size, header, None, uid)
        self._pending.append((outcome, temp, self.store.keep_later(temp, sha256)))
        return outcome
