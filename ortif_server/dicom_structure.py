"""Checks that a DICOM Part 10 file is complete by walking its element headers.

pydicom reads a file cut inside an element or inside Pixel Data without complaint, so
every length is checked against the file size here. Values are skipped, not read, except
those of the top-level elements asked for (`read_part10`): one pass gives both.
"""

from __future__ import annotations

import struct
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import BinaryIO

Tag = tuple[int, int]

EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
DEFLATED = {"1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.8.1"}
LONG_VRS = set(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
UNDEFINED_LENGTH = 0xFFFFFFFF
ITEM_GROUP = 0xFFFE
DELIMITERS = {0xE00D, 0xE0DD}
TRANSFER_SYNTAX_TAG = (0x0002, 0x0010)
PIXEL_GROUP = 0x7FE0
PIXEL_DATA = (0x7FE0, 0x0010)


class MalformedFile(Exception):
    """The file is not a complete DICOM Part 10 file; the message says why."""


@dataclass
class Part10Values:
    """The transfer syntax, and the raw values of the top-level elements asked for.

    `vrs` holds the explicit VRs read (empty for Implicit VR); `irregular` is set when an
    asked-for element came twice, with an undefined length, or after Pixel Data (where
    pydicom's `stop_before_pixels` would not see it): the caller should not trust `values`.
    """

    transfer_syntax: str
    values: dict[Tag, bytes] = field(default_factory=dict)
    vrs: dict[Tag, bytes] = field(default_factory=dict)
    irregular: bool = False
    pixel_data: tuple[int, int] | None = None
    """Where the top-level Pixel Data value starts, and its length (UNDEFINED_LENGTH
    when encapsulated: the value starts with the Basic Offset Table item)."""


def check_part10(fp: BinaryIO, size: int) -> str:
    """Walk the whole file; return its transfer syntax UID or raise MalformedFile."""
    return read_part10(fp, size, ()).transfer_syntax


def read_part10(fp: BinaryIO, size: int, wanted: Collection[Tag]) -> Part10Values:
    """Walk the whole file (as `check_part10`), keeping the values of `wanted` top-level
    elements; a deflated dataset is not walked and yields no values."""
    fp.seek(128)
    if fp.read(4) != b"DICM":
        raise MalformedFile("not DICOM (no DICM prefix)")
    found = Part10Values(_read_file_meta(fp))
    if found.transfer_syntax not in DEFLATED:
        implicit = found.transfer_syntax == IMPLICIT_VR_LITTLE_ENDIAN
        endian = ">" if found.transfer_syntax == EXPLICIT_VR_BIG_ENDIAN else "<"
        _walk_dataset(fp, size, implicit, endian, (wanted, found))
    return found


def _read_file_meta(fp: BinaryIO) -> str:
    transfer_syntax = ""
    while True:
        start = fp.tell()
        head = fp.read(8)
        if len(head) < 8 or struct.unpack("<H", head[:2])[0] != 0x0002:
            fp.seek(start)
            break
        tag, length = _explicit_header(fp, head, "<")
        value = fp.read(length)
        if len(value) < length:
            raise MalformedFile("truncated (inside the file meta information)")
        if tag == TRANSFER_SYNTAX_TAG:
            transfer_syntax = value.rstrip(b"\x00 ").decode("ascii", "replace")
    if not transfer_syntax:
        raise MalformedFile("not DICOM (no transfer syntax in the file meta information)")
    return transfer_syntax


def _explicit_header(fp: BinaryIO, head: bytes, endian: str) -> tuple[tuple[int, int], int]:
    group, element = struct.unpack(endian + "HH", head[:4])
    if group == ITEM_GROUP:
        return (group, element), struct.unpack(endian + "L", head[4:])[0]
    if head[4:6] in LONG_VRS:
        extra = fp.read(4)
        if len(extra) < 4:
            raise MalformedFile("truncated (inside an element header)")
        return (group, element), struct.unpack(endian + "L", extra)[0]
    return (group, element), struct.unpack(endian + "H", head[6:])[0]


def _walk_dataset(
    fp: BinaryIO,
    size: int,
    implicit: bool,
    endian: str,
    keep: tuple[Collection[Tag], Part10Values],
) -> None:
    """Linear walk; `open_containers` holds the VR mode of each undefined-length container."""
    wanted, found = keep
    open_containers: list[bool] = []
    past_pixels = False
    while head := fp.read(8):
        if len(head) < 8:
            raise MalformedFile("truncated (inside an element header)")
        mode = open_containers[-1] if open_containers else implicit
        if mode:
            tag = struct.unpack(endian + "HH", head[:4])
            length = struct.unpack(endian + "L", head[4:])[0]
        else:
            tag, length = _explicit_header(fp, head, endian)
        top = not open_containers
        if top and tag == PIXEL_DATA:
            found.pixel_data = (fp.tell(), length)
        if tag[0] == ITEM_GROUP and tag[1] in DELIMITERS:
            if not open_containers:
                raise MalformedFile("malformed (unexpected delimiter)")
            open_containers.pop()
        elif length == UNDEFINED_LENGTH:
            found.irregular |= top and tag in wanted
            open_containers.append(mode or head[4:6] == b"UN")  # UN content is implicit
        elif fp.tell() + length > size:
            raise MalformedFile("truncated (inside an element value)")
        elif top and tag in wanted:
            found.irregular |= past_pixels or tag in found.values
            found.values[tag] = fp.read(length)
            if not mode:
                found.vrs[tag] = head[4:6]
        else:
            fp.seek(length, 1)
        past_pixels |= top and tag[0] >= PIXEL_GROUP
    if open_containers:
        raise MalformedFile("truncated (inside a sequence or encapsulated Pixel Data)")
