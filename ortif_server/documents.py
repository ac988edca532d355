"""Documents: names made safe, bodies streamed to the blob store with a size limit."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from contextlib import suppress
from email.message import Message as EmailMessage

from starlette.concurrency import run_in_threadpool

from ortif_server.errors import ApiError
from ortif_server.store import BlobStore

MAX_NAME = 200
FORBIDDEN = re.compile(r'[\\/:*?"<>|]')
MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")
DEFAULT_NAME = "document"


def sanitize_filename(name: str) -> str:
    """The last path component, without control or path characters, at most 200 chars."""
    base = re.split(r"[\\/]", name)[-1]
    kept = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    cleaned = FORBIDDEN.sub("_", kept).strip(" .")
    return cleaned[:MAX_NAME].rstrip(" .") or DEFAULT_NAME


def filename_from(content_disposition: str | None) -> str:
    """The sanitised filename of a `Content-Disposition` header (RFC 2231 `filename*` too)."""
    header = content_disposition or ""
    with suppress(UnicodeError):
        header = header.encode("latin-1").decode("utf-8")  # raw UTF-8 bytes in the header
    message = EmailMessage()
    message["Content-Disposition"] = header
    try:
        name = message.get_filename()
    except (ValueError, TypeError, LookupError):
        name = None
    return sanitize_filename(name or "")


def media_type_from(content_type: str | None) -> str:
    media_type = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    if not MEDIA_TYPE.match(media_type) or len(media_type) > 200:
        raise ApiError(415, "unsupported_media_type", "Content-Type is not a media type.")
    return media_type


def too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"The document is larger than {limit} bytes.")


async def receive(store: BlobStore, body: AsyncIterator[bytes], limit: int) -> tuple[str, int]:
    """Stream the body into the store (atomic, fsynced); return its SHA-256 and size."""
    temp = await run_in_threadpool(store.open_temp)
    try:
        async for chunk in body:
            if temp.size + len(chunk) > limit:
                raise too_large(limit)
            await run_in_threadpool(temp.write, chunk)
        sha256 = await run_in_threadpool(temp.finish)
        directory = await run_in_threadpool(store.keep, temp, sha256)
    except BaseException:
        await run_in_threadpool(temp.discard)
        raise
    await run_in_threadpool(store.sync_dirs, [directory])
    return sha256, temp.size
