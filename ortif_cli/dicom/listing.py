"""What studies a folder, CD, CD image or zip file holds: the fast path of `exam find --dir`.

Every DICOMDIR of the medium is read when there is one (its records, by the lean reader
of `dicom.directory_records`, then only the files none references); otherwise every
file's header is read by the lean reader of `dicom.headers`, with pydicom as the
fallback for anything unusual. Non-DICOM files are counted; damaged DICOM files (cut
short, empty) are reported by path and reason, never fatal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ortif_cli.dicom.charset import charsets_of, text_value
from ortif_cli.dicom.headers import (
    MEDIA_SOP_CLASS,
    PIXEL_DATA,
    NotDicom,
    Truncated,
    read_header,
)
from ortif_cli.dicom.identity import parse_date
from ortif_cli.dicom.query import StudyMatch
from ortif_cli.errors import NotFoundError
from ortif_cli.i18n import _

CHARSET, SOP_CLASS, SOP_INSTANCE, STUDY_DATE = 0x00080005, 0x00080016, 0x00080018, 0x00080020
ACCESSION, MODALITY, STUDY_DESCRIPTION = 0x00080050, 0x00080060, 0x00081030
PATIENT_NAME, PATIENT_ID, BIRTH_DATE = 0x00100010, 0x00100020, 0x00100030
STUDY_UID, SERIES_UID = 0x0020000D, 0x0020000E
_WANTED = (
    *(CHARSET, SOP_CLASS, SOP_INSTANCE, STUDY_DATE, ACCESSION, MODALITY, STUDY_DESCRIPTION),
    *(PATIENT_NAME, PATIENT_ID, BIRTH_DATE, STUDY_UID, SERIES_UID),
)
_DICOMDIR_CLASS = b"1.2.840.10008.1.3.10"

if TYPE_CHECKING:
    from ortif_cli.dicom.dicomdir import DicomdirStudy, Medium


def _is_dicomdir(values: dict[int, bytes]) -> bool:
    return values.get(MEDIA_SOP_CLASS, b"").rstrip(b"\0 ") == _DICOMDIR_CLASS


@dataclass(frozen=True)
class Problem:
    """A file that looks like DICOM but cannot be used, and why."""

    path: Path
    reason: str


@dataclass
class Listing:
    """The studies found, how many files were not DICOM, and the damaged ones."""

    studies: list[StudyMatch]
    skipped: int = 0
    errors: list[Problem] = field(default_factory=list)


@dataclass
class _Study:
    first: dict[int, bytes]
    series: set[bytes] = field(default_factory=set)
    modalities: set[str] = field(default_factory=set)
    instances: set[bytes] = field(default_factory=set)


def list_studies(root: Path) -> Listing:
    """The studies under `root` (a folder, a CD, a CD image or a zip file)."""
    from ortif_cli.dicom.archives import archive_kind

    if archive_kind(root) is not None:
        return _from_scan(root)
    if not root.is_dir():
        raise NotFoundError(_("No folder, CD image or zip file at {path}.").format(path=root))
    from ortif_cli.dicom.dicomdir import survey

    medium = survey(root)
    if not medium.dicomdirs:
        return _read_files(list(medium.files.values()))
    return _from_dicomdirs(medium)


def _from_dicomdirs(medium: Medium) -> Listing:
    """The studies the DICOMDIRs list, and those of the files they do not reference."""
    from ortif_cli.dicom.dicomdir import read_dicomdir
    from ortif_cli.dicom.directory_records import Unreadable

    known: dict[str, DicomdirStudy] = {}
    missing: list[Problem] = []
    referenced: set[Path] = set()
    for dicomdir in medium.dicomdirs:
        try:
            index = read_dicomdir(dicomdir, medium)
        except Unreadable:  # a damaged DICOMDIR: its files are read one by one
            continue
        referenced |= index.referenced
        for study in index.studies:
            _add_study(known, study)
            reason = _("listed in DICOMDIR but missing")
            missing += [Problem(medium.root / key, reason) for key in study.missing]
    skip = referenced | set(medium.dicomdirs)
    listing = _read_files([path for path in medium.files.values() if path not in skip])
    listing.errors += missing
    return _merge([study.match for study in known.values()], listing)


def _add_study(known: dict[str, DicomdirStudy], study: DicomdirStudy) -> None:
    """Keep one study per UID; one listed by several DICOMDIRs counts its files once."""
    uid = study.match.study_instance_uid
    if uid not in known:
        known[uid] = study
        return
    first = known[uid]
    first.instances |= study.instances
    first.match = replace(
        first.match,
        instance_count=len(first.instances),
        modalities=sorted({*first.match.modalities, *study.match.modalities}),
        series_count=max(first.match.series_count or 0, study.match.series_count or 0),
    )


def _merge(known: list[StudyMatch], extra: Listing) -> Listing:
    by_uid = {m.study_instance_uid: i for i, m in enumerate(known)}
    for match in extra.studies:
        at = by_uid.get(match.study_instance_uid)
        if at is None:
            known.append(match)
            continue
        old = known[at]
        known[at] = replace(
            old,
            instance_count=(old.instance_count or 0) + (match.instance_count or 0),
            modalities=sorted({*old.modalities, *match.modalities}),
        )
    return Listing(known, extra.skipped, extra.errors)


def _read_files(paths: list[Path]) -> Listing:
    studies: dict[bytes, _Study] = {}
    listing = Listing([])
    for path in paths:
        try:
            header = read_header(str(path), _WANTED)
        except NotDicom:
            listing.skipped += 1
            continue
        except Truncated as exc:
            listing.errors.append(Problem(path, str(exc)))
            continue
        except OSError as exc:
            listing.errors.append(
                Problem(path, _("cannot be read: {reason}").format(reason=exc.strerror or exc))
            )
            continue
        if header is not None and _is_dicomdir(header[0]):
            listing.skipped += 1
            continue
        complete = header is not None and PIXEL_DATA in header[0]
        values = header[0] if complete and header is not None else _slow(path, listing)
        if values is None:
            continue
        if not values.get(STUDY_UID) or not values.get(SOP_INSTANCE):
            listing.errors.append(Problem(path, _("no Study or SOP Instance UID")))
            continue
        study = studies.setdefault(values[STUDY_UID], _Study(values))
        study.series.add(values.get(SERIES_UID, b""))
        study.instances.add(values[SOP_INSTANCE])
        if modality := values.get(MODALITY, b"").strip(b"\0 ").decode("ascii", "replace"):
            study.modalities.add(modality)
    listing.studies = sorted(
        (_match(s) for s in studies.values()),
        key=lambda m: (m.study_date is None, m.study_date, m.study_instance_uid),
    )
    return listing


def _slow(path: Path, listing: Listing) -> dict[int, bytes] | None:
    """pydicom's reading of a file the lean reader leaves aside."""
    from ortif_cli.dicom.media import FolderScan, read_into

    scan = FolderScan()
    read_into(scan, path)
    if scan.errors:
        listing.errors.append(Problem(path, scan.errors[0].reason))
        return None
    if not scan.instances:
        listing.skipped += 1
        return None
    i = scan.instances[0]
    encode = str.encode

    return {
        CHARSET: b"ISO_IR 192",
        SOP_INSTANCE: encode(i.sop_instance_uid),
        STUDY_UID: encode(i.study_instance_uid),
        SERIES_UID: encode(i.series_instance_uid or ""),
        PATIENT_NAME: encode(i.patient_name_raw or ""),
        PATIENT_ID: encode(i.patient.patient_id or ""),
        BIRTH_DATE: encode(i.patient.birth_date.strftime("%Y%m%d") if i.patient.birth_date else ""),
        STUDY_DATE: encode(i.study_date.strftime("%Y%m%d") if i.study_date else ""),
        MODALITY: encode(i.modality or ""),
        STUDY_DESCRIPTION: encode(i.study_description or ""),
        ACCESSION: encode(i.accession_number or ""),
    }


