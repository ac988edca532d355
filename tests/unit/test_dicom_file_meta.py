"""The file header written before a received data set: the bytes pydicom would write."""

from __future__ import annotations

from io import BytesIO

import pytest
from pydicom import dcmread
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info

from ortif_cli.dicom.file_meta import (
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    file_header,
    plain_uids,
)

CT = "1.2.840.10008.5.1.4.1.1.2"


@pytest.mark.parametrize(
    ("sop_instance_uid", "syntax"),
    [
        ("1.2.3.4", "1.2.840.10008.1.2.1"),  # even lengths
        ("1.2.3.45", "1.2.840.10008.1.2"),  # odd: padded with NUL
        ("2.25." + "9" * 59, "1.2.840.10008.1.2.4.50"),  # 64 characters
    ],
)
def test_header_equals_pydicoms(sop_instance_uid: str, syntax: str) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT
    meta.MediaStorageSOPInstanceUID = sop_instance_uid
    meta.TransferSyntaxUID = syntax
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
    buffer = DicomBytesIO()
    write_file_meta_info(buffer, meta, enforce_standard=True)
    assert file_header(CT, sop_instance_uid, syntax) == b"\0" * 128 + b"DICM" + buffer.getvalue()


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
