"""Dossiers: create, list, show, send, cancel, attach exams, acknowledge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from ortif_server import serialize, workflow
from ortif_server.deps import CurrentUser, SessionDep
from ortif_server.models import Dossier
from ortif_server.schemas import (
    DossierCreate,
    DossierPage,
    DossierPublic,
    DossierStatus,
    ExamsAttach,
    StepCreate,
)
from ortif_server.visibility import visible_to

router = APIRouter(prefix="/dossiers", tags=["dossiers"])


@router.post("", status_code=201)
def create_dossier(body: DossierCreate, user: CurrentUser, session: SessionDep) -> DossierPublic:
    return serialize.dossier(workflow.create_dossier(session, user, body))


@router.get("")
def list_dossiers(
    user: CurrentUser,
    session: SessionDep,
    status: DossierStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DossierPage:
    """The dossiers the caller may see, newest first."""
    condition = visible_to(user.id)
    if status is not None:
        condition = condition & (Dossier.status == status)
    total = session.scalar(select(func.count()).select_from(Dossier).where(condition))
    rows = session.scalars(
        select(Dossier)
        .where(condition)
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return DossierPage(items=[serialize.dossier_summary(d) for d in rows], total=total or 0)


@router.get("/{dossier_id}")
def show_dossier(dossier_id: int, user: CurrentUser, session: SessionDep) -> DossierPublic:
    return serialize.dossier(workflow.load_visible(session, user, dossier_id))


@router.post("/{dossier_id}/send")
def send_dossier(dossier_id: int, user: CurrentUser, session: SessionDep) -> DossierPublic:
    dossier = workflow.load_owned(session, user, dossier_id)
    workflow.send(session, user, dossier)
    return serialize.dossier(dossier)


@router.post("/{dossier_id}/cancel")
def cancel_dossier(dossier_id: int, user: CurrentUser, session: SessionDep) -> DossierPublic:
    dossier = workflow.load_owned(session, user, dossier_id)
    workflow.cancel(session, dossier)
    return serialize.dossier(dossier)


@router.post("/{dossier_id}/exams")
def attach_exams(
    dossier_id: int, body: ExamsAttach, user: CurrentUser, session: SessionDep
) -> DossierPublic:
    dossier = workflow.load_owned(session, user, dossier_id)
    workflow.attach_exams(session, user, dossier, body.study_instance_uids)
    return serialize.dossier(dossier)


@router.post("/{dossier_id}/steps", status_code=201)
def add_step(
    dossier_id: int, body: StepCreate, user: CurrentUser, session: SessionDep
) -> DossierPublic:
    dossier = workflow.load_visible(session, user, dossier_id)
    workflow.acknowledge(session, user, dossier, body.comment)
    return serialize.dossier(dossier)
