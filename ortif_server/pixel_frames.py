"""Frames of a stored instance, read by offset from its file (WADO-RS frames, bulk data).

The file is walked once to find its Pixel Data (no value is read on the way); a native
frame is then one `read` at its offset, an encapsulated frame its fragments. Only frames
asked for in a compressed syntax that the client does not accept are decoded (pydicom
with pylibjpeg), one frame at a time.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydicom.encaps import get_frame

from ortif_server.dicom_structure import (
    DEFLATED,
    EXPLICIT_VR_BIG_ENDIAN,
    UNDEFINED_LENGTH,
    MalformedFile,
    Tag,
    read_part10,
)
from ortif_server.errors import ApiError, not_found

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
OCTET_STREAM = "application/octet-stream"
SAMPLES, FRAMES, ROWS, COLUMNS, BITS = (
    (0x0028, 0x0002),
    (0x0028, 0x0008),
    (0x0028, 0x0010),
    (0x0028, 0x0011),
    (0x0028, 0x0100),
)
# PS3.18 Table 8.7.3-5: the media type of each compressed transfer syntax.
COMPRESSED_MEDIA_TYPES = {
    "1.2.840.10008.1.2.4.50": "image/jpeg",
    "1.2.840.10008.1.2.4.51": "image/jpeg",
    "1.2.840.10008.1.2.4.57": "image/jpeg",
    "1.2.840.10008.1.2.4.70": "image/jpeg",
    "1.2.840.10008.1.2.4.80": "image/jls",
    "1.2.840.10008.1.2.4.81": "image/jls",
    "1.2.840.10008.1.2.4.90": "image/jp2",
    "1.2.840.10008.1.2.4.91": "image/jp2",
    "1.2.840.10008.1.2.4.92": "image/jpx",
    "1.2.840.10008.1.2.4.93": "image/jpx",
    "1.2.840.10008.1.2.4.201": "image/jphc",
    "1.2.840.10008.1.2.4.202": "image/jphc",
    "1.2.840.10008.1.2.4.203": "image/jphc",
    "1.2.840.10008.1.2.5": "image/dicom-rle",
}


@dataclass(frozen=True)
class PixelLayout:
    """Where the frames of one file are, and their geometry."""

    path: Path
    transfer_syntax: str
    offset: int
    length: int
    rows: int
    columns: int
    samples: int
    bits_allocated: int
    frames: int

    @property
    def encapsulated(self) -> bool:
        return self.length == UNDEFINED_LENGTH or self.transfer_syntax in DEFLATED

    @property
    def frame_size(self) -> int:
        return (self.rows * self.columns * self.samples * self.bits_allocated + 7) // 8

    @property
    def media_type(self) -> str:
        """The media type of a frame as stored."""
        if not self.encapsulated:
            return OCTET_STREAM
        return COMPRESSED_MEDIA_TYPES.get(self.transfer_syntax, OCTET_STREAM)


def read_layout(path: Path) -> PixelLayout:
    """The layout of the Pixel Data of the stored file; 404 if it has none."""
    with path.open("rb") as fp:
        try:
            found = read_part10(fp, path.stat().st_size, (SAMPLES, FRAMES, ROWS, COLUMNS, BITS))
        except MalformedFile:
            found = None
    if found is None or (found.pixel_data is None and found.transfer_syntax not in DEFLATED):
        raise not_found("Pixel data of this instance")
    endian = ">" if found.transfer_syntax == EXPLICIT_VR_BIG_ENDIAN else "<"
    number = _numbers(found.values, endian)
    offset, length = found.pixel_data or (0, UNDEFINED_LENGTH)
    return PixelLayout(
        path=path,
        transfer_syntax=found.transfer_syntax,
        offset=offset,
        length=length,
        rows=number(ROWS),
        columns=number(COLUMNS),
        samples=number(SAMPLES) or 1,
        bits_allocated=number(BITS) or 8,
        frames=_frame_count(found.values.get(FRAMES)),
    )


def _numbers(values: dict[Tag, bytes], endian: str) -> Callable[[Tag], int]:
    """Reads US values (Rows, Columns...) as numbers, 0 when absent."""

    def number(tag: Tag) -> int:
        raw = values.get(tag, b"")
        return int(struct.unpack(endian + "H", raw)[0]) if len(raw) == 2 else 0

    return number


def _frame_count(raw: bytes | None) -> int:
    try:
        return max(1, int(float(raw.decode("ascii").strip("\x00 ")))) if raw else 1
    except ValueError:
        return 1


def frame_numbers(text: str, layout: PixelLayout) -> list[int]:
    """`1,3,5` -> [1, 3, 5]; 400 if not numbers, 404 if past the last frame."""
    try:
        numbers = [int(n) for n in text.split(",")]
    except ValueError:
        raise ApiError(400, "bad_request", f"Bad frame list {text!r}.") from None
    if any(n < 1 for n in numbers):
        raise ApiError(400, "bad_request", "Frame numbers start at 1.")
    if any(n > layout.frames for n in numbers):
        raise not_found(f"Frame {max(numbers)} (the instance has {layout.frames})")
    return numbers


def stored_frame(layout: PixelLayout, number: int) -> bytes:
    """Frame `number` (from 1) as stored: compressed bytes, or native little endian."""
    with layout.path.open("rb") as fp:
        fp.seek(layout.offset)
        if layout.encapsulated:
            return get_frame(fp, number - 1, number_of_frames=layout.frames)
        fp.seek((number - 1) * layout.frame_size, 1)
        data = fp.read(layout.frame_size)
    if layout.transfer_syntax == EXPLICIT_VR_BIG_ENDIAN and layout.bits_allocated > 8:
        return _swap(data, layout.bits_allocated // 8)
    return data


def decoded_frame(layout: PixelLayout, number: int) -> bytes:
    """Frame `number` in Explicit VR Little Endian: decoded if stored compressed."""
    if not layout.encapsulated:
        return stored_frame(layout, number)
    from pydicom.pixels.utils import pixel_array

    try:
        array = pixel_array(str(layout.path), index=number - 1)
    except (NotImplementedError, RuntimeError, ValueError) as exc:
        raise ApiError(406, "not_acceptable", f"Cannot decode this frame: {exc}") from None
    return bytes(array.astype(array.dtype.newbyteorder("<")).tobytes())


def _swap(data: bytes, width: int) -> bytes:
    import numpy

    kind = {2: "u2", 4: "u4", 8: "u8"}[width]
    return bytes(numpy.frombuffer(data, ">" + kind).astype("<" + kind).tobytes())
