"""DICOM instances in a folder or on a CD: find them, read their headers, group them by study."""

from __future__ import annotations

import os
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from ortif_cli.dicom.charset import SPECIFIC_CHARACTER_SET, ascii_value, charsets_of, text_value
from ortif_cli.dicom.headers import (
    BARE,
    NO_PREAMBLE,
    PART10,
    PIXEL_DATA,
    NotDicom,
    Truncated,
    read_header,
)
from ortif_cli.dicom.identity import PatientIdentity, parse_date
from ortif_cli.errors import NotFoundError
from ortif_cli.i18n import _

if TYPE_CHECKING:  # pydicom is imported only when the lean reader of `headers` is unsure
    from pydicom import Dataset

_DEFLATED = "1.2.840.10008.1.2.1.99"
_DICOMDIR = "1.2.840.10008.1.3.10"

SOP_CLASS_UID = 0x00080016
SOP_INSTANCE_UID = 0x00080018
STUDY_DATE = 0x00080020
ACCESSION_NUMBER = 0x00080050
MODALITY = 0x00080060
STUDY_DESCRIPTION = 0x00081030
PATIENT_NAME = 0x00100010
PATIENT_ID = 0x00100020
PATIENT_BIRTH_DATE = 0x00100030
STUDY_INSTANCE_UID = 0x0020000D
SERIES_INSTANCE_UID = 0x0020000E
ROWS = 0x00280010
OTHER_PATIENT_IDS_SEQUENCE = 0x00101002
INS_OID_PREFIX = "1.2.250.1.213.1.4."
INS_ISSUERS = ("ASIP-SANTE-INS-NIR", "ASIP-SANTE-INS-NIA", "ASIP-SANTE-INS-C")
_HEADER_TAGS: list[int] = [
    *(SPECIFIC_CHARACTER_SET, SOP_CLASS_UID, SOP_INSTANCE_UID, STUDY_DATE, ACCESSION_NUMBER),
    *(MODALITY, STUDY_DESCRIPTION, PATIENT_NAME, PATIENT_ID, PATIENT_BIRTH_DATE),
    *(STUDY_INSTANCE_UID, SERIES_INSTANCE_UID, ROWS, OTHER_PATIENT_IDS_SEQUENCE),
]
_ITEM, _SEQUENCE_DELIMITER = 0xFFFEE000, 0xFFFEE0DD
_UNDEFINED_LENGTH = 0xFFFFFFFF


