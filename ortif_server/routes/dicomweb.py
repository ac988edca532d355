"""DICOMweb STOW-RS: `POST /dicomweb/studies`."""

from __future__ import annotations

import logging
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from python_multipart.exceptions import MultipartParseError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ortif_server.catalog import record_outcomes, stored_digest
from ortif_server.deps import CurrentCaller, SessionDep, StoreDep
from ortif_server.errors import DATABASE_ERRORS, ApiError
from ortif_server.ingest import StowReceiver, multipart_boundary
from ortif_server.schemas import StoredInstance, StowResult

log = logging.getLogger(__name__)
router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])


@router.post("/studies", response_model=StowResult)
async def store_instances(
    request: Request, caller: CurrentCaller, session: SessionDep, store: StoreDep
) -> JSONResponse:
    """Store each DICOM part of a multipart/related body; say what became of each."""
    boundary = multipart_boundary(request.headers.get("content-type"))
    await run_in_threadpool(session.commit)  # no connection held while the body streams in
    receiver = StowReceiver(store, boundary, partial(_digest_of, session))
    try:
        await _receive(request, receiver)
    finally:
        await run_in_threadpool(receiver.abort)
        await run_in_threadpool(receiver.settle)
        await run_in_threadpool(store.sync_dirs, receiver.touched_dirs)
        await run_in_threadpool(record_outcomes, session, caller, receiver.outcomes)
    if not receiver.outcomes:
        raise ApiError(400, "bad_request", "The body holds no DICOM part.")
    return _answer(receiver)


def _digest_of(session: Session, sop_instance_uid: str) -> str | None:
    """`stored_digest` in a transaction of its own, which hands its connection back."""
    try:
        digest = stored_digest(session, sop_instance_uid)
    except DATABASE_ERRORS:
        session.rollback()  # leaves the session usable once the database is back
        raise
    session.commit()
    return digest


async def _receive(request: Request, receiver: StowReceiver) -> None:
    try:
        async for chunk in request.stream():
            await run_in_threadpool(receiver.write, chunk)
        await run_in_threadpool(receiver.finish)
    except MultipartParseError:
        raise ApiError(400, "bad_request", "Malformed multipart body.") from None
    except ClientDisconnect:
        raise ApiError(400, "bad_request", "The client disconnected during the upload.") from None


def _answer(receiver: StowReceiver) -> JSONResponse:
    """200 if all were accepted, 202 if some were refused, 409 if all were."""
    instances = [
        StoredInstance(
            sop_instance_uid=o.sop_instance_uid,
            study_instance_uid=o.study_instance_uid,
            status=o.status,  # type: ignore[arg-type]
            sha256=o.sha256,
            reason=o.reason,
        )
        for o in receiver.outcomes
    ]
    refused = sum(1 for i in instances if i.status == "refused")
    status = 409 if refused == len(instances) else 202 if refused else 200
    log.info("STOW: %d parts, %d refused", len(instances), refused)
    content = StowResult(instances=instances).model_dump(mode="json")
    if status == 409:
        content["error"] = {"code": "conflict", "message": "Every instance was refused."}
    return JSONResponse(content, status_code=status)
