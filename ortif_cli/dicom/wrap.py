"""Images and PDF files wrapped as DICOM: one new study, one series per kind of file.

JPEG files go in as they are (Secondary Capture, JPEG Baseline transfer syntax: the
compressed bytes are encapsulated, never re-encoded); PNG files are decoded losslessly
to uncompressed Secondary Capture; PDF files become Encapsulated PDF. When the patient
has a qualified INS it is also written as an OtherPatientIDsSequence item, as the
national DRIM-M project does; the local Patient ID is kept.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pydicom import Dataset, FileMetaDataset, dcmwrite
from pydicom.encaps import encapsulate
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    EncapsulatedPDFStorage,
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from ortif_cli.errors import UsageError
from ortif_cli.i18n import _

INS_ISSUER = "ASIP-SANTE-INS-NIR"
NIR_OID = "1.2.250.1.213.1.4.8"


@dataclass(frozen=True)
class WrapPatient:
    """Who the new study is about."""

    last_name: str
    patient_id: str
    first_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    ins_matricule: str | None = None
    ins_oid: str | None = None
    issuer_of_patient_id: str | None = None


@dataclass
class WrappedStudy:
    study_instance_uid: str
    paths: list[Path] = field(default_factory=list)
    sop_instance_uids: list[str] = field(default_factory=list)


def kind_of(path: Path) -> str:
    """`jpeg`, `png` or `pdf`, from the file's first bytes; UsageError otherwise."""
    with path.open("rb") as stream:
        head = stream.read(8)
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:5] == b"%PDF-":
        return "pdf"
    raise UsageError(
        _("{path} is neither a JPEG, a PNG nor a PDF file.").format(path=path),
        hint=_("Convert it to one of those."),
    )


def wrap_files(
    files: list[Path],
    out: Path,
    patient: WrapPatient,
    description: str,
    series_description: str | None = None,
) -> WrappedStudy:
    """Write one study of DICOM files into `out` (created), in the order given."""
    kinds = [(path, kind_of(path)) for path in files]
    out.mkdir(parents=True, exist_ok=True)
    study = _study(patient, description)
    written = WrappedStudy(str(study.StudyInstanceUID))
    series: dict[str, tuple[str, int]] = {}
    for number, (path, kind) in enumerate(kinds, start=1):
        family = "pdf" if kind == "pdf" else "image"
        if family not in series:
            series[family] = (generate_uid(), len(series) + 1)
        ds = _BUILDERS[kind](path)
        _fill(ds, study, series[family], number, series_description or description)
        target = out / f"{family.upper()}{series[family][1]:02d}_{number:04d}.dcm"
        dcmwrite(target, ds, enforce_file_format=True)
        written.paths.append(target)
        written.sop_instance_uids.append(str(ds.SOPInstanceUID))
    return written


def _study(patient: WrapPatient, description: str) -> Dataset:
    now = datetime.now()
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    name = patient.last_name + (f"^{patient.first_name}" if patient.first_name else "")
    ds.PatientName = name
    ds.PatientID = patient.patient_id
    if patient.issuer_of_patient_id:
        ds.IssuerOfPatientID = patient.issuer_of_patient_id
    ds.PatientBirthDate = patient.birth_date.strftime("%Y%m%d") if patient.birth_date else ""
    ds.PatientSex = patient.sex or ""
    if patient.ins_matricule:
        ds.OtherPatientIDsSequence = [_ins_item(patient)]
    ds.StudyInstanceUID = generate_uid()
    ds.StudyDate, ds.StudyTime = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = description
    return ds


def _ins_item(patient: WrapPatient) -> Dataset:
    qualifier = Dataset()
    qualifier.UniversalEntityID = patient.ins_oid or NIR_OID
    qualifier.UniversalEntityIDType = "ISO"
    item = Dataset()
    item.PatientID = patient.ins_matricule
    item.IssuerOfPatientID = INS_ISSUER
    item.TypeOfPatientID = "TEXT"
    item.IssuerOfPatientIDQualifiersSequence = [qualifier]
    return item


