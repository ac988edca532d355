"""Which representation of a frame to send, from the media ranges a client accepts.

PS3.18 8.7.3: `application/octet-stream` without a transfer syntax (or with Explicit VR
Little Endian) asks for native pixels, so a compressed frame is decoded; with
`transfer-syntax=*` the frame goes as stored; a compressed syntax's own media type
(`image/jpeg`, `image/jls`, `image/jp2`...) gets the stored bytes if that is their
syntax. We never transcode from one compressed syntax to another: 406.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ortif_server.accept import ANY_SYNTAX, MediaRange, not_acceptable
from ortif_server.pixel_frames import (
    EXPLICIT_VR_LITTLE_ENDIAN,
    OCTET_STREAM,
    PixelLayout,
    decoded_frame,
    stored_frame,
)

FrameReader = Callable[[PixelLayout, int], bytes]
DEFAULT_ACCEPT = f'multipart/related; type="{OCTET_STREAM}"'


def choose(ranges: Sequence[MediaRange], layout: PixelLayout) -> tuple[str, FrameReader]:
    """The Content-Type of each part and how to read a frame; 406 if nothing fits."""
    for media_range in ranges:
        choice = _choice(media_range, layout)
        if choice is not None:
            return choice
    raise not_acceptable("this frame")


def _choice(media_range: MediaRange, layout: PixelLayout) -> tuple[str, FrameReader] | None:
    stored_syntax = layout.transfer_syntax if layout.encapsulated else EXPLICIT_VR_LITTLE_ENDIAN
    wanted = media_range.transfer_syntax
    if media_range.media_type == OCTET_STREAM:
        if wanted in (None, EXPLICIT_VR_LITTLE_ENDIAN):
            return _part_type(OCTET_STREAM, EXPLICIT_VR_LITTLE_ENDIAN), decoded_frame
        if wanted in (ANY_SYNTAX, stored_syntax):
            return _part_type(OCTET_STREAM, stored_syntax), stored_frame
        return None
    if media_range.matches(layout.media_type) and wanted in (None, ANY_SYNTAX, stored_syntax):
        return _part_type(layout.media_type, stored_syntax), stored_frame
    return None


def _part_type(media_type: str, syntax: str) -> str:
    return f"{media_type}; transfer-syntax={syntax}"
