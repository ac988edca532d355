"""Dossiers and their steps, made so that nothing half-made is left behind.

Exams and documents are checked and uploaded before the dossier (or the step) exists:
an identity mismatch, a missing file or a failed upload leaves nothing on the platform.
Once a draft exists, any failure or interruption cancels it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ortif_cli.api.client import PlatformClient
from ortif_cli.api.documents import upload_document
from ortif_cli.api.models import (
    Community,
    CorrespondentRef,
    Document,
    Dossier,
    Patient,
    status_label,
)
from ortif_cli.errors import OrtifError, RuleError, UsageError
from ortif_cli.i18n import _
from ortif_cli.text import fold

if TYPE_CHECKING:  # the DICOM side loads only when exams are sent (`dossier list` stays light)
    from ortif_cli.api.stow import UploadOutcome
    from ortif_cli.dicom.identity import FieldDiff
    from ortif_cli.transfer import TransferObserver, TransferReport

    ExamUploader = Callable[[PlatformClient, Patient, TransferObserver | None], TransferReport]
    """Uploads exams from a source (PACS, platform store...) after checking their patient."""

STEP_KINDS = ("answer", "info", "second-opinion")


@dataclass(frozen=True)
class DossierRequest:
    correspondents: Sequence[CorrespondentRef]
    patient: Patient
    visibility: str = "me"
    community: Community | None = None
    comment: str | None = None
    exam_dirs: Sequence[Path] = ()
    attachments: Sequence[Path] = ()
    exam_sources: Sequence[ExamUploader] = ()
    send: bool = False

    def body(self, document_ids: Sequence[int] = ()) -> dict[str, object]:
        body: dict[str, object] = {
            "type": "imaging-transfer",
            "visibility": self.visibility,
            "community_id": self.community.id if self.community else None,
            "correspondents": [{"kind": c.kind, "id": c.id} for c in self.correspondents],
            "comment": self.comment,
        }
        if self.patient.id is not None:
            body["patient_id"] = self.patient.id
        else:
            body["patient"] = self.patient.to_json()
        if document_ids:
            body["document_ids"] = list(document_ids)
        return body


@dataclass
class Uploaded:
    """What went up before the dossier or step was recorded."""

    exams: list[TransferReport] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    @property
    def study_uids(self) -> list[str]:
        return [uid for report in self.exams for uid in report.study_uids]

    @property
    def sent(self) -> list[UploadOutcome]:
        return [outcome for report in self.exams for outcome in report.sent]

    @property
    def already_present(self) -> int:
        return sum(report.already_present for report in self.exams)

    @property
    def identity_warnings(self) -> list[FieldDiff]:
        return [w for report in self.exams for w in report.identity_warnings]


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
        _("Say which of your communities sees the dossier (yours: {paths}).").format(paths=paths),
        hint=_("Give --community ESTABLISHMENT/COMMUNITY."),
    )


def check_files(paths: Sequence[Path]) -> None:
    """UsageError naming the first attachment that is not a readable file."""
    for path in paths:
        if not path.is_file():
            raise UsageError(
                _("--attach {path}: no such file.").format(path=path),
                hint=_("Give the path of an existing file (PDF, Word, image...)."),
            )


def upload_documents(
    client: PlatformClient, paths: Sequence[Path], observer: TransferObserver | None = None
) -> list[Document]:
    """Upload each file; every one is checked by the SHA-256 the platform answers."""
    check_files(paths)
    if observer and paths:
        observer.uploading(len(paths), sum(p.stat().st_size for p in paths))
    on_bytes = observer.advanced if observer else None
    return [upload_document(client, path, on_bytes) for path in paths]


def upload_all(
    client: PlatformClient,
    patient: Patient,
    exam_dirs: Sequence[Path],
    exam_sources: Sequence[ExamUploader],
    attachments: Sequence[Path],
    observer: TransferObserver | None = None,
) -> Uploaded:
    """Exams (identity checked first) and documents, before anything is recorded."""
    from ortif_cli import transfer

    check_files(attachments)
    done = Uploaded()
    if exam_dirs:
        done.exams.append(transfer.upload_folders(client, exam_dirs, patient, observer))
    done.exams += [source(client, patient, observer) for source in exam_sources]
    for report in done.exams:
        transfer.raise_if_failed(report)
    done.documents = upload_documents(client, attachments, observer)
    return done


def create_dossier(
    client: PlatformClient, request: DossierRequest, observer: TransferObserver | None = None
) -> tuple[Dossier, Uploaded]:
    """Check and upload exams and documents first, then create, attach and maybe send.

    An identity mismatch or a failed upload leaves no dossier; an interruption after
    creation cancels the draft.
    """
    uploaded = upload_all(
        client,
        request.patient,
        request.exam_dirs,
        request.exam_sources,
        request.attachments,
        observer,
    )
    dossier = client.create_dossier(request.body([d.id for d in uploaded.documents]))
    try:
        if uploaded.study_uids:
            dossier = client.attach_exams(dossier.id, uploaded.study_uids)
        if request.send:
            dossier = client.send_dossier(dossier.id)
    except BaseException:
        discard_draft(client, dossier.id)
        raise
    return dossier, uploaded


def discard_draft(client: PlatformClient, dossier_id: int) -> None:
    """Cancel a draft made by this run, ignoring what the platform says back."""
    with contextlib.suppress(OrtifError):
        client.cancel_dossier(dossier_id)


@dataclass(frozen=True)
class StepRequest:
    kind: str
    comment: str | None = None
    exam_dirs: Sequence[Path] = ()
    attachments: Sequence[Path] = ()
    correspondents: Sequence[CorrespondentRef] = ()

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise UsageError(
                _("--kind must be one of {kinds}, not {kind!r}.").format(
                    kinds=", ".join(STEP_KINDS), kind=self.kind
                )
            )
        if self.correspondents and self.kind != "second-opinion":
            raise UsageError(_("--to is only for a second-opinion step."))


def add_step(
    client: PlatformClient,
    dossier_id: int,
    request: StepRequest,
    observer: TransferObserver | None = None,
) -> tuple[Dossier, Uploaded]:
    """Upload the step's exams (checked against the dossier's patient) and documents, then
    record the step; the platform notifies every participant but the author."""
    dossier = client.get_dossier(dossier_id)
    if dossier.status != "sent":
        raise RuleError(
            _("Dossier {id} is {status}: steps go only on a sent dossier.").format(
                id=dossier.id, status=status_label(dossier.status)
            )
        )
    uploaded = upload_all(
        client, dossier.patient, request.exam_dirs, (), request.attachments, observer
    )
    dossier = client.add_step(
        dossier_id,
        request.kind,
        request.comment,
        study_instance_uids=uploaded.study_uids,
        document_ids=[d.id for d in uploaded.documents],
        correspondents=request.correspondents,
    )
    return dossier, uploaded


def acknowledge(client: PlatformClient, dossier_id: int, comment: str | None) -> Dossier:
    return client.add_step(dossier_id, "ack", comment)


@dataclass(frozen=True)
class DossierQuery:
    """The filters of `dossier list`, as the platform names them."""

    status: str | None = None
    patient: str | None = None
    correspondent: str | None = None
    since: date | None = None
    until: date | None = None
    unread: bool = False
    sort: str | None = None
    limit: int = 50
    page: int = 1

    def filters(self) -> dict[str, object]:
        return {
            "patient": self.patient,
            "correspondent": self.correspondent,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "unread": self.unread,
            "sort": self.sort,
        }


def list_dossiers(client: PlatformClient, query: DossierQuery) -> tuple[list[Dossier], int]:
    offset = (query.page - 1) * query.limit
    page = client.list_dossiers(
        status=query.status, limit=query.limit, offset=offset, **query.filters()
    )
    return list(page.items), page.total
