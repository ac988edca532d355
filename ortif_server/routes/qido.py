"""DICOMweb QIDO-RS: studies, series and instances the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ortif_server import audit, dicom_json, qido_match
from ortif_server.caller import Caller
from ortif_server.deps import ReaderCaller, SessionDep
from ortif_server.models import Instance, Study
from ortif_server.visibility import visible_study, visible_study_uids

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])
MEDIA_TYPE = "application/dicom+json"
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


def _answer(datasets: list[dicom_json.Dataset]) -> JSONResponse:
    return JSONResponse(datasets, media_type=MEDIA_TYPE)


@router.get("/studies", response_class=JSONResponse)
def search_studies(
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> JSONResponse:
    """Studies matching the PS3.18 query parameters (PatientName, StudyDate...)."""
    conditions = qido_match.study_conditions(dict(request.query_params))
    visible = Study.study_instance_uid.in_(visible_study_uids(caller))
    query = (
        select(Study)
        .where(visible, *conditions)
        .order_by(Study.study_date.desc(), Study.study_instance_uid)
    )
    studies = list(session.scalars(query.limit(limit).offset(offset)))
    counts = _series_counts(session, [s.study_instance_uid for s in studies])
    _audit_search(session, caller, [s.study_instance_uid for s in studies])
    return _answer([dicom_json.study(s, counts.get(s.study_instance_uid, 0)) for s in studies])


def _audit_search(session: Session, caller: Caller, study_uids: list[str]) -> None:
    """A search reads the studies it returns (identities included): one event each."""
    for uid in study_uids:
        audit.record(session, caller, "search", ("exam", uid), None)
    session.commit()


def _series_counts(session: Session, study_uids: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(Instance.study_instance_uid, func.count(func.distinct(Instance.series_instance_uid)))
        .where(Instance.study_instance_uid.in_(study_uids))
        .group_by(Instance.study_instance_uid)
    )
    return {uid: int(count) for uid, count in rows}


@router.get("/studies/{study_uid}/series", response_class=JSONResponse)
def search_series(
    study_uid: str, request: Request, caller: ReaderCaller, session: SessionDep
) -> JSONResponse:
    """The series of a visible study; `Modality` and `SeriesInstanceUID` filter them."""
    visible_study(session, caller, study_uid)
    _audit_search(session, caller, [study_uid])
    params = request.query_params
    query = select(Instance).where(Instance.study_instance_uid == study_uid)
    if params.get("Modality"):
        query = query.where(Instance.modality == params["Modality"])
    if params.get("SeriesInstanceUID"):
        query = query.where(
            qido_match.uid_list(Instance.series_instance_uid, params["SeriesInstanceUID"])
        )
    groups: dict[str, list[Instance]] = {}
    for row in session.scalars(query.order_by(Instance.series_number, Instance.id)):
        groups.setdefault(row.series_instance_uid, []).append(row)
    return _answer([dicom_json.series(rows[0], len(rows)) for rows in groups.values()])


@router.get("/studies/{study_uid}/series/{series_uid}/instances", response_class=JSONResponse)
def search_instances(
    study_uid: str, series_uid: str, request: Request, caller: ReaderCaller, session: SessionDep
) -> JSONResponse:
    """The instances of one series of a visible study."""
    visible_study(session, caller, study_uid)
    _audit_search(session, caller, [study_uid])
    query = select(Instance).where(
        Instance.study_instance_uid == study_uid, Instance.series_instance_uid == series_uid
    )
    sop = request.query_params.get("SOPInstanceUID")
    if sop:
        query = query.where(qido_match.uid_list(Instance.sop_instance_uid, sop))
    rows = session.scalars(query.order_by(Instance.instance_number, Instance.id))
    return _answer([dicom_json.instance(r) for r in rows])
