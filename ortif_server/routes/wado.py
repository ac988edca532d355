"""DICOMweb WADO-RS: a study, series or instance the caller may see, streamed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, StreamingResponse

from ortif_server import wado
from ortif_server.deps import ReaderCaller, SessionDep, StoreDep
from ortif_server.wado_lookup import Uids, public_base_url, visible_instances

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])


def _retrieve(
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
    uids: Uids,
) -> StreamingResponse | FileResponse:
    rows = visible_instances(session, caller, uids)
    syntaxes = {r.transfer_syntax_uid for r in rows}
    as_multipart = wado.wants_multipart(
        request.headers.get("accept"), uids[2] is not None, syntaxes
    )
    if not as_multipart:
        path = store.path_for(rows[0].sha256)
        return FileResponse(path, media_type=wado.DICOM, headers={"ETag": f'"{rows[0].sha256}"'})
    paths = {r.sop_instance_uid: store.path_for(r.sha256) for r in rows}
    boundary = wado.new_boundary()
    base_url = public_base_url(request)
    body, length = wado.multipart(rows, paths, base_url, boundary)
    headers = {"Content-Length": str(length)}
    return StreamingResponse(body, media_type=wado.content_type(boundary), headers=headers)


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
