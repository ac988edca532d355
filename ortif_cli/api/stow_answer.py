"""Reads the STOW-RS answer (PS3.18 10.5.3, a DICOM JSON data set) into `StoredInstance`s.

Referenced SOP Sequence (0008,1199) items were accepted, Failed SOP Sequence (0008,1198)
items refused. The platform adds a private block "ORTIF 1.0" (group 0077) to each item:
`STORED` or `ALREADY_PRESENT`, the SHA-256 of the bytes it holds, the Study Instance UID
and, for a refusal, the reason in words (see docs/api.md).
"""

from __future__ import annotations

from typing import Any

from ortif_cli.api.models import Json, StoredInstance
from ortif_cli.i18n import _

PRIVATE_CREATOR = "ORTIF 1.0"
PRIVATE_GROUP = "0077"
REFERENCED_SOP_SEQUENCE = "00081199"
FAILED_SOP_SEQUENCE = "00081198"
SOP_INSTANCE_UID = "00081155"
FAILURE_REASON = "00081197"
OUT_OF_RESOURCES = 0xA700
STATUSES = {"STORED": "stored", "ALREADY_PRESENT": "already_present"}


def read_answer(dataset: Json) -> list[StoredInstance]:
    """The instances the answer reports on, accepted ones first."""
    accepted = [_accepted(item) for item in _items(dataset, REFERENCED_SOP_SEQUENCE)]
    return accepted + [_refused(item) for item in _items(dataset, FAILED_SOP_SEQUENCE)]


def _items(dataset: Json, tag: str) -> list[Json]:
    items: list[Json] = dataset.get(tag, {}).get("Value", [])
    return items


def _value(item: Json, tag: str | None) -> Any:
    values = item.get(tag or "", {}).get("Value") or [None]
    return values[0]


def _private_tag(item: Json, element: int) -> str | None:
    """The tag of our private `element` in the block whose creator is "ORTIF 1.0"."""
    for block in range(0x10, 0x100):
        if _value(item, f"{PRIVATE_GROUP}00{block:02X}") == PRIVATE_CREATOR:
            return f"{PRIVATE_GROUP}{block:02X}{element:02X}"
    return None


def _accepted(item: Json) -> StoredInstance:
    status = STATUSES.get(_value(item, _private_tag(item, 0x01)) or "", "stored")
    return _instance(item, status, None)


def _refused(item: Json) -> StoredInstance:
    """A failed instance: refused for good, or `unavailable` when the platform could not
    write it (Out of Resources, 0xA700: a full disk), which a rerun can fix."""
    code = _value(item, FAILURE_REASON)
    reason = _value(item, _private_tag(item, 0x03))
    if reason is None and isinstance(code, int):
        reason = _("refused (DICOM failure reason 0x{code:04X})").format(code=code)
    status = "unavailable" if code == OUT_OF_RESOURCES else "refused"
    return _instance(item, status, reason)


def _instance(item: Json, status: str, reason: str | None) -> StoredInstance:
    return StoredInstance(
        sop_instance_uid=_value(item, SOP_INSTANCE_UID),
        study_instance_uid=_value(item, _private_tag(item, 0x04)),
        status=status,
        sha256=_value(item, _private_tag(item, 0x02)),
        reason=reason,
    )
