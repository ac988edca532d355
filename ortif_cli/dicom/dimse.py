"""DIMSE command sets (PS3.7) and the small text-only data sets of queries, as bytes.

Command sets are always Implicit VR Little Endian. Query identifiers hold only text
values (UIDs, names, dates, codes, counts asked for empty), so they are encoded here in
either Little Endian syntax; answers are read with the lean element walker of
`headers.py`. No pydicom on the C-FIND / C-GET path: importing it costs 0.25 s.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping

from ortif_cli.dicom.charset import ascii_value
from ortif_cli.dicom.headers import Truncated, read_values
from ortif_cli.dicom.upper_layer import Aborted

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

C_STORE_RQ, C_STORE_RSP = 0x0001, 0x8001
C_GET_RQ, C_GET_RSP = 0x0010, 0x8010
C_FIND_RQ, C_FIND_RSP = 0x0020, 0x8020
C_MOVE_RQ, C_MOVE_RSP = 0x0021, 0x8021
C_ECHO_RQ, C_ECHO_RSP = 0x0030, 0x8030
C_CANCEL_RQ = 0x0FFF
NO_DATASET = 0x0101

AFFECTED_SOP_CLASS = 0x00000002
COMMAND_FIELD = 0x00000100
MESSAGE_ID = 0x00000110
RESPONDED_ID = 0x00000120
MOVE_DESTINATION = 0x00000600
PRIORITY = 0x00000700
DATASET_TYPE = 0x00000800
STATUS = 0x00000900
AFFECTED_SOP_INSTANCE = 0x00001000
REMAINING, COMPLETED, FAILED, WARNING = 0x00001020, 0x00001021, 0x00001022, 0x00001023

_ELEMENT = struct.Struct("<HHL")
_US = struct.Struct("<H")


def _text(value: str, pad: bytes = b" ") -> bytes:
    data = value.encode("utf-8")
    return data + pad if len(data) % 2 else data


def us(value: int) -> bytes:
    return _US.pack(value)


def ui(value: str) -> bytes:
    return _text(value, b"\0")


def ae(value: str) -> bytes:
    return _text(value)


def encode_command(values: Mapping[int, bytes]) -> bytes:
    """A command set with its group length, elements in tag order."""
    body = b"".join(
        _ELEMENT.pack(tag >> 16, tag & 0xFFFF, len(value)) + value
        for tag, value in sorted(values.items())
    )
    return _ELEMENT.pack(0, 0, 4) + struct.pack("<L", len(body)) + body


class Command:
    """A received command set: raw values by tag, with the few accessors we use."""

    def __init__(self, data: bytes) -> None:
        self.values = _read(data, explicit=False)

    def us(self, tag: int, default: int = 0) -> int:
        value = self.values.get(tag, b"")
        return _US.unpack(value[:2])[0] if len(value) >= 2 else default

    def uid(self, tag: int) -> str:
        return ascii_value(self.values.get(tag))

    @property
    def field(self) -> int:
        return self.us(COMMAND_FIELD)

    @property
    def status(self) -> int | None:
        return self.us(STATUS) if STATUS in self.values else None

    @property
    def has_dataset(self) -> bool:
        return self.us(DATASET_TYPE, NO_DATASET) != NO_DATASET

    def count(self, tag: int) -> int | None:
        return self.us(tag) if tag in self.values else None


def request(
    field: int,
    message_id: int,
    sop_class: str,
    *,
    instance: str | None = None,
    destination: str | None = None,
) -> bytes:
    """A request command (C-STORE names its `instance`, C-MOVE its `destination`)."""
    values = {
        AFFECTED_SOP_CLASS: ui(sop_class),
        COMMAND_FIELD: us(field),
        MESSAGE_ID: us(message_id),
        DATASET_TYPE: us(NO_DATASET if field == C_ECHO_RQ else 0x0000),
    }
    if field != C_ECHO_RQ:
        values[PRIORITY] = us(0)
    if instance is not None:
        values[AFFECTED_SOP_INSTANCE] = ui(instance)
    if destination is not None:
        values[MOVE_DESTINATION] = ae(destination)
    return encode_command(values)


def cancel_request(message_id: int) -> bytes:
    """C-CANCEL-RQ for the request `message_id` (PS3.7 9.3.2.3)."""
    return encode_command(
        {COMMAND_FIELD: us(C_CANCEL_RQ), RESPONDED_ID: us(message_id), DATASET_TYPE: us(NO_DATASET)}
    )


def store_response(message_id: int, sop_class: str, sop_instance: str, status: int) -> bytes:
    return encode_command(
        {
            AFFECTED_SOP_CLASS: ui(sop_class),
            COMMAND_FIELD: us(C_STORE_RSP),
            RESPONDED_ID: us(message_id),
            DATASET_TYPE: us(NO_DATASET),
            STATUS: us(status),
            AFFECTED_SOP_INSTANCE: ui(sop_instance),
        }
    )


# identifiers ---------------------------------------------------------------------------
def encode_identifier(elements: Iterable[tuple[int, str, str]], syntax: str) -> bytes:
    """(tag, VR, text) elements as a data set in `syntax` (either Little Endian one).

    Text is UTF-8: the identifier must then carry Specific Character Set ISO_IR 192.
    UIDs are padded with NUL, everything else with a space; empty text is a return key.
    """
    explicit = syntax == EXPLICIT_LE
    out = []
    for tag, vr, text in sorted(elements):
        value = _text(text, b"\0" if vr == "UI" else b" ")
        if explicit:
            out.append(struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(value)))
        else:
            out.append(_ELEMENT.pack(tag >> 16, tag & 0xFFFF, len(value)))
        out.append(value)
    return b"".join(out)


def decode_identifier(data: bytes, syntax: str) -> dict[int, bytes]:
    """The raw top-level values of a received identifier (sequences skipped)."""
    return _read(data, explicit=syntax != IMPLICIT_LE)


def _read(data: bytes, *, explicit: bool) -> dict[int, bytes]:
    """read_values; a malformed message breaks the protocol: Aborted."""
    try:
        return read_values(data, explicit=explicit)
    except Truncated as exc:
        raise Aborted(f"a malformed message from the peer ({exc})") from exc
