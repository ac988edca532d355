"""Dossiers: create, list, show, send, cancel, attach exams and documents, steps, manifest."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from ortif_server import audit, dossier_query, manifest, serialize, steps, workflow
from ortif_server.caller import Caller
from ortif_server.deps import CurrentCaller, CurrentUser, IdPath, SessionDep
from ortif_server.dossier_query import DossierFilter, Sort
from ortif_server.models import Dossier
from ortif_server.schemas import (
    DocumentsAttach,
    DossierCreate,
    DossierPage,
    DossierPublic,
    DossierStatus,
    ExamsAttach,
    Manifest,
    StepCreate,
)

router = APIRouter(prefix="/dossiers", tags=["dossiers"])


def _answer(session: Session, caller: Caller, dossier: Dossier) -> DossierPublic:
    user_id = caller.token.user_id
    unread = user_id is not None and bool(
        dossier_query.unread_among(session, user_id, [dossier.id])
    )
    return serialize.dossier(dossier, unread)


@router.post("", status_code=201)
def create_dossier(
    body: DossierCreate, caller: CurrentCaller, session: SessionDep
) -> DossierPublic:
    return _answer(session, caller, steps.create_dossier(session, caller, body))


@router.get("", response_model=DossierPage)
def list_dossiers(
    user: CurrentUser,
    session: SessionDep,
    status: DossierStatus | None = None,
    type: str | None = None,
    patient: str | None = None,
    correspondent: str | None = None,
    since: date | None = None,
    until: date | None = None,
    unread: bool = False,
    sort: Sort = "-created_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """The dossiers the caller may see, filtered, sorted and paged."""
    wanted = DossierFilter(status, type, patient, correspondent, since, until, unread)
    where = dossier_query.conditions(user.id, wanted)
    items, total = dossier_query.page(session, user, where, sort, (limit, offset))
    # SB (bench/server_list.py): already in the shape of DossierPage; JSON as FastAPI's.
    return JSONResponse({"items": items, "total": total})


@router.get("/{dossier_id}")
def show_dossier(dossier_id: IdPath, caller: CurrentCaller, session: SessionDep) -> DossierPublic:
    dossier = workflow.load_visible(session, caller, dossier_id)
    audit.record(session, caller, "read", ("dossier", dossier.id), dossier.id)
    session.commit()
    return _answer(session, caller, dossier)


@router.get("/{dossier_id}/manifest")
def dossier_manifest(dossier_id: IdPath, caller: CurrentCaller, session: SessionDep) -> Manifest:
    """Every exam instance and document of the dossier, with sizes and hashes."""
    dossier = workflow.load_visible(session, caller, dossier_id)
    audit.record(session, caller, "read_manifest", ("dossier", dossier.id), dossier.id)
    session.commit()
    return manifest.build(session, dossier)


@router.post("/{dossier_id}/send")
def send_dossier(dossier_id: IdPath, caller: CurrentCaller, session: SessionDep) -> DossierPublic:
    dossier = workflow.load_owned(session, caller, dossier_id)
    workflow.send(session, caller, dossier)
    return _answer(session, caller, dossier)


@router.post("/{dossier_id}/cancel")
def cancel_dossier(dossier_id: IdPath, caller: CurrentCaller, session: SessionDep) -> DossierPublic:
    dossier = workflow.load_owned(session, caller, dossier_id)
    workflow.cancel(session, caller, dossier)
    return _answer(session, caller, dossier)


@router.post("/{dossier_id}/exams")
def attach_exams(
    dossier_id: IdPath, body: ExamsAttach, caller: CurrentCaller, session: SessionDep
) -> DossierPublic:
    dossier = workflow.load_owned(session, caller, dossier_id)
    steps.attach_to_request(session, caller, dossier, body.study_instance_uids, [])
    return _answer(session, caller, dossier)


@router.post("/{dossier_id}/documents")
def attach_documents(
    dossier_id: IdPath, body: DocumentsAttach, caller: CurrentCaller, session: SessionDep
) -> DossierPublic:
    dossier = workflow.load_owned(session, caller, dossier_id)
    steps.attach_to_request(session, caller, dossier, [], body.document_ids)
    return _answer(session, caller, dossier)


@router.post("/{dossier_id}/steps", status_code=201)
def add_step(
    dossier_id: IdPath, body: StepCreate, caller: CurrentCaller, session: SessionDep
) -> DossierPublic:
    dossier = workflow.load_visible(session, caller, dossier_id)
    steps.add_step(session, caller, dossier, body)
    return _answer(session, caller, dossier)
