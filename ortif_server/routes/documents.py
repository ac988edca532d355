"""Documents: streamed upload and download (with Range and ETag)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ortif_server import audit, documents, serialize
from ortif_server.attachments import visible_documents
from ortif_server.caller import Caller
from ortif_server.deps import CurrentCaller, IdPath, SessionDep, SettingsDep, StoreDep
from ortif_server.errors import ApiError, not_found
from ortif_server.models import Document
from ortif_server.schemas import DocumentPublic

router = APIRouter(prefix="/documents", tags=["documents"])


@router.post("", status_code=201)
async def upload_document(
    request: Request,
    caller: CurrentCaller,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> DocumentPublic:
    """Store the raw body; the name comes from Content-Disposition, sanitised."""
    limit = settings.max_document_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise documents.too_large(limit)
    media_type = documents.media_type_from(request.headers.get("content-type"))
    filename = documents.filename_from(request.headers.get("content-disposition"))
    await run_in_threadpool(session.commit)  # no connection held while the body streams in
    try:
        sha256, size = await documents.receive(store, request.stream(), limit)
    except ClientDisconnect:
        raise ApiError(400, "bad_request", "The client disconnected during the upload.") from None
    row = Document(
        filename=filename,
        media_type=media_type,
        size=size,
        sha256=sha256,
        uploaded_by_id=caller.token.user_id,
        uploaded_by_invitation_id=caller.token.invitation_id,
    )
    await run_in_threadpool(_record, session, caller, row)
    return serialize.document(row)


def _record(session: Session, caller: Caller, row: Document) -> None:
    session.add(row)
    session.flush()
    audit.record(session, caller, "upload", ("document", row.id), None)
    session.commit()


@router.get("/{document_id}/content", response_model=None)
def download_document(
    document_id: IdPath, caller: CurrentCaller, session: SessionDep, store: StoreDep
) -> FileResponse:
    """The bytes, streamed; `Range` resumes, `ETag` is the SHA-256."""
    row: Document | None = session.scalar(visible_documents(caller, [document_id]))
    if row is None:
        raise not_found(f"Document {document_id}")
    audit.record(session, caller, "download", ("document", row.id), None)
    session.commit()
    return FileResponse(
        store.path_for(row.sha256),
        media_type=row.media_type,
        filename=row.filename,
        headers={"ETag": f'"{row.sha256}"'},
    )
