"""QIDO-RS and WADO-RS on the platform (PS3.18): the studies the caller may see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ortif_cli.api.client import PlatformClient

QIDO_STUDIES = "/dicomweb/studies"
PAGE = 200


def search_studies(
    client: PlatformClient, params: Mapping[str, str], limit: int = 1000
) -> list[dict[str, Any]]:
    """QIDO-RS at study level: DICOM JSON data sets (PS3.18 F.2), following pages."""
    found: list[dict[str, Any]] = []
    while len(found) < limit:
        page = {**params, "limit": str(min(PAGE, limit - len(found))), "offset": str(len(found))}
        response = client.request(
            "GET", QIDO_STUDIES, params=page, headers={"Accept": "application/dicom+json"}
        )
        batch = response.json() if response.content else []
        found.extend(batch)
        if len(batch) < PAGE:
            break
    return found


def search_series(client: PlatformClient, study_instance_uid: str) -> list[dict[str, Any]]:
    """QIDO-RS at series level: the series of one study, as DICOM JSON data sets."""
    path = f"{QIDO_STUDIES}/{study_instance_uid}/series"
    response = client.request("GET", path, headers={"Accept": "application/dicom+json"})
    return list(response.json()) if response.content else []


def search_instances(
    client: PlatformClient, study_instance_uid: str, series_instance_uid: str
) -> list[dict[str, Any]]:
    """QIDO-RS at instance level: the instances of one series."""
    path = f"{QIDO_STUDIES}/{study_instance_uid}/series/{series_instance_uid}/instances"
    response = client.request("GET", path, headers={"Accept": "application/dicom+json"})
    return list(response.json()) if response.content else []


def retrieve_instance(client: PlatformClient, study: str, series: str, sop: str) -> bytes:
    """WADO-RS: one instance as a DICOM file (Accept: application/dicom)."""
    path = f"{QIDO_STUDIES}/{study}/series/{series}/instances/{sop}"
    return client.request("GET", path, headers={"Accept": "application/dicom"}).content
