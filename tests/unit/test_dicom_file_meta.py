"""The file header written before a received data set: the bytes pynetdicom would write."""

from __future__ import annotations

from io import BytesIO

import pytest
from pydicom import dcmread
from pydicom.uid import UID
from pynetdicom.dsutils import create_file_meta, encode_file_meta

from ortif_cli.dicom.file_meta import file_header, plain_uids

CT = "1.2.840.10008.5.1.4.1.1.2"


@pytest.mark.parametrize(
    ("sop_instance_uid", "syntax"),
    [
        ("1.2.3.4", "1.2.840.10008.1.2.1"),  # even lengths
        ("1.2.3.45", "1.2.840.10008.1.2"),  # odd: padded with NUL
        ("2.25." + "9" * 59, "1.2.840.10008.1.2.4.50"),  # 64 characters
    ],
)
def test_header_equals_pynetdicoms(sop_instance_uid: str, syntax: str) -> None:
    meta = create_file_meta(
        sop_class_uid=UID(CT), sop_instance_uid=UID(sop_instance_uid), transfer_syntax=UID(syntax)
    )
    expected = b"\0" * 128 + b"DICM" + encode_file_meta(meta)
    assert file_header(CT, sop_instance_uid, syntax) == expected


def test_header_reads_back() -> None:
    header = file_header(CT, "1.2.3.45", "1.2.840.10008.1.2.1")
    data_set = b"\x08\x00\x18\x00UI\x08\x001.2.3.45"  # (0008,0018) SOP Instance UID
    ds = dcmread(BytesIO(header + data_set))
    assert ds.file_meta.MediaStorageSOPInstanceUID == "1.2.3.45"
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert ds.SOPInstanceUID == "1.2.3.45"


def test_unusual_uids_are_refused() -> None:
    assert not plain_uids(CT, "1.2.3 ", "1.2.840.10008.1.2")
    assert not plain_uids("9" * 65)
    with pytest.raises(ValueError):
        file_header(CT, "1.2.é", "1.2.840.10008.1.2")
