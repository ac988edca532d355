"""Which failed uploads a rerun can fix (exit 8) and which the platform refuses for good (6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ortif_cli.api.models import StoredInstance
from ortif_cli.api.stow import UploadItem, UploadOutcome, pair_answers
from ortif_cli.cli.errors import exit_code_for
from ortif_cli.transfer import TransferReport, UploadIncomplete, UploadRefused, raise_if_failed


def item(uid: str) -> UploadItem:
    return UploadItem(Path(f"/cd/{uid}"), uid, 10)


def refused(uid: str, reason: str = "not DICOM (no DICM prefix)") -> UploadOutcome:
    return UploadOutcome(item(uid), "ab", StoredInstance(None, None, "refused", None, reason))


def unsent(uid: str) -> UploadOutcome:
    return UploadOutcome(item(uid), "", None, "The platform failed (503).")


def test_a_refusal_alone_exits_6_naming_each_file_and_reason() -> None:
    report = TransferReport([], failed=[refused("1.1"), refused("1.2", "no SOP Instance UID")])
    with pytest.raises(UploadRefused) as caught:
        raise_if_failed(report)
    assert exit_code_for(caught.value) == 6 and caught.value.report is report
    assert "/cd/1.1: not DICOM (no DICM prefix)" in caught.value.message
    assert "/cd/1.2: no SOP Instance UID" in caught.value.message


@pytest.mark.parametrize("failed", [[unsent("1.1")], [refused("1.1"), unsent("1.2")]])
def test_what_a_rerun_can_fix_exits_8(failed: list[UploadOutcome]) -> None:
    with pytest.raises(UploadIncomplete) as caught:
        raise_if_failed(TransferReport([], failed=failed))
    assert exit_code_for(caught.value) == 8 and "503" in caught.value.message


def test_a_sha256_mismatch_or_no_answer_is_for_a_rerun() -> None:
    mismatch = UploadOutcome(item("1.1"), "ab", StoredInstance("1.1", None, "stored", "cd", None))
    silent = UploadOutcome(item("1.2"), "ab", None)
    assert not mismatch.refused and not silent.refused
    with pytest.raises(UploadIncomplete):
        raise_if_failed(TransferReport([], failed=[mismatch, silent]))


def test_answers_without_a_uid_go_in_order_to_the_parts_left_unanswered() -> None:
    stored = StoredInstance("1.2", "9", "stored", "ab", None)
    first = StoredInstance(None, None, "refused", None, "truncated")
    second = StoredInstance(None, None, "refused", None, "not DICOM")
    items = [item("1.1"), item("1.2"), item("1.3")]
    assert pair_answers(items, [first, stored, second]) == [first, stored, second]
    assert pair_answers(items, [stored]) == [None, stored, None]
