"""The CLI reads the PS3.18 STOW-RS answer, with or without the private ORTIF 1.0 block."""

from __future__ import annotations

from typing import Any

from ortif_cli.api.stow_answer import read_answer


def _item(sop: str, **extra: Any) -> dict[str, Any]:
    return {"00081155": {"vr": "UI", "Value": [sop]}, **extra}


def _private(block: int, status: str, sha: str, reason: str | None = None) -> dict[str, Any]:
    prefix = f"0077{block:02X}"
    found = {
        f"007700{block:02X}": {"vr": "LO", "Value": ["ORTIF 1.0"]},
        f"{prefix}01": {"vr": "CS", "Value": [status]},
        f"{prefix}02": {"vr": "LO", "Value": [sha]},
        f"{prefix}04": {"vr": "UI", "Value": ["1.2.3"]},
    }
    if reason:
        found[f"{prefix}03"] = {"vr": "LT", "Value": [reason]}
    return found


def test_statuses_digests_and_reasons() -> None:
    answer = {
        "00081199": {
            "vr": "SQ",
            "Value": [
                _item("1", **_private(0x10, "STORED", "a" * 64)),
                _item("2", **_private(0x11, "ALREADY_PRESENT", "b" * 64)),
            ],
        },
        "00081198": {
            "vr": "SQ",
            "Value": [
                _item(
                    "3",
                    **{"00081197": {"vr": "US", "Value": [0x0111]}},
                    **_private(
                        0x10,
                        "REFUSED",
                        "c" * 64,
                        "SOP Instance UID already stored with different bytes",
                    ),
                ),
            ],
        },
    }
    found = [(i.sop_instance_uid, i.status, i.sha256, i.reason) for i in read_answer(answer)]
    assert found == [
        ("1", "stored", "a" * 64, None),
        ("2", "already_present", "b" * 64, None),
        ("3", "refused", "c" * 64, "SOP Instance UID already stored with different bytes"),
    ]
    assert read_answer(answer)[0].study_instance_uid == "1.2.3"


def test_another_servers_answer_without_the_private_block() -> None:
    answer = {
        "00081199": {"vr": "SQ", "Value": [_item("1")]},
        "00081198": {
            "vr": "SQ",
            "Value": [_item("2", **{"00081197": {"vr": "US", "Value": [0xC000]}})],
        },
    }
    first, second = read_answer(answer)
    assert (first.status, first.sha256) == ("stored", None)
    assert second.status == "refused" and second.reason is not None and "0xC000" in second.reason
    assert read_answer({}) == []


def test_a_platform_that_could_not_write_an_instance_is_not_a_refusal() -> None:
    """Out of Resources (0xA700, e.g. a full disk): a rerun can fix it (exit 8, not 6)."""
    from pathlib import Path

    from ortif_cli.api.stow import UploadItem, UploadOutcome

    failed = _item("5", **{"00081197": {"vr": "US", "Value": [0xA700]}})
    (answer,) = read_answer({"00081198": {"vr": "SQ", "Value": [failed]}})
    assert answer.status == "unavailable"
    outcome = UploadOutcome(UploadItem(Path("/cd/5"), "5", 1), "ab", answer)
    assert not outcome.ok and not outcome.refused and outcome.problem
