"""DICOMDIR of a CD: the studies it lists and the files it references, read from its records.

Reading the records is about 3x faster than opening every file (BENCHMARKS.md). CDs are
written by many tools: names in ISO 9660 upper case with `;1` version suffixes, files a
record references that are missing, files no record references. File names are resolved
case-insensitively with the version suffix ignored.
"""

from __future__ import annotations

import os
import warnings
import zipfile
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ortif_cli.dicom.charset import decode_text
from ortif_cli.dicom.identity import parse_date
from ortif_cli.dicom.query import StudyMatch
from ortif_cli.errors import NotFoundError
from ortif_cli.i18n import _

if TYPE_CHECKING:
    from pydicom import Dataset

    from ortif_cli.dicom.media import FolderScan


@dataclass
class DicomdirStudy:
    """A STUDY record with its patient, and the files its IMAGE (or other) records reference."""

    match: StudyMatch
    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass
class DicomdirIndex:
    studies: list[DicomdirStudy]
    referenced: set[Path]


def file_key(relative: str) -> str:
    """A path as the CD index compares it: upper case, `/` separators, no `;1`, no final dot."""
    parts = []
    for part in relative.replace("\\", "/").split("/"):
        base = part.split(";", 1)[0]
        base = base[:-1] if base.endswith(".") else base
        parts.append(base.upper())
    return "/".join(parts)


def index_files(root: Path) -> dict[str, Path]:
    """Every file under `root`, by `file_key` of its path relative to `root`."""
    found: dict[str, Path] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            found[file_key(path.relative_to(root).as_posix())] = path
    return found


def find_dicomdir(root: Path) -> Path | None:
    for entry in root.iterdir():
        if file_key(entry.name) == "DICOMDIR" and entry.is_file():
            return entry
    return None


def read_dicomdir(path: Path, files: dict[str, Path]) -> DicomdirIndex:
    """The studies of a DICOMDIR; `files` is `index_files` of its folder."""
    from pydicom import dcmread

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmread(path)
    charsets = _charsets(ds)
    records = list(ds.get("DirectoryRecordSequence", []))
    by_offset = {getattr(r, "seq_item_tell", None): r for r in records}
    root = ds.get("OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity", 0)
    index = DicomdirIndex([], set())
    for patient in _siblings(by_offset, root, records):
        if str(patient.get("DirectoryRecordType", "")) != "PATIENT":
            continue
        for study in _children(by_offset, patient):
            if str(study.get("DirectoryRecordType", "")) == "STUDY":
                index.studies.append(_study(by_offset, patient, study, charsets, files, index))
    return index


def _siblings(by_offset: dict[Any, Dataset], first: int, records: list[Dataset]) -> list[Dataset]:
    if not first or first not in by_offset:
        return [r for r in records if str(r.get("DirectoryRecordType", "")) == "PATIENT"]
    chain, offset, seen = [], first, set()
    while offset and offset in by_offset and offset not in seen:
        seen.add(offset)
        record = by_offset[offset]
        chain.append(record)
        offset = record.get("OffsetOfTheNextDirectoryRecord", 0)
    return chain


def _children(by_offset: dict[Any, Dataset], record: Dataset) -> list[Dataset]:
    lower = record.get("OffsetOfReferencedLowerLevelDirectoryEntity", 0)
    return _siblings(by_offset, lower, []) if lower in by_offset else []


def _study(
    by_offset: dict[Any, Dataset],
    patient: Dataset,
    study: Dataset,
    charsets: list[str],
    files: dict[str, Path],
    index: DicomdirIndex,
) -> DicomdirStudy:
    series = [s for s in _children(by_offset, study) if s.get("DirectoryRecordType") == "SERIES"]
    found = DicomdirStudy(
        StudyMatch(
            study_instance_uid=_text(study, "StudyInstanceUID", charsets),
            patient_name=_text(patient, "PatientName", charsets),
            patient_id=_text(patient, "PatientID", charsets),
            birth_date=parse_date(_text(patient, "PatientBirthDate", charsets)),
            study_date=parse_date(_text(study, "StudyDate", charsets)),
            modalities=sorted({m for s in series if (m := _text(s, "Modality", charsets))}),
            description=_text(study, "StudyDescription", charsets) or None,
            accession_number=_text(study, "AccessionNumber", charsets) or None,
            series_count=len(series),
            instance_count=0,
            source="dir",
        )
    )
    for one_series in series:
        for leaf in _children(by_offset, one_series):
            reference = leaf.get("ReferencedFileID")
            if not reference:
                continue
            parts = [reference] if isinstance(reference, str) else list(reference)
            key = file_key("/".join(str(p) for p in parts))
            if key in files:
                found.files.append(files[key])
                index.referenced.add(files[key])
            else:
                found.missing.append(key)
    count = len(found.files) + len(found.missing)
    found.match = replace(found.match, instance_count=count)
    if found.match.birth_date is None and found.files:
        found.match = replace(found.match, birth_date=_birth_date_in(found.files[0]))
    return found


def _birth_date_in(path: Path) -> date | None:
    """The patient's birth date read from a file: DICOMDIR patient records often omit it."""
    from ortif_cli.dicom.media import FolderScan, read_into

    scan = FolderScan()
    read_into(scan, path)
    return scan.instances[0].patient.birth_date if scan.instances else None


def _charsets(ds: Dataset) -> list[str]:
    value = ds.get("SpecificCharacterSet", "")
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _text(record: Dataset, keyword: str, charsets: list[str]) -> str:
    own = record.get("SpecificCharacterSet")
    if own:
        charsets = _charsets(record)
    if keyword not in record:
        return ""
    element = record.get_item(keyword)
    from pydicom.dataelem import RawDataElement

    if isinstance(element, RawDataElement) and isinstance(element.value, bytes):
        return decode_text(element.value, charsets, person_name=element.VR == "PN").strip("\0 ")
    value = record[keyword].value
    return "" if value is None else str(value).strip()


def scan_source(root: Path) -> FolderScan:
    """Every instance of a folder, CD or zip file (headers only), with missing references.

    Files a DICOMDIR references but that are missing are reported as errors.
    """
    from ortif_cli.dicom.media import FileError, scan_folder, scan_zip

    if root.is_file() and zipfile.is_zipfile(root):
        return scan_zip(root)
    if not root.is_dir():
        raise NotFoundError(_("No folder or zip file at {path}.").format(path=root))
    scan = scan_folder(root)
    dicomdir = find_dicomdir(root)
    if dicomdir is not None:
        with suppress(Exception):  # a damaged DICOMDIR: the scan has read every file anyway
            for study in read_dicomdir(dicomdir, index_files(root)).studies:
                scan.errors += [
                    FileError(root / m, _("listed in DICOMDIR but missing")) for m in study.missing
                ]
    return scan
