"""DICOMweb QIDO-RS (PS3.18 10.6): studies, series and instances the caller may see."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ortif_server import audit, dicom_json, image_attributes, qido_match, qido_params
from ortif_server.caller import Caller
from ortif_server.deps import ReaderCaller, SessionDep, StoreDep
from ortif_server.models import Instance, Study
from ortif_server.qido_params import QidoParams
from ortif_server.store import BlobStore
from ortif_server.visibility import visible_study, visible_study_uids
from ortif_server.wado_lookup import public_base_url

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])
MEDIA_TYPE = "application/dicom+json"
RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA_TYPE: {}}}}


@cache
def _returned(level: str) -> frozenset[str]:
    """The keywords a level returns, for `includefield` (from a transient row)."""
    study = Study(study_instance_uid="1", patient_name="", modalities="", instance_count=0)
    row = Instance(study_instance_uid="1", series_instance_uid="1", sop_instance_uid="1")
    dataset = {
        "study": lambda: dicom_json.study(study, 0, ""),
        "series": lambda: dicom_json.series(row, 0, study, ""),
        "instance": lambda: dicom_json.instance(row, study, ""),
    }[level]()
    return frozenset(dicom_json.keywords(dataset))


def _params(request: Request, level: str) -> QidoParams:
    return qido_params.parse(request.query_params.multi_items(), level, set(_returned(level)))


def _answer(datasets: list[dicom_json.Dataset], params: QidoParams) -> JSONResponse:
    return JSONResponse(datasets, media_type=MEDIA_TYPE, headers=params.warning())


def _audit_search(session: Session, caller: Caller, study_uids: Sequence[str]) -> None:
    """A search reads the studies it returns (identities included): one event each."""
    for uid in dict.fromkeys(study_uids):
        audit.record(session, caller, "search", ("exam", uid), None)
    session.commit()


@router.get("/studies", response_class=JSONResponse, responses=RESPONSES)
def search_studies(request: Request, caller: ReaderCaller, session: SessionDep) -> JSONResponse:
    """Studies matching the PS3.18 query parameters (PatientName, StudyDate...)."""
    params = _params(request, "study")
    conditions = qido_match.study_conditions(params.matches, params.fuzzy)
    visible = Study.study_instance_uid.in_(visible_study_uids(caller))
    query = (
        select(Study)
        .where(visible, *conditions)
        .order_by(Study.study_date.desc(), Study.study_instance_uid)
    )
    studies = list(session.scalars(query.limit(params.limit).offset(params.offset)))
    counts = _series_counts(session, [s.study_instance_uid for s in studies])
    _audit_search(session, caller, [s.study_instance_uid for s in studies])
    base_url = public_base_url(request)
    found = [dicom_json.study(s, counts.get(s.study_instance_uid, 0), base_url) for s in studies]
    return _answer(found, params)


def _series_counts(session: Session, study_uids: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(Instance.study_instance_uid, func.count(func.distinct(Instance.series_instance_uid)))
        .where(Instance.study_instance_uid.in_(study_uids))
        .group_by(Instance.study_instance_uid)
    )
    return {uid: int(count) for uid, count in rows}


def _instance_conditions(
    caller: Caller, params: QidoParams, study_uid: str | None
) -> list[ColumnElement[bool]]:
    """Visibility, the study's and the instance's matching attributes, the study if given."""
    found: list[ColumnElement[bool]] = [Instance.study_instance_uid.in_(visible_study_uids(caller))]
    if study_uid is not None:
        found.append(Instance.study_instance_uid == study_uid)
    found += qido_match.study_conditions(params.matches, params.fuzzy)
    return found + qido_match.instance_conditions(params.matches)


def _series(
    request: Request, caller: Caller, session: Session, study_uid: str | None
) -> JSONResponse:
    params = _params(request, "series")
    if study_uid is not None:
        visible_study(session, caller, study_uid)
    first_id = func.min(Instance.id)
    groups = (
        select(first_id, func.count())
        .join(Study, Study.study_instance_uid == Instance.study_instance_uid)
        .where(*_instance_conditions(caller, params, study_uid))
        .group_by(Instance.study_instance_uid, Instance.series_instance_uid)
        .order_by(func.min(Instance.study_instance_uid), func.min(Instance.series_number), first_id)
    )
    counts = dict(session.execute(groups.limit(params.limit).offset(params.offset)).tuples().all())
    rows = list(session.scalars(select(Instance).where(Instance.id.in_(counts))))
    rows.sort(key=lambda row: list(counts).index(row.id))
    studies = _studies(session, rows)
    _audit_search(session, caller, [r.study_instance_uid for r in rows])
    found = [
        dicom_json.series(r, counts[r.id], studies[r.study_instance_uid], public_base_url(request))
        for r in rows
    ]
    return _answer(found, params)


def _studies(session: Session, rows: Sequence[Instance]) -> dict[str, Study]:
    uids = {r.study_instance_uid for r in rows}
    found = session.scalars(select(Study).where(Study.study_instance_uid.in_(uids)))
    return {s.study_instance_uid: s for s in found}


def _instances(
    request: Request,
    found: tuple[Caller, Session, BlobStore],
    study_uid: str | None,
    series_uid: str | None,
) -> JSONResponse:
    caller, session, store = found
    params = _params(request, "instance")
    if study_uid is not None:
        visible_study(session, caller, study_uid)
    query = (
        select(Instance)
        .join(Study, Study.study_instance_uid == Instance.study_instance_uid)
        .where(*_instance_conditions(caller, params, study_uid))
    )
    if series_uid is not None:
        query = query.where(Instance.series_instance_uid == series_uid)
    order = (Instance.study_instance_uid, Instance.series_number, Instance.instance_number)
    query = query.order_by(*order, Instance.id).limit(params.limit).offset(params.offset)
    rows = list(session.scalars(query))
    image_attributes.fill_missing(session, store, rows)
    studies = _studies(session, rows)
    _audit_search(session, caller, [r.study_instance_uid for r in rows])
    base_url = public_base_url(request)
    return _answer(
        [dicom_json.instance(r, studies[r.study_instance_uid], base_url) for r in rows], params
    )


@router.get("/series", response_class=JSONResponse, responses=RESPONSES)
def search_all_series(request: Request, caller: ReaderCaller, session: SessionDep) -> JSONResponse:
    """Series of every visible study that match (study attributes match too)."""
    return _series(request, caller, session, None)


@router.get("/studies/{study_uid}/series", response_class=JSONResponse, responses=RESPONSES)
def search_series(
    study_uid: str, request: Request, caller: ReaderCaller, session: SessionDep
) -> JSONResponse:
    """The series of a visible study (Modality, SeriesInstanceUID... filter them)."""
    return _series(request, caller, session, study_uid)


@router.get("/instances", response_class=JSONResponse, responses=RESPONSES)
def search_all_instances(
    request: Request, caller: ReaderCaller, session: SessionDep, store: StoreDep
) -> JSONResponse:
    return _instances(request, (caller, session, store), None, None)


@router.get("/studies/{study_uid}/instances", response_class=JSONResponse, responses=RESPONSES)
def search_study_instances(
    study_uid: str, request: Request, caller: ReaderCaller, session: SessionDep, store: StoreDep
) -> JSONResponse:
    return _instances(request, (caller, session, store), study_uid, None)


@router.get(
    "/studies/{study_uid}/series/{series_uid}/instances",
    response_class=JSONResponse,
    responses=RESPONSES,
)
def search_instances(
    study_uid: str,
    series_uid: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> JSONResponse:
    """The instances of one series of a visible study."""
    return _instances(request, (caller, session, store), study_uid, series_uid)
