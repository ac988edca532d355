"""DICOMDIRs of a CD: the studies they list and the files they reference, read from records.

Reading the records is about 3x faster than opening every file (BENCHMARKS.md), and the
lean reader of `dicom.directory_records` reads them without pydicom. CDs are written by
many tools: names in ISO 9660 upper case with `;1` version suffixes (or mounted in lower
case), files a record references that are missing, files no record references, several
DICOMDIRs on one medium, a folder holding several CDs. Each DICOMDIR indexes the files
under its own folder; file names are resolved case-insensitively, version suffix ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ortif_cli.dicom.charset import SPECIFIC_CHARACTER_SET, ascii_value, charsets_of, text_value
from ortif_cli.dicom.directory_records import (
    REFERENCED_SOP_INSTANCE,
    Directory,
    Record,
    Unreadable,
    read_directory,
)
from ortif_cli.dicom.identity import parse_date
from ortif_cli.dicom.query import StudyMatch
from ortif_cli.errors import NotFoundError
from ortif_cli.i18n import _

if TYPE_CHECKING:
    from ortif_cli.dicom.media import FolderScan

STUDY_DATE, ACCESSION, MODALITY, STUDY_DESCRIPTION = 0x00080020, 0x00080050, 0x00080060, 0x00081030
PATIENT_NAME, PATIENT_ID, BIRTH_DATE, STUDY_UID = 0x00100010, 0x00100020, 0x00100030, 0x0020000D
KEYS = {
    *(SPECIFIC_CHARACTER_SET, STUDY_DATE, ACCESSION, MODALITY, STUDY_DESCRIPTION),
    *(PATIENT_NAME, PATIENT_ID, BIRTH_DATE, STUDY_UID),
}


@dataclass
class DicomdirStudy:
    """A STUDY record with its patient, and the files its IMAGE (or other) records reference."""

    match: StudyMatch
    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    instances: set[str] = field(default_factory=set)
    """The SOP Instance UIDs referenced (file keys where a record gives none)."""


@dataclass
class DicomdirIndex:
    studies: list[DicomdirStudy]
    referenced: set[Path]


@dataclass(frozen=True)
class Medium:
    """The files under a folder (a CD), by `file_key` of their path, and its DICOMDIRs."""

    root: Path
    files: dict[str, Path]
    dicomdirs: list[Path]


def file_key(relative: str) -> str:
    """A path as the CD index compares it: upper case, `/` separators, no `;1`, no final dot."""
    return "/".join(_name_key(part) for part in relative.replace("\\", "/").split("/"))


def _name_key(name: str) -> str:
    base = name.split(";", 1)[0]
    return (base[:-1] if base.endswith(".") else base).upper()


def survey(root: Path) -> Medium:
    """Every file under `root` (folders and names in order) and every DICOMDIR among them."""
    files: dict[str, Path] = {}
    dicomdirs: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        relative = os.path.relpath(folder, root)
        prefix = "" if relative == "." else file_key(relative) + "/"
        for name in sorted(names):
            key = _name_key(name)
            path = Path(folder, name)
            files[prefix + key] = path
            if key == "DICOMDIR":
                dicomdirs.append(path)
    return Medium(root, files, dicomdirs)


def read_dicomdir(path: Path, medium: Medium) -> DicomdirIndex:
    """The studies of the DICOMDIR at `path`, one of `medium.dicomdirs`.

    Raises Unreadable for a DICOMDIR the lean reader cannot take apart.
    """
    directory = read_directory(path, KEYS)
    relative = os.path.relpath(path.parent, medium.root)
    base = "" if relative == "." else file_key(relative) + "/"
    index = DicomdirIndex([], set())
    for patient in _chain(directory, directory.root, fallback="PATIENT"):
        if patient.kind == "PATIENT":
            for study in _chain(directory, patient.lower):
                if study.kind == "STUDY":
                    index.studies.append(_study(directory, patient, study, medium, base, index))
    return index


def _chain(directory: Directory, first: int, fallback: str | None = None) -> list[Record]:
    """The records linked from `first` by their next offsets, inactive ones left out.

    When `first` is not a record, `fallback` names the record type to take in file order.
    """
    records = directory.records
    if first not in records:
        return [r for r in records.values() if r.kind == fallback and r.in_use] if fallback else []
    chain, offset, seen = [], first, set()
    while offset in records and offset not in seen:
        seen.add(offset)
        chain.append(records[offset])
        offset = records[offset].next
    return [record for record in chain if record.in_use]


def _study(
    directory: Directory,
    patient: Record,
    study: Record,
    medium: Medium,
    base: str,
    index: DicomdirIndex,
) -> DicomdirStudy:
    series = [s for s in _chain(directory, study.lower) if s.kind == "SERIES"]
    found = DicomdirStudy(
        StudyMatch(
            study_instance_uid=_text(directory, study, STUDY_UID),
            patient_name=_text(directory, patient, PATIENT_NAME),
            patient_id=_text(directory, patient, PATIENT_ID),
            birth_date=parse_date(_text(directory, patient, BIRTH_DATE)),
            study_date=parse_date(_text(directory, study, STUDY_DATE)),
            modalities=sorted({m for s in series if (m := _text(directory, s, MODALITY))}),
            description=_text(directory, study, STUDY_DESCRIPTION) or None,
            accession_number=_text(directory, study, ACCESSION) or None,
            series_count=len(series),
            instance_count=0,
            source="dir",
        )
    )
    for leaf in (leaf for one in series for leaf in _chain(directory, one.lower)):
        if parts := leaf.file_id:
            key = base + file_key("/".join(parts))
            _reference(found, index, medium, key)
            found.instances.add(ascii_value(leaf.values.get(REFERENCED_SOP_INSTANCE)) or key)
    found.match = replace(found.match, instance_count=len(found.instances))
    if found.match.birth_date is None and found.files:
        found.match = replace(found.match, birth_date=_birth_date_in(found.files[0]))
    return found


def _reference(study: DicomdirStudy, index: DicomdirIndex, medium: Medium, key: str) -> None:
    path = medium.files.get(key)
    if path is None:
        study.missing.append(key)
    else:
        study.files.append(path)
        index.referenced.add(path)


def _text(directory: Directory, record: Record, tag: int) -> str:
    """A record's value decoded in its own character set, else the DICOMDIR's."""
    charsets = charsets_of(record.values) if record.values.get(SPECIFIC_CHARACTER_SET) else None
    charsets = charsets or directory.charsets
    return text_value(record.values, tag, charsets, person_name=tag == PATIENT_NAME)


def _birth_date_in(path: Path) -> date | None:
    """The patient's birth date read from a file: DICOMDIR patient records often omit it."""
    from ortif_cli.dicom.media import FolderScan, read_into

    scan = FolderScan()
    read_into(scan, path)
    return scan.instances[0].patient.birth_date if scan.instances else None


def missing_files(medium: Medium) -> list[tuple[Path, str]]:
    """The files the DICOMDIRs of `medium` reference but that are not there, with why."""
    missing = []
    for dicomdir in medium.dicomdirs:
        try:
            studies = read_dicomdir(dicomdir, medium).studies
        except Unreadable:  # a damaged DICOMDIR: every file is read anyway
            continue
        reason = _("listed in DICOMDIR but missing")
        missing += [(medium.root / key, reason) for study in studies for key in study.missing]
    return missing


def scan_source(root: Path) -> FolderScan:
    """Every instance of a folder, CD, CD image or zip file (headers only).

    Files a DICOMDIR references but that are missing are reported as errors.
    """
    from ortif_cli.dicom.media import FileError, scan_archive, scan_folder

    archive = scan_archive(root)
    if archive is not None:
        return archive
    if not root.is_dir():
        raise NotFoundError(_("No folder, CD image or zip file at {path}.").format(path=root))
    scan = scan_folder(root)
    scan.errors += [FileError(path, reason) for path, reason in missing_files(survey(root))]
    return scan
