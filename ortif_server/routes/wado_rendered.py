"""WADO-RS rendered and thumbnail resources: JPEG or PNG images of one frame."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ortif_server import accept, rendering
from ortif_server.caller import Caller
from ortif_server.deps import ReaderCaller, SessionDep, StoreDep
from ortif_server.dicom_metadata import read_header
from ortif_server.errors import ApiError
from ortif_server.models import Instance
from ortif_server.store import BlobStore
from ortif_server.wado_lookup import Uids, visible_instances

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])
SERIES = "/studies/{study_uid}/series/{series_uid}"
INSTANCE = SERIES + "/instances/{sop_uid}"
IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {rendering.JPEG: {}, rendering.PNG: {}}}
}


def _image(
    request: Request,
    found: tuple[Caller, Session, BlobStore],
    uids: Uids,
    frame: str | None,
    thumbnail: bool,
) -> Response:
    caller, session, store = found
    ranges = accept.parse(request.headers.get("accept"), rendering.DEFAULT_ACCEPT)
    chosen = rendering.options(ranges, dict(request.query_params))
    if thumbnail and chosen.viewport is None:
        chosen = rendering.RenderOptions(chosen.media_type, chosen.window, rendering.THUMBNAIL_SIZE)
    index = _frame_index(frame)
    rows = [r for r in visible_instances(session, caller, uids) if r.number_of_frames != 0]
    row = _representative(rows, uids)
    path = store.path_for(row.sha256)
    if row.number_of_frames is not None and index >= row.number_of_frames:
        raise ApiError(404, "not_found", f"Frame {index + 1} not found.")
    image = rendering.render(path, read_header(path), index, chosen)
    return Response(image, media_type=chosen.media_type)


def _frame_index(frame: str | None) -> int:
    if frame is None:
        return 0
    if not frame.isdigit() or int(frame) < 1:
        raise ApiError(400, "bad_request", "Render one frame: a number from 1.")
    return int(frame) - 1


def _representative(rows: list[Instance], uids: Uids) -> Instance:
    """The instance shown for a study or series: the middle image of its first series."""
    if not rows:
        raise ApiError(404, "not_found", "No image to render here.")
    if uids[2] is not None:
        return rows[0]
    series = [r for r in rows if r.series_instance_uid == rows[0].series_instance_uid]
    return series[len(series) // 2]


@router.get(INSTANCE + "/rendered", responses=IMAGE_RESPONSES, response_class=Response)
def instance_rendered(
    study_uid: str,
    series_uid: str,
    sop_uid: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> Response:
    """The first frame of the instance, rendered."""
    uids = (study_uid, series_uid, sop_uid)
    return _image(request, (caller, session, store), uids, None, thumbnail=False)


@router.get(
    INSTANCE + "/frames/{frame}/rendered", responses=IMAGE_RESPONSES, response_class=Response
)
def frame_rendered(
    study_uid: str,
    series_uid: str,
    sop_uid: str,
    frame: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> Response:
    uids = (study_uid, series_uid, sop_uid)
    return _image(request, (caller, session, store), uids, frame, thumbnail=False)


@router.get("/studies/{study_uid}/thumbnail", responses=IMAGE_RESPONSES, response_class=Response)
def study_thumbnail(
    study_uid: str, request: Request, caller: ReaderCaller, session: SessionDep, store: StoreDep
) -> Response:
    uids = (study_uid, None, None)
    return _image(request, (caller, session, store), uids, None, thumbnail=True)


@router.get(SERIES + "/thumbnail", responses=IMAGE_RESPONSES, response_class=Response)
def series_thumbnail(
    study_uid: str,
    series_uid: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> Response:
    uids = (study_uid, series_uid, None)
    return _image(request, (caller, session, store), uids, None, thumbnail=True)


@router.get(INSTANCE + "/thumbnail", responses=IMAGE_RESPONSES, response_class=Response)
def instance_thumbnail(
    study_uid: str,
    series_uid: str,
    sop_uid: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> Response:
    uids = (study_uid, series_uid, sop_uid)
    return _image(request, (caller, session, store), uids, None, thumbnail=True)


@router.get(
    INSTANCE + "/frames/{frame}/thumbnail", responses=IMAGE_RESPONSES, response_class=Response
)
def frame_thumbnail(
    study_uid: str,
    series_uid: str,
    sop_uid: str,
    frame: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> Response:
    uids = (study_uid, series_uid, sop_uid)
    return _image(request, (caller, session, store), uids, frame, thumbnail=True)