@dataclass(frozen=True)
class InstanceFile:
    """One DICOM instance on disk, described by its header."""

    path: Path
    size: int
    sop_instance_uid: str
    sop_class_uid: str | None
    study_instance_uid: str
    series_instance_uid: str | None
    transfer_syntax_uid: str
    patient: PatientIdentity
    study_date: date | None
    study_description: str | None
    modality: str | None
    accession_number: str | None
    patient_name_raw: str | None = None
    """Patient's Name as decoded (PN with `^`), for display."""
    member: str | None = None
    """The member name when `path` is a zip file or CD image holding the instance."""
    framing: str = PART10
    """PART10, or NO_PREAMBLE / BARE for a legacy file sent wrapped (`dicom.part10`)."""

    @property
    def label(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def wrapped(self) -> bool:
        """Whether the file is sent behind a built preamble (and File Meta Information)."""
        return self.framing != PART10


@dataclass(frozen=True)
class FileError:
    """A file that looks like DICOM but cannot be used, and why, in plain words."""

    path: Path
    reason: str


@dataclass
class FolderScan:
    """What a folder holds: usable instances, files that are not DICOM, unusable DICOM."""

    instances: list[InstanceFile] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


@dataclass(frozen=True)
class StudyOnDisk:
    """The instances of one study found on disk; patient and dates from its first instance."""

    study_instance_uid: str
    patient: PatientIdentity
    study_date: date | None
    study_description: str | None
    accession_number: str | None
    modalities: list[str]
    series_count: int
    instances: list[InstanceFile]
    total_bytes: int


class _NotAnInstance(Exception):
    """Not a DICOM file, or a DICOM file that is no instance (DICOMDIR)."""


class _Unusable(Exception):
    """A DICOM file that cannot be used; the message is the reason."""


def scan_folder(root: Path) -> FolderScan:
    """Read the header of every file under `root` (recursively, in name order), once each."""
    if not root.is_dir():
        raise NotFoundError(
            _("No folder at {folder}.").format(folder=root),
            hint=_("Give a folder that holds DICOM files."),
        )
    scan = FolderScan()
    for path in _walk(root, scan.errors):
        read_into(scan, path)
    return scan


def read_into(scan: FolderScan, path: Path) -> None:
    """Read one file's header into `scan`: an instance, a skipped file, or an error."""
    try:
        scan.instances.append(quick_instance(path))
    except _NotAnInstance:
        scan.skipped.append(path)
    except _Unusable as exc:
        scan.errors.append(FileError(path, str(exc)))


def quick_instance(path: Path) -> InstanceFile:
    """`_read_instance` through the lean reader of `dicom.headers`, pydicom when unsure.

    The lean reader checks the structure down to the end of the Pixel Data; any doubt
    (damage, big endian, an INS sequence to read) goes to pydicom, which has the final word.
    """
    try:
        header = read_header(str(path), _HEADER_TAGS)
    except (NotDicom, Truncated, OSError):
        header = None
    if header is None or PIXEL_DATA not in header[0] or OTHER_PATIENT_IDS_SEQUENCE in header[0]:
        return _read_instance(path)  # no Pixel Data (cut short?), INS, or unusual: pydicom
    values, syntax, framing = header
    return _instance_from(path, path.stat().st_size, values, syntax, None, None, framing)


def group_studies(instances: Iterable[InstanceFile]) -> list[StudyOnDisk]:
    """Group instances by Study Instance UID, oldest study first (undated last)."""
    by_study: dict[str, list[InstanceFile]] = {}
    for instance in instances:
        by_study.setdefault(instance.study_instance_uid, []).append(instance)
    studies = [_study(members) for members in by_study.values()]
    return sorted(studies, key=lambda s: (s.study_date or date.max, s.study_instance_uid))


def _study(instances: list[InstanceFile]) -> StudyOnDisk:
    first = instances[0]
    return StudyOnDisk(
        study_instance_uid=first.study_instance_uid,
        patient=first.patient,
        study_date=first.study_date,
        study_description=first.study_description,
        accession_number=first.accession_number,
        modalities=sorted({i.modality for i in instances if i.modality}),
        series_count=len({i.series_instance_uid for i in instances}),
        instances=instances,
        total_bytes=sum(i.size for i in instances),
    )


def _read_instance(path: Path) -> InstanceFile:
    """Read one file's header, checking that the file is complete.

    pydicom warns, rather than fails, on a damaged file: its warnings make the file unusable.
    """
    if path.name.upper() == "DICOMDIR":
        raise _NotAnInstance
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        instance = _read_file(path)
    if caught:
        raise _Unusable(_("damaged DICOM ({reason})").format(reason=caught[0].message))
    return instance


def _read_file(path: Path) -> InstanceFile:
    try:
        with open(path, "rb") as fp:
            return _read_stream(fp, os.fstat(fp.fileno()).st_size, path)
    except OSError as exc:
        raise _Unusable(f"cannot be read: {exc.strerror or exc}") from exc


def _read_stream(fp: BinaryIO, size: int, path: Path, member: str | None = None) -> InstanceFile:
    has_preamble = _sniff(fp)
    ds = _read_header(fp, has_preamble)
    _check_file_meta(ds, size, start=132 if has_preamble else 0)
    values = _raw_values(ds)
    if not _check_pixel_data(fp, ds, size) and _is_image(values):
        raise _Unusable(_("truncated: the image has no Pixel Data"))
    framing = PART10 if has_preamble else NO_PREAMBLE
    if not has_preamble and "TransferSyntaxUID" not in ds.file_meta:
        framing = BARE
    return _instance(path, size, ds, values, member, framing)


def scan_archive(archive: Path) -> FolderScan | None:
    """Read the header of every member of a zip file or CD image, without extracting it.

    None when `archive` is neither (a folder, say).
    """
    from ortif_cli.dicom.archives import ArchiveError, archive_kind, open_archive

    if archive_kind(archive) is None:
        return None
    scan = FolderScan()
    try:
        with open_archive(archive) as members:
            for name, size in members.members():
                _read_member(scan, archive, name, partial(members.open, name), size)
    except ArchiveError as exc:
        raise NotFoundError(
            _("{archive} is not a readable zip file or CD image ({reason}).").format(
                archive=archive, reason=exc
            )
        ) from exc
    return scan


def _read_member(
    scan: FolderScan, archive: Path, name: str, opener: Callable[[], IO[bytes]], size: int
) -> None:
    from ortif_cli.dicom.dicomdir import file_key

    label = archive / name
    if file_key(name.rsplit("/", 1)[-1]) == "DICOMDIR":
        scan.skipped.append(label)
        return
    try:
        with warnings.catch_warnings(record=True) as caught, opener() as fp:
            warnings.simplefilter("always")
            instance = _read_stream(fp, size, archive, name)  # type: ignore[arg-type]
        if caught:
            raise _Unusable(_("damaged DICOM ({reason})").format(reason=caught[0].message))
        scan.instances.append(instance)
    except _NotAnInstance:
        scan.skipped.append(label)
    except _Unusable as exc:
        scan.errors.append(FileError(label, str(exc)))
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        reason = _("cannot be read from the archive ({reason})").format(reason=exc)
        scan.errors.append(FileError(label, reason))


def open_instance(instance: InstanceFile) -> BinaryIO:
    """The bytes of an instance, from its file or from inside its zip file or CD image."""
    if instance.member is None:
        return open(instance.path, "rb")
    from ortif_cli.dicom.archives import open_member

    return open_member(instance.path, instance.member)


def _walk(folder: Path, errors: list[FileError]) -> Iterator[Path]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        errors.append(
            FileError(
                folder, _("folder cannot be listed: {reason}").format(reason=exc.strerror or exc)
            )
        )
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), errors)
        elif entry.is_file():
            yield Path(entry.path)


