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


def study(row: Study, series_count: int) -> Dataset:
    modalities = [m for m in row.modalities.split("\\") if m]
    name = {"Alphabetic": row.patient_name} if row.patient_name else None
    return {
        "00080020": _da(row.study_date),
        "00080030": element("TM", row.study_time),
        "00080050": element("SH", row.accession_number),
        "00080061": element("CS", *modalities),
        "00081030": element("LO", row.study_description),
        "00100010": element("PN", name),
        "00100020": element("LO", row.patient_id),
        "00100030": _da(row.patient_birth_date),
        "0020000D": element("UI", row.study_instance_uid),
        "00201206": element("IS", series_count),
        "00201208": element("IS", row.instance_count),
    }


def series(first: Instance, instance_count: int) -> Dataset:
    return {
        "00080060": element("CS", first.modality),
        "0008103E": element("LO", first.series_description),
        "0020000D": element("UI", first.study_instance_uid),
        "0020000E": element("UI", first.series_instance_uid),
        "00200011": element("IS", first.series_number),
        "00201209": element("IS", instance_count),
    }


def instance(row: Instance) -> Dataset:
    return {
        "00080016": element("UI", row.sop_class_uid),
        "00080018": element("UI", row.sop_instance_uid),
        "0020000D": element("UI", row.study_instance_uid),
        "0020000E": element("UI", row.series_instance_uid),
        "00200013": element("IS", row.instance_number),
    }
