"""A lean reader of DICOM file headers, for listing thousands of files fast.

pydicom takes about 0.3 s to import and 0.35 ms per header; listing a 5,000-file CD
must beat `dcmdump` (BENCHMARKS.md). This reader parses the raw elements of Little
Endian files (explicit or implicit VR) without decoding anything but the few values
asked for, and walks to the Pixel Data to check the file is complete. Anything unusual
(big endian, deflate, a damaged structure it cannot judge) returns None: the caller then
reads the file with pydicom, which has the final word.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Container, Iterable
from typing import NamedTuple

from ortif_cli.dicom.charset import ascii_value
from ortif_cli.i18n import _

_LONG_VRS = {
    b"OB",
    b"OD",
    b"OF",
    b"OL",
    b"OV",
    b"OW",
    b"SQ",
    b"UC",
    b"UN",
    b"UR",
    b"UT",
    b"SV",
    b"UV",
}
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
ROWS = 0x00280010
MEDIA_SOP_CLASS = 0x00020002
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_IMPLICIT_LE = "1.2.840.10008.1.2"
_CHUNK = 16384
_TAG, _SHORT, _LONG = struct.Struct("<HH"), struct.Struct("<H"), struct.Struct("<L")


PART10 = "part10"
"""A Part 10 file: preamble, `DICM`, File Meta Information, data set."""
NO_PREAMBLE = "no_preamble"
"""File Meta Information and data set, without the preamble and `DICM`."""
BARE = "no_file_meta"
"""A data set alone, as old modalities and CD burners write (no preamble, no meta)."""


class Header(NamedTuple):
    values: dict[int, bytes]
    transfer_syntax_uid: str
    framing: str
    """PART10, NO_PREAMBLE or BARE."""


class NotDicom(Exception):
    """The file does not look like DICOM at all."""


class _Unsure(Exception):
    """A wanted value this reader does not take apart (a sequence of undefined length)."""


class Truncated(Exception):
    """A DICOM file cut short; the message says where."""


class _Reader:
    """Reads a file through a growing buffer, so most headers need one read call."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd, self.size = fd, size
        self.buffer = os.read(fd, _CHUNK)
        self.base = 0  # file offset of buffer[0]

    def bytes_at(self, offset: int, count: int) -> bytes:
        end = offset + count
        if offset >= self.base and end <= self.base + len(self.buffer):
            return self.buffer[offset - self.base : end - self.base]
        if end > self.size:
            raise Truncated(_("truncated: the file ends inside its header"))
        os.lseek(self.fd, offset, os.SEEK_SET)
        self.buffer = os.read(self.fd, max(count, _CHUNK))
        self.base = offset
        return self.buffer[:count]


class _BytesReader(_Reader):
    """The same interface over bytes already in memory (a received data set)."""

    def __init__(self, data: bytes) -> None:
        self.fd, self.size, self.buffer, self.base = -1, len(data), data, 0

    def bytes_at(self, offset: int, count: int) -> bytes:
        if offset + count > self.size:
            raise Truncated(_("truncated: the data set ends inside an element"))
        return self.buffer[offset : offset + count]


class _Every:
    """Stands for every tag: sequences of undefined length are then skipped, not refused."""

    def __contains__(self, tag: object) -> bool:
        return True


_EVERY = _Every()


def read_values(data: bytes, *, explicit: bool) -> dict[int, bytes]:
    """The raw values of every top-level element of an in-memory Little Endian data set.

    Raises Truncated when the data set is malformed.
    """
    values: dict[int, bytes] = {}
    _walk(_BytesReader(data), 0, len(data), explicit, _EVERY, values)
    return values


def read_item(
    data: bytes,
    offset: int,
    end: int,
    *,
    explicit: bool,
    wanted: Container[int],
    group: int | None = None,
) -> tuple[dict[int, bytes], int]:
    """The raw values of `wanted` elements of an item of `data` starting at `offset`, and
    the offset after it: `end` (a defined length), past its Item Delimitation Item, or
    at the first element out of `group` when one is given.

    Nested sequences are skipped. Raises Truncated when the item is malformed, and
    ValueError when a wanted element has an undefined length.
    """
    values: dict[int, bytes] = {}
    try:
        after = _walk(_BytesReader(data), offset, end, explicit, wanted, values, group)
    except _Unsure as exc:
        raise ValueError("a wanted element has an undefined length") from exc
    return values, after


