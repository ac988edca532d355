"""DICOM JSON (PS3.18 F.2) datasets of studies, series and instances."""

from __future__ import annotations

from datetime import date
from typing import Any

from ortif_server.models import Instance, Study

Dataset = dict[str, dict[str, Any]]


def element(vr: str, *values: Any) -> dict[str, Any]:
    """One attribute; empty values are left out (attribute present, zero length)."""
    kept = [v for v in values if v is not None and v != ""]
    return {"vr": vr, "Value": kept} if kept else {"vr": vr}


def _da(value: date | None) -> dict[str, Any]:
    return element("DA", value.strftime("%Y%m%d") if value else None)


def study(row: Study, series_count: int, base_url: str) -> Dataset:
    modalities = [m for m in row.modalities.split("\\") if m]
    name = {"Alphabetic": row.patient_name} if row.patient_name else None
    return {
        "00080020": _da(row.study_date),
        "00080030": element("TM", row.study_time),
        "00080050": element("SH", row.accession_number),
        "00080056": element("CS", "ONLINE"),
        "00080061": element("CS", *modalities),
        "00080090": element("PN"),
        "00081030": element("LO", row.study_description),
        "00081190": element("UR", f"{base_url}/dicomweb/studies/{row.study_instance_uid}"),
        "00100010": element("PN", name),
        "00100020": element("LO", row.patient_id),
        "00100030": _da(row.patient_birth_date),
        "00100040": element("CS"),
        "0020000D": element("UI", row.study_instance_uid),
        "00200010": element("SH"),
        "00201206": element("IS", series_count),
        "00201208": element("IS", row.instance_count),
    }


def _study_part(row: Study) -> Dataset:
    """The study attributes repeated in series and instance answers (PS3.18 6.7.1.2.2)."""
    name = {"Alphabetic": row.patient_name} if row.patient_name else None
    return {
        "00080020": _da(row.study_date),
        "00080030": element("TM", row.study_time),
        "00080050": element("SH", row.accession_number),
        "00081030": element("LO", row.study_description),
        "00100010": element("PN", name),
        "00100020": element("LO", row.patient_id),
        "00100030": _da(row.patient_birth_date),
        "0020000D": element("UI", row.study_instance_uid),
    }


def series(first: Instance, instance_count: int, owner: Study, base_url: str) -> Dataset:
    url = f"{base_url}/dicomweb/studies/{first.study_instance_uid}/series/"
    return {
        **_study_part(owner),
        "00080056": element("CS", "ONLINE"),
        "00080060": element("CS", first.modality),
        "0008103E": element("LO", first.series_description),
        "00081190": element("UR", url + first.series_instance_uid),
        "0020000E": element("UI", first.series_instance_uid),
        "00200011": element("IS", first.series_number),
        "00201209": element("IS", instance_count),
    }


def instance(row: Instance, owner: Study, base_url: str) -> Dataset:
    url = (
        f"{base_url}/dicomweb/studies/{row.study_instance_uid}/series/"
        f"{row.series_instance_uid}/instances/{row.sop_instance_uid}"
    )
    frames = row.number_of_frames or None
    return {
        **_study_part(owner),
        "00080016": element("UI", row.sop_class_uid),
        "00080018": element("UI", row.sop_instance_uid),
        "00080056": element("CS", "ONLINE"),
        "00080060": element("CS", row.modality),
        "00081190": element("UR", url),
        "00083002": element("UI", row.transfer_syntax_uid),
        "0020000E": element("UI", row.series_instance_uid),
        "00200011": element("IS", row.series_number),
        "00200013": element("IS", row.instance_number),
        "00280008": element("IS", frames),
        "00280010": element("US", row.rows if frames else None),
        "00280011": element("US", row.columns if frames else None),
    }


def keywords(dataset: Dataset) -> set[str]:
    """The keywords of the attributes of `dataset` (for `includefield`)."""
    from pydicom.datadict import keyword_for_tag

    return {keyword_for_tag(int(tag, 16)) for tag in dataset}
