"""Decoding of DICOM text under its Specific Character Set, and of the usual mislabelling."""

from __future__ import annotations

import pytest

from ortif_cli.dicom.charset import decode_text, decode_western


@pytest.mark.parametrize(
    ("value", "charset", "text"),
    [
        (b"LEF\xc8VRE^H\xe9l\xe8ne", ["ISO_IR 100"], "LEFÈVRE^Hélène"),
        ("LEFÈVRE^Hélène".encode(), ["ISO_IR 192"], "LEFÈVRE^Hélène"),
        (b"DUPONT^Jos\xe9", [""], "DUPONT^José"),
        (b"DUPONT^Jose", [], "DUPONT^Jose"),
        ("Иванов^Иван".encode("iso8859_5"), ["ISO_IR 144"], "Иванов^Иван"),
    ],
)
def test_decode_text_follows_the_specific_character_set(
    value: bytes, charset: list[str], text: str
) -> None:
    assert decode_text(value, charset, person_name=True) == text


@pytest.mark.parametrize("charset", [["ISO_IR 100"], [""], ["ISO_IR 6"]])
def test_windows_1252_under_a_latin_1_label_or_none(charset: list[str]) -> None:
    assert decode_text(b"B\x8cUF^C\x9cur", charset, person_name=True) == "BŒUF^Cœur"
    assert decode_text(b"CT \x80 \x96 th\x92orax", charset, person_name=False) == "CT € – th’orax"


def test_utf_8_under_a_latin_1_label() -> None:
    assert decode_text("LEFÈVRE^Hélène".encode(), ["ISO_IR 100"], person_name=True) == (
        "LEFÈVRE^Hélène"
    )


def test_bytes_undefined_in_windows_1252_are_kept_as_latin_1() -> None:
    assert decode_western(b"A\x81B\x9dC") == "A\x81B\x9dC"


def test_invalid_utf_8_is_replaced_not_raised() -> None:
    assert decode_text(b"BAD\xff", ["ISO_IR 192"], person_name=False) == "BAD\ufffd"
