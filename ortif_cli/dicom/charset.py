"""Decoding of DICOM text values, tolerant of the usual mislabelling of Western text."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from contextlib import suppress

_WESTERN = ("", "ISO_IR 6", "ISO_IR 100")
_PN_DELIMITERS = {0x5E, 0x3D}  # '^' and '=' reset ISO 2022 code extensions in a PN
_TEXT_DELIMITERS = {0x09, 0x0A, 0x0C, 0x0D}
_C1_RANGE = range(0x80, 0xA0)
# Windows-1252 puts printable characters (œ, Œ, €, ’...) where ISO 8859-1 has C1 controls.
_C1_AS_CP1252 = {
    code: char
    for code, char in zip(
        _C1_RANGE, bytes(_C1_RANGE).decode("cp1252", errors="replace"), strict=True
    )
    if char != "\ufffd"
}


SPECIFIC_CHARACTER_SET = 0x00080005


def ascii_value(raw: bytes | None) -> str:
    """A UID or code string value as text, without its NUL or space padding."""
    return (raw or b"").decode("ascii", errors="replace").strip("\0 ")


def charsets_of(values: Mapping[int, bytes]) -> list[str]:
    """The Specific Character Set terms of a data set's raw values (by tag)."""
    return ascii_value(values.get(SPECIFIC_CHARACTER_SET)).split("\\")


def text_value(
    values: Mapping[int, bytes], tag: int, charsets: Sequence[str], *, person_name: bool = False
) -> str:
    """The decoded text of `tag` in raw values (by tag), padding removed; "" when absent."""
    raw = values.get(tag)
    if not raw:
        return ""
    return decode_text(raw, charsets, person_name=person_name).strip("\0 ")


def decode_text(value: bytes, specific_character_set: Sequence[str], *, person_name: bool) -> str:
    """Decode a text or PN `value` under the terms of its Specific Character Set.

    Latin-1 (ISO_IR 100) or unlabelled text is read as Windows-1252 where the two differ,
    and as UTF-8 when it is valid UTF-8: both are common mislabellings, never real Latin-1.
    """
    terms = [term.strip() for term in specific_character_set] or [""]
    if all(term in _WESTERN for term in terms):
        return decode_western(value)
    if terms == ["ISO_IR 192"]:
        return value.decode("utf-8", errors="replace")
    from pydicom.charset import convert_encodings, decode_bytes

    delimiters = _PN_DELIMITERS if person_name else _TEXT_DELIMITERS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undecodable bytes become replacement characters
        return decode_bytes(value, convert_encodings(terms), delimiters)


def decode_western(value: bytes) -> str:
    """Decode text labelled ISO_IR 100 or unlabelled, repairing Windows-1252 and UTF-8."""
    if value.isascii():
        return value.decode("ascii")
    with suppress(UnicodeDecodeError):
        return value.decode("utf-8")
    return value.decode("latin-1").translate(_C1_AS_CP1252)
