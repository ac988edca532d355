"""A lean reader of DICOMDIR directory records, without pydicom.

pydicom builds a Dataset for each of a CD's thousands of records, which costs more than
`dcmdump` takes to read every file (BENCHMARKS.md). This reader takes the file into
memory and keeps, for each record, only its links (next, lower level), its type, the
file it references and the few keys asked for, as raw bytes; `dicom.dicomdir` decodes
them. DICOMDIRs are Explicit VR Little Endian (PS3.10 8.6), sometimes Implicit VR; any
other encoding, or a damaged structure, raises Unreadable.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ortif_cli.dicom.charset import SPECIFIC_CHARACTER_SET, ascii_value
from ortif_cli.dicom.headers import Truncated, read_item

ROOT_OFFSET = 0x00041200
RECORD_SEQUENCE = 0x00041220
NEXT_OFFSET, IN_USE, LOWER_OFFSET = 0x00041400, 0x00041410, 0x00041420
RECORD_TYPE, FILE_ID, REFERENCED_SOP_INSTANCE = 0x00041430, 0x00041500, 0x00041511
_LINKS = {NEXT_OFFSET, IN_USE, LOWER_OFFSET, RECORD_TYPE, FILE_ID, REFERENCED_SOP_INSTANCE}
_EXPLICIT_LE, _IMPLICIT_LE = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"
_ITEM, _SEQ_END = 0xFFFEE000, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT"}
_INACTIVE = b"\x00\x00"


class Unreadable(Exception):
    """Not a DICOMDIR this reader can take apart; the message says why."""


@dataclass(frozen=True)
class Record:
    """One directory record: where it is, its links and raw key values."""

    offset: int
    kind: str
    next: int
    lower: int
    values: dict[int, bytes]
    in_use: bool = True
    """False for a record marked inactive (In-use Flag 0000H): its links still count."""

    @property
    def file_id(self) -> list[str]:
        """The Referenced File ID's components (empty when it references no file)."""
        value = ascii_value(self.values.get(FILE_ID))
        return [part.strip() for part in value.split("\\")] if value else []


@dataclass(frozen=True)
class Directory:
    """The records of a DICOMDIR by offset, in file order, and the first root record."""

    root: int
    charsets: list[str]
    records: dict[int, Record]


def read_directory(path: Path, keys: Iterable[int]) -> Directory:
    """The records of the DICOMDIR at `path`, keeping the raw values of `keys`."""
    data = path.read_bytes()
    try:
        return _parse(data, {*keys, *_LINKS})
    except (Truncated, ValueError, struct.error) as exc:
        raise Unreadable(str(exc) or type(exc).__name__) from exc


def _parse(data: bytes, wanted: set[int]) -> Directory:
    if data[128:132] != b"DICM":
        raise Unreadable("no DICM prefix")
    meta, offset = read_item(data, 132, len(data), explicit=True, wanted={0x00020010}, group=2)
    syntax = ascii_value(meta.get(0x00020010))
    if syntax not in (_EXPLICIT_LE, _IMPLICIT_LE):
        raise Unreadable(f"transfer syntax {syntax or 'missing'}")
    explicit = syntax == _EXPLICIT_LE
    top: dict[int, bytes] = {}
    while offset < len(data):
        tag, start, length = _element(data, offset, explicit)
        if tag == RECORD_SEQUENCE:
            end = len(data) if length == _UNDEFINED else start + length
            return Directory(
                _unsigned(top.get(ROOT_OFFSET)),
                ascii_value(top.get(SPECIFIC_CHARACTER_SET)).split("\\"),
                _records(data, start, end, explicit, wanted),
            )
        if length == _UNDEFINED:
            raise Unreadable("a sequence of undefined length before the records")
        top[tag] = data[start : start + length]
        offset = start + length
    raise Unreadable("no Directory Record Sequence")


def _records(
    data: bytes, offset: int, end: int, explicit: bool, wanted: set[int]
) -> dict[int, Record]:
    records: dict[int, Record] = {}
    while offset + 8 <= end:
        tag, start, length = _element(data, offset, explicit)
        if tag == _SEQ_END:
            break
        if tag != _ITEM:
            raise Unreadable("malformed Directory Record Sequence")
        stop = end if length == _UNDEFINED else start + length
        values, after = read_item(data, start, stop, explicit=explicit, wanted=wanted)
        records[offset] = Record(
            offset,
            ascii_value(values.get(RECORD_TYPE)),
            _unsigned(values.get(NEXT_OFFSET)),
            _unsigned(values.get(LOWER_OFFSET)),
            values,
            values.get(IN_USE) != _INACTIVE,
        )
        offset = after
    return records


def _element(data: bytes, offset: int, explicit: bool) -> tuple[int, int, int]:
    """(tag, offset of the value, value length) of the element at `offset`."""
    group, element = struct.unpack_from("<HH", data, offset)
    tag = group << 16 | element
    if not explicit or group == 0xFFFE:
        return tag, offset + 8, struct.unpack_from("<L", data, offset + 4)[0]
    if data[offset + 4 : offset + 6] in _LONG_VRS:
        return tag, offset + 12, struct.unpack_from("<L", data, offset + 8)[0]
    return tag, offset + 8, struct.unpack_from("<H", data, offset + 6)[0]


def _unsigned(raw: bytes | None) -> int:
    return struct.unpack("<L", raw)[0] if raw and len(raw) == 4 else 0
