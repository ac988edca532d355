"""DICOMweb WADO-RS: a study, series or instance the caller may see, streamed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server import audit, wado
from ortif_server.deps import ReaderCaller, SessionDep, StoreDep
from ortif_server.errors import not_found
from ortif_server.models import Instance
from ortif_server.visibility import visible_study

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])


def _retrieve(
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
    uids: tuple[str, str | None, str | None],
) -> StreamingResponse | FileResponse:
    study_uid, _, sop_uid = uids
    single = sop_uid is not None
    as_multipart = wado.wants_multipart(request.headers.get("accept"), single)
    visible_study(session, caller, study_uid)
    rows = _instances(session, uids)
    if not rows:
        raise not_found(f"Instances of study {study_uid}")
    audit.record(session, caller, "retrieve", ("exam", study_uid), None)
    session.commit()
    if not as_multipart:
        path = store.path_for(rows[0].sha256)
        return FileResponse(path, media_type=wado.DICOM, headers={"ETag": f'"{rows[0].sha256}"'})
    paths = {r.sop_instance_uid: store.path_for(r.sha256) for r in rows}
    boundary = wado.new_boundary()
    base_url = str(request.base_url).rstrip("/")
    body = wado.multipart(rows, paths, base_url, boundary)
    return StreamingResponse(body, media_type=wado.content_type(boundary))


def _instances(session: Session, uids: tuple[str, str | None, str | None]) -> list[Instance]:
    study_uid, series_uid, sop_uid = uids
    query = select(Instance).where(Instance.study_instance_uid == study_uid)
    if series_uid is not None:
        query = query.where(Instance.series_instance_uid == series_uid)
    if sop_uid is not None:
        query = query.where(Instance.sop_instance_uid == sop_uid)
    order = (Instance.series_number, Instance.instance_number, Instance.id)
    return list(session.scalars(query.order_by(*order)))


@router.get("/studies/{study_uid}", response_model=None)
def retrieve_study(
    study_uid: str, request: Request, caller: ReaderCaller, session: SessionDep, store: StoreDep
) -> StreamingResponse | FileResponse:
    return _retrieve(request, caller, session, store, (study_uid, None, None))


@router.get("/studies/{study_uid}/series/{series_uid}", response_model=None)
def retrieve_series(
    study_uid: str,
    series_uid: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> StreamingResponse | FileResponse:
    return _retrieve(request, caller, session, store, (study_uid, series_uid, None))


@router.get("/studies/{study_uid}/series/{series_uid}/instances/{sop_uid}", response_model=None)
def retrieve_instance(
    study_uid: str,
    series_uid: str,
    sop_uid: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> StreamingResponse | FileResponse:
    return _retrieve(request, caller, session, store, (study_uid, series_uid, sop_uid))
