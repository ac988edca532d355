"""The STOW-RS answer (PS3.18 10.5.3): one DICOM JSON data set, and our private block.

Referenced SOP Sequence (0008,1199) lists the instances accepted, Failed SOP Sequence
(0008,1198) those refused with a Failure Reason (0008,1197). Each item also carries the
private block "ORTIF 1.0" in group 0077 (see docs/api.md): what became of the instance
(`stored` or `already_present`), the SHA-256 of the bytes received and, for a refusal,
the reason in words. A client that does not know the block ignores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ortif_server.dicom_json import Dataset, element
from ortif_server.ingest import DIFFERENT_BYTES, NOT_YOURS, OTHER_STUDY, PartOutcome

PRIVATE_CREATOR = "ORTIF 1.0"
CREATOR_TAG = "00770010"
STATUS_TAG = "00771001"
SHA256_TAG = "00771002"
REASON_TAG = "00771003"
STUDY_TAG = "00771004"
# PS3.18 Table 10.5.3-1 and PS3.7 Annex C failure reasons.
PROCESSING_FAILURE = 0x0110
DUPLICATE_SOP_INSTANCE = 0x0111
NOT_AUTHORIZED = 0x0124
OUT_OF_RESOURCES = 0xA700
DOES_NOT_MATCH = 0xA900
CANNOT_UNDERSTAND = 0xC000


def instance_url(base_url: str, study: str, series: str, sop: str) -> str:
    return f"{base_url}/dicomweb/studies/{study}/series/{series}/instances/{sop}"


def answer(outcomes: Sequence[PartOutcome], base_url: str) -> Dataset:
    """The response data set for the parts of one request, in their order."""
    accepted = [o for o in outcomes if o.status != "refused"]
    failed = [o for o in outcomes if o.status == "refused"]
    dataset: Dataset = {}
    studies = {o.study_instance_uid for o in accepted}
    if len(studies) == 1:
        dataset["00081190"] = element("UR", f"{base_url}/dicomweb/studies/{studies.pop()}")
    if failed:
        dataset["00081198"] = element("SQ", *(_failed_item(o) for o in failed))
    if accepted:
        dataset["00081199"] = element("SQ", *(_referenced_item(o, base_url) for o in accepted))
    return dataset


def _referenced_item(outcome: PartOutcome, base_url: str) -> dict[str, Any]:
    header = outcome.header
    assert header is not None
    url = instance_url(
        base_url, header.study_instance_uid, header.series_instance_uid, header.sop_instance_uid
    )
    return {
        "00081150": element("UI", header.sop_class_uid),
        "00081155": element("UI", header.sop_instance_uid),
        "00081190": element("UR", url),
        **_private(outcome),
    }


def _failed_item(outcome: PartOutcome) -> dict[str, Any]:
    header = outcome.header
    return {
        "00081150": element("UI", header.sop_class_uid if header else None),
        "00081155": element("UI", outcome.sop_instance_uid),
        "00081197": element("US", failure_reason(outcome.reason or "")),
        **_private(outcome),
    }


def failure_reason(reason: str) -> int:
    if reason == DIFFERENT_BYTES:
        return DUPLICATE_SOP_INSTANCE
    if reason == OTHER_STUDY:
        return DOES_NOT_MATCH
    if reason == NOT_YOURS:
        return NOT_AUTHORIZED
    if reason.startswith("could not be stored"):
        return OUT_OF_RESOURCES
    return CANNOT_UNDERSTAND


def _private(outcome: PartOutcome) -> Dataset:
    block = {
        CREATOR_TAG: element("LO", PRIVATE_CREATOR),
        STATUS_TAG: element("CS", outcome.status.upper()),
        SHA256_TAG: element("LO", outcome.sha256),
        STUDY_TAG: element("UI", outcome.study_instance_uid),
    }
    if outcome.reason:
        block[REASON_TAG] = element("LT", outcome.reason)
    return block
