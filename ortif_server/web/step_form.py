"""The "Ajouter une étape" form: read it (CSRF, size), store its documents, add the step."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ortif_server import audit, documents, steps
from ortif_server.browser_sessions import CSRF_FIELD
from ortif_server.caller import Caller
from ortif_server.config import ServerSettings
from ortif_server.errors import ApiError
from ortif_server.i18n import translations
from ortif_server.models import Document, Dossier
from ortif_server.schemas import StepCreate
from ortif_server.store import BlobStore
from ortif_server.web.dossier_view import GUEST_STEP_KINDS, StepForm
from ortif_server.web.guest_session import require_form_token

MAX_FILES = 20
FORM_OVERHEAD = 1 << 20  # the text fields and multipart headers beside the files
CHUNK = 1 << 20


async def read_step_form(
    request: Request, settings: ServerSettings, lang: str
) -> tuple[StepForm, list[UploadFile]]:
    """The fields, checked (403 without the session's CSRF token), and the chosen files."""
    _ = translations(lang).gettext
    limit = settings.max_document_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > limit:
        size = settings.max_document_bytes // (1024 * 1024)
        form = StepForm(errors=[("files", _("The documents exceed {size} MB.").format(size=size))])
        return form, []
    fields = await request.form(max_files=MAX_FILES, max_fields=10)
    require_form_token(request, _text(fields.get(CSRF_FIELD)))
    form = StepForm(_text(fields.get("kind")), _text(fields.get("comment")).strip())
    uploads = [
        f for f in fields.getlist("files") if isinstance(f, UploadFile) and f.filename and f.size
    ]
    if form.kind not in GUEST_STEP_KINDS:
        form.errors.append(("kind", _("Choose the kind of step.")))
    if not form.comment and not uploads:
        form.errors.append(("comment", _("Write a comment or attach a document.")))
    if len(form.comment) > 20_000:
        form.errors.append(("comment", _("The comment is longer than 20,000 characters.")))
    return form, uploads


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


async def save_step(
    session: Session,
    target: tuple[Caller, Dossier],
    store: BlobStore,
    settings: ServerSettings,
    submitted: tuple[StepForm, list[UploadFile]],
    lang: str,
) -> int | None:
    """Store the documents, add the step as the API does; its id, or None with form errors."""
    caller, dossier = target
    form, uploads = submitted
    _ = translations(lang).gettext
    if dossier.status != "sent":
        form.errors.append(("kind", _("This tele-file is closed: no step can be added.")))
        return None
    try:
        ids = [await _store_document(session, caller, store, settings, u) for u in uploads]
        data = StepCreate(kind=form.kind, comment=form.comment or None, document_ids=ids)  # type: ignore[arg-type]
        steps.add_step(session, caller, dossier, data)
    except ApiError as error:
        session.rollback()
        form.errors.append(("files" if error.status == 413 else "kind", error.message))
        return None
    return dossier.steps[-1].id


async def _store_document(
    session: Session, caller: Caller, store: BlobStore, settings: ServerSettings, upload: UploadFile
) -> int:
    sha256, size = await documents.receive(store, _chunks(upload), settings.max_document_bytes)
    try:
        media_type = documents.media_type_from(upload.content_type)
    except ApiError:
        media_type = "application/octet-stream"
    row = Document(
        filename=documents.sanitize_filename(upload.filename or ""),
        media_type=media_type,
        size=size,
        sha256=sha256,
        uploaded_by_id=None,
        uploaded_by_invitation_id=caller.token.invitation_id,
    )
    session.add(row)
    session.flush()
    audit.record(session, caller, "upload", ("document", row.id), None)
    return row.id


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk
