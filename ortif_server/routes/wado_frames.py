"""WADO-RS frames: `.../instances/{sop}/frames/{list}`, read by offset from the stored file."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ortif_server import accept, frame_media, wado
from ortif_server.deps import ReaderCaller, SessionDep, StoreDep
from ortif_server.pixel_frames import frame_numbers, read_layout
from ortif_server.wado_lookup import visible_instances

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])
INSTANCE = "/studies/{study_uid}/series/{series_uid}/instances/{sop_uid}"


@router.get(INSTANCE + "/frames/{frame_list}", response_class=StreamingResponse)
def retrieve_frames(
    study_uid: str,
    series_uid: str,
    sop_uid: str,
    frame_list: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> StreamingResponse:
    """The frames asked for (`1,3,5`), one part each, in the representation accepted."""
    ranges = accept.parse(request.headers.get("accept"), frame_media.DEFAULT_ACCEPT)
    [row] = visible_instances(session, caller, (study_uid, series_uid, sop_uid))
    layout = read_layout(store.path_for(row.sha256))
    numbers = frame_numbers(frame_list, layout)
    part_type, read = frame_media.choose(ranges, layout)
    boundary = wado.new_boundary()
    body = wado.parts(((part_type, read(layout, n)) for n in numbers), boundary)
    media_type = part_type.partition(";")[0]
    return StreamingResponse(body, media_type=wado.content_type(boundary, media_type))
