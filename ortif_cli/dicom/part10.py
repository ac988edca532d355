"""Legacy files sent as DICOM Part 10: a built prefix in front of the file's unchanged bytes.

Old modalities and CD burners write a data set alone (no preamble, no File Meta
Information), or File Meta Information without the preamble. The platform takes Part 10
files only, so such a file is sent behind the 128-byte preamble and `DICM` (and, for a
bare data set, a File Meta Information built from its SOP Class and Instance UIDs and the
transfer syntax detected when reading it). The data set bytes are never re-encoded, and
the file is streamed: the prefix, then the file as it is read.
"""

from __future__ import annotations

import io
from typing import BinaryIO, cast

from ortif_cli.dicom.file_meta import PREAMBLE, any_file_header
from ortif_cli.dicom.headers import BARE, NO_PREAMBLE
from ortif_cli.dicom.media import InstanceFile, open_instance

WRAPPER_VERSION_NAME = "ORTIF_WRAP_1"
"""The Implementation Version Name of a built File Meta Information: fixed, not ortif's
version, so that the same legacy file gives the same bytes (and SHA-256) after an
upgrade, and a rerun finds it already on the platform."""


def part10_prefix(instance: InstanceFile) -> bytes:
    """What goes before the file's bytes to make a Part 10 file; empty for a Part 10 file."""
    if instance.framing == NO_PREAMBLE:
        return PREAMBLE
    if instance.framing == BARE:
        assert instance.sop_class_uid is not None  # `media` refuses a bare file without it
        return any_file_header(
            instance.sop_class_uid,
            instance.sop_instance_uid,
            instance.transfer_syntax_uid,
            WRAPPER_VERSION_NAME,
        )
    return b""


def open_part10(instance: InstanceFile, prefix: bytes) -> BinaryIO:
    """The instance's bytes behind `prefix` (from `part10_prefix`), read as one stream."""
    stream = open_instance(instance)
    if not prefix:
        return stream
    return cast(BinaryIO, _Prefixed(prefix, stream))


class _Prefixed(io.RawIOBase):
    """`prefix`, then everything `stream` gives; closes `stream` with it."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix, self._stream = prefix, stream

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self._prefix:
            return self._stream.read(size)
        if size < 0:
            head, self._prefix = self._prefix, b""
            return head + self._stream.read()
        head, self._prefix = self._prefix[:size], self._prefix[size:]
        return head + self._stream.read(size - len(head)) if size > len(head) else head

    def close(self) -> None:
        self._stream.close()
        super().close()
