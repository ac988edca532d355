"""Exams and documents joining a step: only what the caller uploaded or may see."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ortif_server import audit
from ortif_server.caller import Caller
from ortif_server.errors import invalid
from ortif_server.models import Document, Dossier, Step, StepDocument, StepExam
from ortif_server.visibility import visible_study_uids, visible_to_caller


def check_studies(session: Session, caller: Caller, uids: list[str]) -> list[str]:
    """The distinct UIDs, in order, after checking that the caller may use each."""
    wanted = list(dict.fromkeys(uids))
    visible = visible_study_uids(caller).subquery().c[0]
    allowed = set(session.scalars(select(visible).where(visible.in_(wanted)))) if wanted else set()
    for uid in wanted:
        if uid not in allowed:
            raise invalid("study_instance_uids", f"study {uid} is unknown or not uploaded by you")
    return wanted


def check_documents(session: Session, caller: Caller, ids: list[int]) -> list[Document]:
    """The documents, after checking that the caller uploaded or may see each."""
    wanted = list(dict.fromkeys(ids))
    rows = {d.id: d for d in session.scalars(visible_documents(caller, wanted))}
    for document_id in wanted:
        if document_id not in rows:
            raise invalid("document_ids", f"document {document_id} is unknown or not yours")
    return [rows[i] for i in wanted]


def visible_documents(caller: Caller, ids: list[int]) -> Select[Document]:
    """Documents among `ids` uploaded by the caller or attached to a dossier it may see."""
    attached = (
        select(StepDocument.document_id)
        .join(Step, Step.id == StepDocument.step_id)
        .join(Dossier, Dossier.id == Step.dossier_id)
        .where(visible_to_caller(caller))
    )
    mine = (
        Document.uploaded_by_invitation_id == caller.token.invitation_id
        if caller.token.invitation_id is not None
        else Document.uploaded_by_id == caller.token.user_id
    )
    return select(Document).where(Document.id.in_(ids), or_(mine, Document.id.in_(attached)))


def attach(
    session: Session,
    caller: Caller,
    target: tuple[Dossier, Step],
    uids: list[str],
    documents: list[Document],
) -> None:
    """Append exams and documents not yet on the step (append-only, each once)."""
    dossier, step = target
    attached_uids = {e.study_instance_uid for e in step.exams}
    for uid in uids:
        if uid not in attached_uids:
            step.exams.append(StepExam(study_instance_uid=uid))
            audit.record(session, caller, "attach", ("exam", uid), dossier.id)
    attached_ids = {d.document_id for d in step.documents}
    for document in documents:
        if document.id not in attached_ids:
            step.documents.append(StepDocument(document_id=document.id, document=document))
            audit.record(session, caller, "attach", ("document", document.id), dossier.id)
