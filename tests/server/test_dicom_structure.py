"""The completeness check of DICOM files, on the transfer syntaxes it walks."""

from __future__ import annotations

import io

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from ortif_server.dicom_structure import MalformedFile, check_part10
from tests.server.dicom_files import ct_bytes


def _encode(transfer_syntax: str, undefined_length_sequence: bool) -> bytes:
    ds = dcmread(io.BytesIO(ct_bytes()))
    item = Dataset()
    item.CodeValue = "CODE-VALUE"
    ds.ProcedureCodeSequence = Sequence([item])
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    ds["ProcedureCodeSequence"].is_undefined_length = undefined_length_sequence
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRLittleEndian])
@pytest.mark.parametrize("undefined", [True, False])
def test_complete_files_pass_and_cuts_inside_elements_fail(syntax: str, undefined: bool) -> None:
    data = _encode(syntax, undefined)
    assert check_part10(io.BytesIO(data), len(data)) == syntax
    cuts = {
        "inside Pixel Data": len(data) - 100,
        "inside a sequence item": data.index(b"CODE-VALUE") + 5,
        "inside an element header": data.index(b"CT HEAD") - 3,
        "inside the file meta": 140,
    }
    for where, cut in cuts.items():
        with pytest.raises(MalformedFile, match="truncated"):
            check_part10(io.BytesIO(data[:cut]), cut)
            pytest.fail(where)


def test_not_dicom() -> None:
    with pytest.raises(MalformedFile, match="not DICOM"):
        check_part10(io.BytesIO(b"x" * 200), 200)