def _sniff(fp: BinaryIO) -> bool:
    """Whether the file has a preamble; raise _NotAnInstance if it does not look like DICOM.

    Without a preamble, a DICOM file starts with a group 0002 (File Meta Information)
    or group 0008 element, in little endian.
    """
    head = fp.read(132)
    fp.seek(0)
    if not head:
        raise _Unusable(_("empty file"))
    if head[128:132] == b"DICM":
        return True
    if len(head) >= 8 and head[:2] in (b"\x02\x00", b"\x08\x00") and head[3:4] == b"\x00":
        return False
    raise _NotAnInstance


def _read_header(fp: BinaryIO, has_preamble: bool) -> Dataset:
    from pydicom import dcmread

    try:
        ds = dcmread(
            fp, force=not has_preamble, stop_before_pixels=True, specific_tags=_HEADER_TAGS
        )
        sop_class_uid = ds.file_meta.get("MediaStorageSOPClassUID")
    except Exception as exc:  # a file that cannot be parsed is unusable, never fatal
        raise _Unusable(_("not readable as DICOM ({reason})").format(reason=exc)) from exc
    if sop_class_uid == _DICOMDIR:
        raise _NotAnInstance
    return ds


def _check_file_meta(ds: Dataset, size: int, start: int) -> None:
    length = ds.file_meta.get("FileMetaInformationGroupLength", 0)
    if not isinstance(length, int) or start + 12 + length > size:
        raise _Unusable(_("truncated: the file ends inside its File Meta Information"))


def _raw_values(ds: Dataset) -> dict[int, bytes]:
    """The undecoded values read, checking that none was cut short."""
    from pydicom.dataelem import RawDataElement

    values: dict[int, bytes] = {}
    for element in ds.elements():
        if isinstance(element, RawDataElement) and isinstance(element.value, bytes):
            if element.length != _UNDEFINED_LENGTH and len(element.value) < element.length:
                raise _Unusable(_("truncated: the file ends inside its header"))
            values[element.tag] = element.value
    return values


def _is_image(values: dict[int, bytes]) -> bool:
    from pydicom.uid import UID

    sop_class_uid = UID(ascii_value(values.get(SOP_CLASS_UID)))
    return ROWS in values or "Image Storage" in sop_class_uid.name


def _check_pixel_data(fp: BinaryIO, ds: Dataset, size: int) -> bool:
    """Check the file from where the reader stopped; return whether Pixel Data starts there.

    The reader skips unwanted values by seeking, so it may be past the end of the file.
    """
    if ds.file_meta.get("TransferSyntaxUID") == _DEFLATED:
        return True  # the data set was inflated in memory, which fails if it is cut short
    if fp.tell() > size:
        raise _Unusable(_("truncated: the file ends inside its header"))
    implicit_vr, little_endian = ds.original_encoding
    endian = "<" if little_endian is not False else ">"
    header = fp.read(8)
    if len(header) < 8 or struct.unpack(f"{endian}H", header[:2])[0] != 0x7FE0:
        return False
    encoded_length = header[4:] if implicit_vr else fp.read(4)  # explicit: OB, OW, OF, OD
    if len(encoded_length) < 4:
        raise _Unusable(_("truncated: the Pixel Data is incomplete"))
    (length,) = struct.unpack(f"{endian}L", encoded_length)
    if length == _UNDEFINED_LENGTH:
        _check_fragments(fp, size, endian)
    elif fp.tell() + length > size:
        raise _Unusable(_("truncated: the Pixel Data is incomplete"))
    return True


