"""DICOMweb STOW-RS: `POST /dicomweb/studies`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from python_multipart.exceptions import MultipartParseError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ortif_server import stow_answer
from ortif_server.caller import Caller
from ortif_server.catalog import may_add_to, record_outcomes, stored_digest
from ortif_server.deps import CurrentCaller, SessionDep, StoreDep
from ortif_server.errors import DATABASE_ERRORS, ApiError
from ortif_server.ingest import StowReceiver, multipart_boundary
from ortif_server.store import BlobStore
from ortif_server.wado_lookup import public_base_url

log = logging.getLogger(__name__)
router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])
DICOM_JSON = "application/dicom+json"
T = TypeVar("T")


RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"content": {DICOM_JSON: {}}} for status in (200, 202, 409)
}


@router.post("/studies", response_class=JSONResponse, responses=RESPONSES)
async def store_instances(
    request: Request, caller: CurrentCaller, session: SessionDep, store: StoreDep
) -> JSONResponse:
    """Store each DICOM part of a multipart/related body; say what became of each
    (PS3.18 10.5.3, plus the private block \"ORTIF 1.0\" of docs/api.md)."""
    return await _store(request, (caller, session, store), None)


@router.post("/studies/{study_uid}", response_class=JSONResponse, responses=RESPONSES)
async def store_study_instances(
    study_uid: str, request: Request, caller: CurrentCaller, session: SessionDep, store: StoreDep
) -> JSONResponse:
    """As `POST /studies`; an instance of another study is refused (0xA900)."""
    return await _store(request, (caller, session, store), study_uid)


async def _store(
    request: Request, found: tuple[Caller, Session, BlobStore], study_uid: str | None
) -> JSONResponse:
    caller, session, store = found
    boundary = multipart_boundary(request.headers.get("content-type"))
    await run_in_threadpool(session.commit)  # no connection held until the first part
    receiver = StowReceiver(
        store,
        boundary,
        partial(_digest_of, session),
        partial(_may_add_to, session, caller),
        study_uid,
    )
    try:
        await _receive(request, receiver)
    finally:
        await run_in_threadpool(receiver.abort)
        await run_in_threadpool(receiver.settle)
        await run_in_threadpool(store.sync_dirs, receiver.touched_dirs)
        await run_in_threadpool(record_outcomes, session, caller, receiver.outcomes)
    if not receiver.outcomes:
        raise ApiError(400, "bad_request", "The body holds no DICOM part.")
    return _answer(receiver, public_base_url(request))


def _digest_of(session: Session, sop_instance_uid: str) -> str | None:
    return _briefly(session, lambda: stored_digest(session, sop_instance_uid))


def _may_add_to(session: Session, caller: Caller, study_uid: str) -> bool:
    """A study new to the platform, or one the caller sees: adding an instance to a study
    would otherwise show the whole study to its uploader (and inject an image into it)."""
    return _briefly(session, lambda: may_add_to(session, caller, study_uid))


def _briefly(session: Session, query: Callable[[], T]) -> T:
    """`query`, on the connection the upload keeps until its instances are recorded (one
    round trip per part: no checkout, ping and commit each time; the request's database
    slot accounts for the connection)."""
    try:
        return query()
    except DATABASE_ERRORS:
        session.rollback()  # leaves the session usable once the database is back
        raise


async def _receive(request: Request, receiver: StowReceiver) -> None:
    try:
        async for chunk in request.stream():
            await run_in_threadpool(receiver.write, chunk)
        await run_in_threadpool(receiver.finish)
    except MultipartParseError:
        raise ApiError(400, "bad_request", "Malformed multipart body.") from None
    except ClientDisconnect:
        raise ApiError(400, "bad_request", "The client disconnected during the upload.") from None


def _answer(receiver: StowReceiver, base_url: str) -> JSONResponse:
    """200 if all were accepted, 202 if some were refused, 409 if all were."""
    outcomes = receiver.outcomes
    refused = sum(1 for o in outcomes if o.status == "refused")
    status = 409 if refused == len(outcomes) else 202 if refused else 200
    log.info("STOW: %d parts, %d refused", len(outcomes), refused)
    content = stow_answer.answer(outcomes, base_url)
    return JSONResponse(content, status_code=status, media_type=DICOM_JSON)
