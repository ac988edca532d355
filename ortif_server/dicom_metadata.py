"""WADO-RS metadata (PS3.18 F.2): the header of a stored instance as DICOM JSON.

Pixel Data and binary values over `BULK_THRESHOLD` bytes are not inlined: a BulkDataURI
names them (`.../instances/{sop}/bulk/{path}`), where `path` is the tag, or for an
attribute inside a sequence `TAG/ITEM/TAG...` (items counted from 0).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from ortif_server.errors import not_found

BULK_THRESHOLD = 1024
PIXEL_DATA = "7FE00010"
TRANSFER_SYNTAX = "00020010"
AVAILABLE_TRANSFER_SYNTAX = "00083002"


def read_header(path: Path) -> Dataset:
    return dcmread(path, stop_before_pixels=True, force=True)


def instance_metadata(path: Path, instance_url: str, has_pixels: bool) -> dict[str, Any]:
    """The DICOM JSON of the instance stored at `path`, served at `instance_url`."""
    dataset = read_header(path)
    paths = dict(_element_paths(dataset, ""))

    def bulk_uri(element: DataElement) -> str:
        return f"{instance_url}/bulk/{paths[id(element)]}"

    data: dict[str, Any] = dataset.to_json_dict(BULK_THRESHOLD, bulk_uri)
    syntax = str(dataset.file_meta.get("TransferSyntaxUID", ""))
    if syntax:
        data[TRANSFER_SYNTAX] = {"vr": "UI", "Value": [syntax]}
        data[AVAILABLE_TRANSFER_SYNTAX] = {"vr": "UI", "Value": [syntax]}
    if has_pixels:
        vr = "OW" if int(dataset.get("BitsAllocated", 8)) > 8 else "OB"
        data[PIXEL_DATA] = {"vr": vr, "BulkDataURI": f"{instance_url}/bulk/{PIXEL_DATA}"}
    return dict(sorted(data.items()))


def _element_paths(dataset: Dataset, prefix: str) -> Iterator[tuple[int, str]]:
    for element in dataset:
        path = f"{prefix}{element.tag:08X}"
        yield id(element), path
        if element.VR == "SQ":
            for index, item in enumerate(element.value):
                yield from _element_paths(item, f"{path}/{index}/")


def bulk_value(path: Path, element_path: str) -> bytes:
    """The value of the (non Pixel Data) attribute at `element_path`; 404 if absent."""
    node: Any = read_header(path)
    try:
        for step, piece in enumerate(element_path.split("/")):
            node = node[int(piece)] if step % 2 else node[int(piece, 16)].value
    except (KeyError, IndexError, ValueError, TypeError):
        raise not_found(f"Attribute {element_path}") from None
    if not isinstance(node, bytes):
        raise not_found(f"Bulk data {element_path}")
    return node
