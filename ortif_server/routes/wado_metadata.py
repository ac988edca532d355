"""WADO-RS metadata (study, series, instance) and bulk data, as DICOM JSON / octet-stream."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ortif_server import accept, frame_media, wado
from ortif_server.deps import ReaderCaller, SessionDep, StoreDep
from ortif_server.dicom_metadata import PIXEL_DATA, bulk_value, instance_metadata
from ortif_server.models import Instance
from ortif_server.pixel_frames import OCTET_STREAM, read_layout
from ortif_server.store import BlobStore
from ortif_server.wado_lookup import Uids, instance_path, public_base_url, visible_instances

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])
DICOM_JSON = "application/dicom+json"
SERIES = "/studies/{study_uid}/series/{series_uid}"
INSTANCE = SERIES + "/instances/{sop_uid}"


def _metadata(
    request: Request, caller: ReaderCaller, session: SessionDep, store: StoreDep, uids: Uids
) -> StreamingResponse:
    ranges = accept.parse(request.headers.get("accept"), DICOM_JSON)
    if not any(r.matches(DICOM_JSON) or r.matches("application/json") for r in ranges):
        raise accept.not_acceptable("metadata")
    rows = visible_instances(session, caller, uids)
    base_url = public_base_url(request)
    return StreamingResponse(_json_array(rows, store, base_url), media_type=DICOM_JSON)


def _json_array(rows: Sequence[Instance], store: BlobStore, base_url: str) -> Iterator[bytes]:
    """One instance after the other, so that a large study is never held whole."""
    yield b"["
    for number, row in enumerate(rows):
        has_pixels = row.number_of_frames != 0
        data = instance_metadata(
            store.path_for(row.sha256), instance_path(base_url, row), has_pixels
        )
        yield (b"," if number else b"") + json.dumps(data, separators=(",", ":")).encode()
    yield b"]"


@router.get("/studies/{study_uid}/metadata", response_class=StreamingResponse)
def study_metadata(
    study_uid: str, request: Request, caller: ReaderCaller, session: SessionDep, store: StoreDep
) -> StreamingResponse:
    return _metadata(request, caller, session, store, (study_uid, None, None))


@router.get(SERIES + "/metadata", response_class=StreamingResponse)
def series_metadata(
    study_uid: str,
    series_uid: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> StreamingResponse:
    return _metadata(request, caller, session, store, (study_uid, series_uid, None))


@router.get(INSTANCE + "/metadata", response_class=StreamingResponse)
def instance_metadata_route(
    study_uid: str,
    series_uid: str,
    sop_uid: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> StreamingResponse:
    return _metadata(request, caller, session, store, (study_uid, series_uid, sop_uid))


@router.get(INSTANCE + "/bulk/{element_path:path}", response_class=StreamingResponse)
def retrieve_bulk_data(
    study_uid: str,
    series_uid: str,
    sop_uid: str,
    element_path: str,
    request: Request,
    caller: ReaderCaller,
    session: SessionDep,
    store: StoreDep,
) -> StreamingResponse:
    """A BulkDataURI of the metadata; Pixel Data is sent frame by frame, as `frames`."""
    ranges = accept.parse(request.headers.get("accept"), frame_media.DEFAULT_ACCEPT)
    [row] = visible_instances(session, caller, (study_uid, series_uid, sop_uid))
    path = store.path_for(row.sha256)
    boundary = wado.new_boundary()
    if element_path.upper() == PIXEL_DATA:
        layout = read_layout(path)
        part_type, read = frame_media.choose(ranges, layout)
        frames = ((part_type, read(layout, n)) for n in range(1, layout.frames + 1))
        body = wado.parts(frames, boundary)
        return StreamingResponse(body, media_type=wado.content_type(boundary, OCTET_STREAM))
    if not any(r.matches(OCTET_STREAM) for r in ranges):
        raise accept.not_acceptable("bulk data")
    body = wado.parts([(OCTET_STREAM, bulk_value(path, element_path))], boundary)
    return StreamingResponse(body, media_type=wado.content_type(boundary, OCTET_STREAM))
