"""DICOM files for tests: sample studies (from the package) and the junk found on real CDs."""

from __future__ import annotations

import gc
import subprocess
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.fileset import FileSet

from ortif_cli.dicom.local_pacs import LocalPacs
from ortif_cli.dicom.sample import WrittenStudy, write_sample_study

__all__ = [
    "write_cd_image",
    "write_dcmmkdir_cd",
    "QueryRetrieveSCP",
    "WrittenStudy",
    "write_dicomdir",
    "write_non_dicom",
    "write_raw_patient_name",
    "write_study",
    "write_truncated",
    "write_without_preamble",
]

write_study = write_sample_study


class QueryRetrieveSCP(LocalPacs):
    """The local PACS, under the AE title the tests expect."""

    def __init__(self, root: Path, **options: Any) -> None:
        options.setdefault("ae_title", "TESTPACS")
        super().__init__(root, **options)


def write_non_dicom(path: Path, content: bytes = b"[autorun]\r\nopen=viewer.exe\r\n") -> Path:
    """A file that is not DICOM (by default an autorun.inf)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def write_truncated(source: Path, path: Path, keep: int | None = None) -> Path:
    """A copy of `source` cut after `keep` bytes (by default, half of it)."""
    data = source.read_bytes()
    return write_non_dicom(path, data[: len(data) // 2 if keep is None else keep])


def write_without_preamble(source: Path, path: Path) -> Path:
    """A copy of `source` without its 128-byte preamble and 'DICM' prefix."""
    data = source.read_bytes()
    assert data[128:132] == b"DICM"
    return write_non_dicom(path, data[132:])


def write_raw_patient_name(source: Path, raw_name: bytes, charset: str | None) -> Path:
    """Rewrite `source` with `raw_name` as the exact bytes of Patient's Name.

    `charset` None leaves Specific Character Set out. Latin-1 maps every byte to one
    character, so the bytes written are `raw_name` whatever they really encode.
    """
    ds = dcmread(source)
    del ds.SpecificCharacterSet
    if charset is not None:
        ds.SpecificCharacterSet = charset
    ds.PatientName = raw_name.decode("latin-1")
    ds.save_as(source)
    return source


def write_dicomdir(paths: Iterable[Path], directory: Path) -> Path:
    """A CD layout in `directory`: copies of `paths` and the DICOMDIR indexing them."""
    with warnings.catch_warnings():
        # FileSet leaves its staging directory to the garbage collector, which warns.
        warnings.simplefilter("ignore", ResourceWarning)
        file_set = FileSet()
        for path in paths:
            file_set.add(path)
        file_set.write(directory)
        del file_set
        gc.collect()
    return directory / "DICOMDIR"


def write_bare_data_set(source: Path, path: Path, *, implicit_vr: bool) -> Path:
    """`source` as old modalities and CD burners write it: the data set alone, no preamble
    and no File Meta Information, in Implicit or Explicit VR Little Endian."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    ds = dcmread(source)
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, implicit_vr
    write_dataset(buffer, ds)
    return write_non_dicom(path, buffer.getvalue())


def write_in_syntax(source: Path, path: Path, option: str) -> Path:
    """A Part 10 copy of `source` converted by dcmtk's `dcmconv` (`+tb` retired Explicit VR
    Big Endian, `+td` Deflated Explicit VR Little Endian)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dcmconv", option, str(source), str(path)], check=True, capture_output=True)
    return path


def write_without_transfer_syntax(source: Path, path: Path) -> Path:
    """A copy of `source` whose File Meta Information lacks its Transfer Syntax UID, as
    some CD burners write: pydicom guesses the syntax, the platform refuses the file."""
    import struct

    from ortif_cli.dicom.file_meta import PREAMBLE, read_part10_meta

    sop_class, sop_instance, _, offset = read_part10_meta(source)

    def element(number: int, value: str) -> bytes:
        raw = value.encode() + b"\0" * (len(value) % 2)
        return struct.pack("<HH2sH", 0x0002, number, b"UI", len(raw)) + raw

    body = element(0x0002, sop_class) + element(0x0003, sop_instance)
    length = struct.pack("<HH2sHI", 0x0002, 0x0000, b"UL", 4, len(body))
    return write_non_dicom(path, PREAMBLE + length + body + source.read_bytes()[offset:])


def write_dcmmkdir_cd(sources: Iterable[Path], cd: Path, first: int = 0) -> list[Path]:
    """A CD as burners write it: copies of `sources` under ISO 9660 names
    (DICOM/IMnnnnnn) and the DICOMDIR dcmtk's `dcmmkdir` makes for them."""
    folder = cd / "DICOM"
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for number, source in enumerate(sources, start=first):
        copies.append(folder / f"IM{number:06d}")
        copies[-1].write_bytes(source.read_bytes())
    subprocess.run(["dcmmkdir", "+r", "DICOM"], cwd=cd, check=True, capture_output=True)
    return copies


def write_cd_image(folder: Path, image: Path, *, joliet: bool = True) -> Path:
    """An ISO 9660 image of `folder` (names as they are, which must fit ISO 9660 level 1),
    with a Joliet tree in lower case if asked, written by pycdlib."""
    import io

    import pycdlib

    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=1, joliet=3 if joliet else None)
    for path in sorted(folder.rglob("*")):
        name = "/" + path.relative_to(folder).as_posix()
        joliet_path = name.lower() if joliet else None
        if path.is_dir():
            iso.add_directory(name.upper(), joliet_path=joliet_path)
        else:
            data = path.read_bytes()
            suffix = ";1" if "." in path.name else ".;1"
            iso.add_fp(io.BytesIO(data), len(data), name.upper() + suffix, joliet_path=joliet_path)
    iso.write(str(image))
    iso.close()
    return image