def read_header(path: str, wanted: Iterable[int]) -> Header | None:
    """The raw values of `wanted` data set tags, the transfer syntax UID and framing, or None.

    The values also hold the Media Storage SOP Class UID (0002,0002) when the file has
    File Meta Information, and PIXEL_DATA (empty) when the Pixel Data was reached and
    found complete: a file without it may be cut short at an element boundary.

    Raises NotDicom for a file that is not DICOM, Truncated for one cut short or empty.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        return _parse(_Reader(fd, size), size, set(wanted))
    except _Unsure:
        return None
    finally:
        os.close(fd)


def _parse(reader: _Reader, size: int, wanted: set[int]) -> Header | None:
    if size == 0:
        raise Truncated(_("empty file"))
    head = reader.bytes_at(0, min(132, size))
    if head[128:132] == b"DICM":
        offset, framing = 132, PART10
    elif len(head) >= 8 and head[:2] in (b"\x02\x00", b"\x08\x00") and head[3:4] == b"\x00":
        offset, framing = 0, BARE
    else:
        raise NotDicom
    syntax = _IMPLICIT_LE
    meta: dict[int, bytes] = {}
    if reader.bytes_at(offset, 2) == b"\x02\x00":
        offset = _walk(reader, offset, size, True, {MEDIA_SOP_CLASS, 0x00020010}, meta, 0x0002)
        syntax = ascii_value(meta.get(0x00020010))
        framing = PART10 if framing == PART10 else NO_PREAMBLE
    else:
        vr = reader.bytes_at(offset + 4, 2)
        syntax = _EXPLICIT_LE if vr.isalpha() and vr.isupper() else _IMPLICIT_LE
    encapsulated = syntax.startswith("1.2.840.10008.1.2.4") or syntax == "1.2.840.10008.1.2.5"
    if syntax not in (_EXPLICIT_LE, _IMPLICIT_LE) and not encapsulated:
        return None  # big endian, deflate...: let pydicom read it
    values: dict[int, bytes] = dict(meta)
    _walk(reader, offset, size, syntax != _IMPLICIT_LE, wanted | {ROWS}, values)
    if ROWS in values and PIXEL_DATA not in values:
        raise Truncated(_("truncated: the image has no Pixel Data"))
    return Header(values, syntax, framing)


def _walk(
    reader: _Reader,
    offset: int,
    end: int,
    explicit: bool,
    wanted: Container[int],
    values: dict[int, bytes],
    group: int | None = None,
) -> int:
    """Walk elements from `offset` to `end` (or out of `group`); return where it stopped."""
    unpack_tag, unpack_short, unpack_long = _TAG.unpack_from, _SHORT.unpack_from, _LONG.unpack_from
    while offset < end:
        if end - offset < 8:
            raise Truncated(_("truncated: the file ends inside its header"))
        buffer, at = reader.buffer, offset - reader.base
        if at < 0 or at + 12 > len(buffer):
            reader.bytes_at(offset, min(12, end - offset))
            buffer, at = reader.buffer, offset - reader.base
        tag_group, tag_element = unpack_tag(buffer, at)
        tag = tag_group << 16 | tag_element
        if group is not None and tag_group != group:
            return offset
        if tag_group == 0xFFFE:
            if tag in (_ITEM_END, _SEQ_END):
                return offset + 8
            return _malformed()
        if explicit:
            vr = buffer[at + 4 : at + 6]
            if vr in _LONG_VRS:
                if at + 12 > len(buffer):
                    raise Truncated(_("truncated: the file ends inside its header"))
                (length,) = unpack_long(buffer, at + 8)
                start = offset + 12
            elif vr.isalpha() and vr.isupper():
                (length,) = unpack_short(buffer, at + 6)
                start = offset + 8
            else:
                return _malformed()
        else:
            (length,) = unpack_long(buffer, at + 4)
            start = offset + 8
        if tag == PIXEL_DATA:
            values[PIXEL_DATA] = b""
            return _check_pixel_data(reader, start, length, end)
        if length == _UNDEFINED:
            if tag in wanted and wanted is not _EVERY:
                raise _Unsure
            offset = _skip_undefined(reader, start, end, explicit)
            continue
        if start + length > end:
            raise Truncated(_("truncated: the file ends inside its header"))
        if tag in wanted:
            values[tag] = reader.bytes_at(start, length)
        offset = start + length
    return offset


def _skip_undefined(reader: _Reader, offset: int, end: int, explicit: bool) -> int:
    """Skip a sequence (or item) of undefined length; return the offset after it."""
    while offset + 8 <= end:
        tag_group, tag_element, length = struct.unpack_from("<HHL", reader.bytes_at(offset, 8))
        tag = tag_group << 16 | tag_element
        if tag == _SEQ_END:
            return offset + 8
        if tag != _ITEM:
            return _malformed()
        if length == _UNDEFINED:
            offset = _walk(reader, offset + 8, end, explicit, set(), {})
        else:
            offset += 8 + length
    raise Truncated(_("truncated: the file ends inside a sequence"))


def _check_pixel_data(reader: _Reader, start: int, length: int, end: int) -> int:
    if length != _UNDEFINED:
        if start + length > end:
            raise Truncated(_("truncated: the Pixel Data is incomplete"))
        return start + length
    offset = start
    while offset + 8 <= end:
        tag_group, tag_element, item = struct.unpack_from("<HHL", reader.bytes_at(offset, 8))
        tag = tag_group << 16 | tag_element
        if tag == _SEQ_END:
            return offset + 8
        if tag != _ITEM or offset + 8 + item > end:
            break
        offset += 8 + item
    raise Truncated(_("truncated: the encapsulated Pixel Data is incomplete"))


def _malformed() -> int:
    raise Truncated(_("not readable as DICOM (malformed element)"))
