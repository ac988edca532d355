"""Creating a dossier with its exams, so that nothing half-made is left behind."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ortif_cli import transfer
from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Community, CorrespondentRef, Dossier, Patient
from ortif_cli.errors import OrtifError, UsageError
from ortif_cli.text import fold
from ortif_cli.transfer import TransferObserver, TransferReport


@dataclass(frozen=True)
class DossierRequest:
    correspondents: Sequence[CorrespondentRef]
    patient: Patient
    visibility: str = "me"
    community: Community | None = None
    comment: str | None = None
    exam_dirs: Sequence[Path] = ()
    send: bool = False

    def body(self) -> dict[str, object]:
        return {
            "type": "imaging-transfer",
            "visibility": self.visibility,
            "community_id": self.community.id if self.community else None,
            "correspondents": [{"kind": c.kind, "id": c.id} for c in self.correspondents],
            "patient": self.patient.to_json(),
            "comment": self.comment,
        }


def visibility_community(client: PlatformClient, wanted: str | None) -> Community:
    """The community a `community`-visible dossier is shown to: named, or the only one."""
    mine = client.me().communities
    if wanted:
        matches = [c for c in mine if fold(wanted) in (fold(c.path), fold(c.name))]
        if len(matches) == 1:
            return matches[0]
    elif len(mine) == 1:
        return mine[0]
    paths = ", ".join(c.path for c in mine) or "none"
    raise UsageError(
        f"Say which of your communities sees the dossier (yours: {paths}).",
        hint="Give --community ESTABLISHMENT/COMMUNITY.",
    )


def create_dossier(
    client: PlatformClient, request: DossierRequest, observer: TransferObserver | None = None
) -> tuple[Dossier, TransferReport | None]:
    """Check and upload the exams first, then create, attach and maybe send.

    An identity mismatch or a failed upload leaves no dossier; an interruption after
    creation cancels the draft.
    """
    report = None
    if request.exam_dirs:
        report = transfer.upload_folders(client, request.exam_dirs, request.patient, observer)
        transfer.raise_if_failed(report)
    dossier = client.create_dossier(request.body())
    try:
        if report is not None:
            dossier = client.attach_exams(dossier.id, report.study_uids)
        if request.send:
            dossier = client.send_dossier(dossier.id)
    except BaseException:
        with contextlib.suppress(OrtifError):
            client.cancel_dossier(dossier.id)
        raise
    return dossier, report
