"""The DICOM file header (preamble, `DICM`, File Meta Information) built from three UIDs.

A received C-STORE data set is written after this header as the bytes that arrived.
Building the few group 0002 elements directly costs a few microseconds, where a pydicom
FileMetaDataset costs about a millisecond per instance (a tenth of a C-GET's CPU).
The bytes are those pydicom writes for the same File Meta Information (pinned by a test).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from ortif_cli import __version__
from ortif_cli.dicom.charset import ascii_value
from ortif_cli.dicom.headers import Truncated, read_values

IMPLEMENTATION_CLASS_UID = "2.25.241241654635380879518839346317626994196"
"""ortif's, a UUID-derived UID (PS3.5 B.2): in the files we write and our associations."""
IMPLEMENTATION_VERSION_NAME = "ORTIF_" + __version__.replace(".", "")[:10]

_PLAIN_UID = re.compile(r"^[0-9.]{1,64}$")
PREAMBLE = b"\x00" * 128 + b"DICM"
"""The 128-byte preamble and the `DICM` prefix of every Part 10 file."""
_VERSION = b"\x02\x00\x01\x00OB\x00\x00" + struct.pack("<I", 2) + b"\x00\x01"


def _element(element: int, vr: bytes, value: bytes, pad: bytes) -> bytes:
    if len(value) % 2:
        value += pad
    return struct.pack("<HH", 0x0002, element) + vr + struct.pack("<H", len(value)) + value


def _implementation(version_name: str) -> bytes:
    return _element(0x0012, b"UI", IMPLEMENTATION_CLASS_UID.encode(), b"\0") + _element(
        0x0013, b"SH", version_name.encode(), b" "
    )


_IMPLEMENTATION = _implementation(IMPLEMENTATION_VERSION_NAME)


def plain_uids(*uids: str) -> bool:
    """True when every UID is digits and dots, at most 64 characters (what we can encode)."""
    return all(_PLAIN_UID.match(uid) for uid in uids)


def file_header(
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax_uid: str,
    version_name: str = IMPLEMENTATION_VERSION_NAME,
) -> bytes:
    """Preamble, `DICM` and the File Meta Information (Explicit VR Little Endian).

    The UIDs must pass `plain_uids`; raises ValueError otherwise. `version_name` is the
    Implementation Version Name written (ortif's, with its version, by default).
    """
    if not plain_uids(sop_class_uid, sop_instance_uid, transfer_syntax_uid):
        raise ValueError("not a plain UID")
    body = b"".join(
        (
            _VERSION,
            _element(0x0002, b"UI", sop_class_uid.encode("ascii"), b"\0"),
            _element(0x0003, b"UI", sop_instance_uid.encode("ascii"), b"\0"),
            _element(0x0010, b"UI", transfer_syntax_uid.encode("ascii"), b"\0"),
            _IMPLEMENTATION
            if version_name == IMPLEMENTATION_VERSION_NAME
            else _implementation(version_name),
        )
    )
    length = b"\x02\x00\x00\x00UL" + struct.pack("<HI", 4, len(body))
    return PREAMBLE + length + body


def any_file_header(
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax_uid: str,
    version_name: str = IMPLEMENTATION_VERSION_NAME,
) -> bytes:
    """`file_header`, or pydicom's encoding for UIDs it cannot take (letters, too long)."""
    if plain_uids(sop_class_uid, sop_instance_uid, transfer_syntax_uid):
        return file_header(sop_class_uid, sop_instance_uid, transfer_syntax_uid, version_name)
    from pydicom.dataset import FileMetaDataset
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_file_meta_info
    from pydicom.uid import UID

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = UID(transfer_syntax_uid)
    meta.ImplementationClassUID = UID(IMPLEMENTATION_CLASS_UID)
    meta.ImplementationVersionName = version_name
    buffer = DicomBytesIO()
    write_file_meta_info(buffer, meta, enforce_standard=False)
    return PREAMBLE + buffer.getvalue()


def read_part10_meta(path: Path) -> tuple[str, str, str, int]:
    """(SOP Class, SOP Instance, Transfer Syntax UID, offset of the data set) of a file.

    Raises ValueError when the file has no preamble and File Meta Information.
    """
    with open(path, "rb") as stream:
        head = stream.read(144)
        if len(head) < 144 or head[128:132] != b"DICM" or head[132:138] != b"\x02\x00\x00\x00UL":
            raise ValueError("no DICOM File Meta Information")
        (length,) = struct.unpack_from("<I", head, 140)
        meta = stream.read(length)
    try:
        values = read_values(meta, explicit=True) if len(meta) == length else {}
    except Truncated as exc:
        raise ValueError(str(exc)) from exc

    found = tuple(ascii_value(values.get(tag)) for tag in (0x00020002, 0x00020003, 0x00020010))
    if not all(found):
        raise ValueError("incomplete DICOM File Meta Information")
    sop_class, sop_instance, syntax = found
    return sop_class, sop_instance, syntax, 144 + length
