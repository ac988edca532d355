"""WADO-RS bodies: stored files streamed unchanged as multipart/related parts."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ortif_server.accept import ANY_SYNTAX, parse
from ortif_server.errors import ApiError
from ortif_server.models import Instance
from ortif_server.wado_lookup import instance_path

WHOLE = 1 << 20
DICOM = "application/dicom"
DEFAULT_ACCEPT = f'multipart/related; type="{DICOM}"'


def wants_multipart(accept: str | None, single: bool, syntaxes: set[str]) -> bool:
    """True for multipart; False for a bare `application/dicom` (single instance).

    The files go as stored: a transfer syntax other than theirs (or `*`) is a transcoding
    we do not do, so 406, as for any other media type.
    """
    for media_range in parse(accept, DEFAULT_ACCEPT):
        syntax = media_range.transfer_syntax
        if syntax not in (None, ANY_SYNTAX) and {syntax} != syntaxes:
            continue
        if media_range.multipart and media_range.matches(DICOM):
            return True
        if media_range.media_type == "*/*":
            return True
        if single and media_range.media_type == DICOM:
            return False
    raise ApiError(
        406, "not_acceptable", 'Accept multipart/related; type="application/dicom" (as stored).'
    )


def content_type(boundary: str, part_type: str = DICOM) -> str:
    return f'multipart/related; type="{part_type}"; boundary={boundary}'


def new_boundary() -> str:
    return f"ortif-{secrets.token_hex(16)}"


def multipart(
    rows: Sequence[Instance], path_for: dict[str, Path], base_url: str, boundary: str
) -> tuple[Iterator[bytes], int]:
    """The body (each instance's file as one part with its Content-Location) and its length.

    SB (bench/server_wado.py): small files are gathered into items of about `WHOLE` bytes
    (heads and tails included), each one trip to a worker thread and one write, where
    per-chunk reads cost 4 trips a file; a larger file goes alone in `WHOLE`-byte chunks.
    Much larger items are slower: asyncio moves the unsent rest of its write buffer after
    every send. Memory holds one item at a time.
    """
    heads = [_head(row, base_url, boundary) for row in rows]
    closing = f"--{boundary}--\r\n".encode()
    length = sum(len(h) + r.size_bytes + 2 for h, r in zip(heads, rows, strict=True)) + len(closing)

    def body() -> Iterator[bytes]:
        batch = bytearray()
        for head, row in zip(heads, rows, strict=True):
            path = path_for[row.sop_instance_uid]
            batch += head
            if row.size_bytes > WHOLE:  # a large file: alone, in chunks
                yield bytes(batch)
                yield from _chunks(path)
                batch = bytearray()
            else:
                batch += path.read_bytes()
            batch += b"\r\n"
            if len(batch) >= WHOLE:
                yield bytes(batch)
                batch = bytearray()
        yield bytes(batch + closing)

    return body(), length


def _head(row: Instance, base_url: str, boundary: str) -> bytes:
    return (
        f"--{boundary}\r\nContent-Type: {DICOM}\r\nContent-Length: {row.size_bytes}\r\n"
        f"Content-Location: {instance_path(base_url, row)}\r\n\r\n"
    ).encode()


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fp:
        while chunk := fp.read(WHOLE):
            yield chunk


def parts(items: Iterable[tuple[str, bytes]], boundary: str) -> Iterator[bytes]:
    """A multipart/related body of (Content-Type, bytes) parts, produced as iterated."""
    for part_type, data in items:
        head = f"--{boundary}\r\nContent-Type: {part_type}\r\nContent-Length: {len(data)}"
        yield f"{head}\r\n\r\n".encode()
        yield data
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()