def _check_fragments(fp: BinaryIO, size: int, endian: str) -> None:
    """Walk the items of encapsulated pixel data up to its sequence delimiter."""
    while len(header := fp.read(8)) == 8:
        group, element, length = struct.unpack(f"{endian}HHL", header)
        tag = group << 16 | element
        if tag == _SEQUENCE_DELIMITER:
            return
        if tag != _ITEM or fp.tell() + length > size:
            break
        fp.seek(length, os.SEEK_CUR)
    raise _Unusable(_("truncated: the encapsulated Pixel Data is incomplete"))


def _instance(
    path: Path,
    size: int,
    ds: Dataset,
    values: dict[int, bytes],
    member: str | None = None,
    framing: str = PART10,
) -> InstanceFile:
    syntax = _transfer_syntax_uid(ds)
    return _instance_from(path, size, values, syntax, ins_matricule(ds), member, framing)


def _instance_from(
    path: Path,
    size: int,
    values: dict[int, bytes],
    syntax: str,
    ins: str | None,
    member: str | None,
    framing: str = PART10,
) -> InstanceFile:
    charsets = charsets_of(values)
    if framing == BARE and not ascii_value(values.get(SOP_CLASS_UID)):
        raise _Unusable(_("no File Meta Information and no SOP Class UID to build it from"))

    def text(tag: int) -> str | None:
        return text_value(values, tag, charsets, person_name=tag == PATIENT_NAME) or None

    return InstanceFile(
        path=path,
        size=size,
        sop_instance_uid=_required_uid(values, SOP_INSTANCE_UID, "SOP Instance UID"),
        sop_class_uid=ascii_value(values.get(SOP_CLASS_UID)) or None,
        study_instance_uid=_required_uid(values, STUDY_INSTANCE_UID, "Study Instance UID"),
        series_instance_uid=ascii_value(values.get(SERIES_INSTANCE_UID)) or None,
        transfer_syntax_uid=syntax,
        patient=replace(
            PatientIdentity.from_dicom(
                text(PATIENT_NAME), text(PATIENT_ID), text(PATIENT_BIRTH_DATE)
            ),
            ins_matricule=ins,
        ),
        study_date=parse_date(text(STUDY_DATE)),
        study_description=text(STUDY_DESCRIPTION),
        modality=text(MODALITY),
        accession_number=text(ACCESSION_NUMBER),
        patient_name_raw=text(PATIENT_NAME),
        member=member,
        framing=framing,
    )


def ins_matricule(ds: Dataset) -> str | None:
    """The INS matricule of an OtherPatientIDsSequence item (DRIM-M), if any."""
    try:
        items = ds.get("OtherPatientIDsSequence") or []
        for item in items:
            issuer = str(item.get("IssuerOfPatientID", "")).strip()
            qualifiers = item.get("IssuerOfPatientIDQualifiersSequence") or []
            oids = [str(q.get("UniversalEntityID", "")) for q in qualifiers]
            if issuer in INS_ISSUERS or any(o.startswith(INS_OID_PREFIX) for o in oids):
                return str(item.get("PatientID", "")).strip() or None
    except Exception:  # a damaged sequence carries no usable INS
        return None
    return None


def _required_uid(values: dict[int, bytes], tag: int, name: str) -> str:
    uid = ascii_value(values.get(tag))
    if not uid:
        raise _Unusable(_("no {name}").format(name=name))
    if len(uid) > 64:
        raise _Unusable(_("invalid {name} (longer than 64 characters)").format(name=name))
    return uid


def _transfer_syntax_uid(ds: Dataset) -> str:
    """The File Meta Information's, or the encoding guessed for a file without it."""
    uid = ds.file_meta.get("TransferSyntaxUID")
    if uid:
        return str(uid)
    implicit_vr, little_endian = ds.original_encoding
    if implicit_vr:
        return "1.2.840.10008.1.2"
    return "1.2.840.10008.1.2.1" if little_endian else "1.2.840.10008.1.2.2"