def _fill(
    ds: Dataset, study: Dataset, series: tuple[str, int], number: int, description: str
) -> None:
    ds.update(study)
    ds.SOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID, ds.SeriesNumber = series
    ds.SeriesDescription = description
    ds.InstanceNumber = number
    ds.ContentDate, ds.ContentTime = study.StudyDate, study.StudyTime
    ds.Manufacturer = "ortif"
    meta = ds.file_meta
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID


def _secondary_capture(transfer_syntax: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.Modality = "OT"
    ds.ConversionType = "WSD"
    ds.PatientOrientation = ""
    return ds


def _jpeg(path: Path) -> Dataset:
    data = path.read_bytes()
    marker, precision, rows, columns, components = _jpeg_frame(path, data)
    syntax = JPEGBaseline8Bit if marker == 0xC0 else JPEGExtended12Bit
    ds = _secondary_capture(syntax)
    ds.SamplesPerPixel = components
    ds.PhotometricInterpretation = "YBR_FULL_422" if components == 3 else "MONOCHROME2"
    if components == 3:
        ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated = 8 if precision == 8 else 16
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = precision, precision - 1, 0
    ds.LossyImageCompression = "01"
    ds.add_new(0x7FE00010, "OB", encapsulate([data]))
    ds["PixelData"].is_undefined_length = True
    return ds


def _jpeg_frame(path: Path, data: bytes) -> tuple[int, int, int, int, int]:
    """The SOF marker, precision, rows, columns and components of a JPEG file."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            break
        marker = data[at + 1]
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in (0xC0, 0xC1):
            precision, rows, columns, components = struct.unpack(">BHHB", data[at + 4 : at + 10])
            return marker, precision, rows, columns, components
        if 0xC2 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            break
        at += 2 + length
    raise UsageError(
        _("{path} is not a baseline JPEG (progressive or lossless JPEG are not wrapped).").format(
            path=path
        ),
        hint=_("Save it as a baseline JPEG or as PNG."),
    )


def _png(path: Path) -> Dataset:
    width, height, samples, pixels = decode_png(path)
    ds = _secondary_capture(ExplicitVRLittleEndian)
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = height, width
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.add_new(0x7FE00010, "OB", pixels)
    return ds


def _pdf(path: Path) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = EncapsulatedPDFStorage
    ds.Modality = "DOC"
    ds.ConversionType = "WSD"
    ds.BurnedInAnnotation = "YES"
    ds.DocumentTitle = path.stem
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.ConceptNameCodeSequence = []
    data = path.read_bytes()
    ds.EncapsulatedDocument = data + (b"\0" if len(data) % 2 else b"")
    ds.EncapsulatedDocumentLength = len(data)
    return ds


_BUILDERS = {"jpeg": _jpeg, "png": _png, "pdf": _pdf}


def decode_png(path: Path) -> tuple[int, int, int, bytes]:
    """Width, height, samples (1 or 3) and 8-bit pixels of a non-interlaced PNG.

    Grey, RGB, and their alpha variants (alpha dropped) are read; anything else is refused.
    """
    data = path.read_bytes()
    at, idat, header = 8, bytearray(), b""
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        chunk = data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        at += 12 + length
    width, height, depth, color, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", header[:13]
    )
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise UsageError(
            _("{path}: only 8-bit, non-interlaced grey or RGB PNG files can be wrapped.").format(
                path=path
            ),
            hint=_("Save it as 8-bit PNG or as JPEG."),
        )
    raw = _unfilter(zlib.decompress(bytes(idat)), width * channels, height, channels)
    if channels in (2, 4):
        keep = channels - 1
        raw = b"".join(raw[i : i + keep] for i in range(0, len(raw), channels))  # drop alpha
        channels = keep
    return width, height, channels, raw


def _unfilter(data: bytes, stride: int, height: int, bpp: int) -> bytes:
    out = bytearray()
    previous = bytearray(stride)
    at = 0
    for _row in range(height):
        kind, line = data[at], bytearray(data[at + 1 : at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                corner = previous[i - bpp] if i >= bpp else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        out += line
        previous = line
    return bytes(out)