def _match(study: _Study) -> StudyMatch:
    values = study.first
    charsets = charsets_of(values)

    def text(tag: int) -> str:
        return text_value(values, tag, charsets, person_name=tag == PATIENT_NAME)

    return StudyMatch(
        study_instance_uid=text(STUDY_UID),
        patient_name=text(PATIENT_NAME),
        patient_id=text(PATIENT_ID),
        birth_date=parse_date(text(BIRTH_DATE)),
        study_date=parse_date(text(STUDY_DATE)),
        modalities=sorted(study.modalities),
        description=text(STUDY_DESCRIPTION) or None,
        accession_number=text(ACCESSION) or None,
        series_count=len(study.series),
        instance_count=len(study.instances),
        source="dir",
    )


def _from_scan(archive: Path) -> Listing:
    from ortif_cli.dicom.media import group_studies, scan_archive

    scan = scan_archive(archive)
    assert scan is not None  # `archive_kind` said it is one
    matches = [
        StudyMatch(
            study_instance_uid=s.study_instance_uid,
            patient_name=s.instances[0].patient_name_raw or s.patient.last_name,
            patient_id=s.patient.patient_id or "",
            birth_date=s.patient.birth_date,
            study_date=s.study_date,
            modalities=s.modalities,
            description=s.study_description,
            accession_number=s.accession_number,
            series_count=s.series_count,
            instance_count=len(s.instances),
            source="dir",
        )
        for s in group_studies(scan.instances)
    ]
    return Listing(matches, len(scan.skipped), [Problem(e.path, e.reason) for e in scan.errors])
