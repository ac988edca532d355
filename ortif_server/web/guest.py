"""The guest's pages: sign in with the code, the dossier, downloads, add a step, sign out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, StreamingResponse

from ortif_server import audit, workflow
from ortif_server.attachments import visible_documents
from ortif_server.browser_sessions import (
    CSRF_FIELD,
    clear_cookie,
    close_session,
    csrf_token,
    set_cookie,
)
from ortif_server.deps import IdPath, SessionDep, SettingsDep, StoreDep
from ortif_server.errors import ApiError
from ortif_server.i18n import translations
from ortif_server.models import utcnow
from ortif_server.visibility import visible_study
from ortif_server.web import dossier_view, guest_session, study_zip
from ortif_server.web.errors import not_found
from ortif_server.web.pages import format_day, language, render
from ortif_server.web.step_form import read_step_form, save_step

router = APIRouter(prefix="/guest/{link_token}", include_in_schema=False)
LinkToken = Annotated[str, Path(min_length=1, max_length=200)]
FormText = Annotated[str, Form(max_length=200)]


@router.get("")
def guest_page(
    link_token: LinkToken, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The dossier for its signed-in guest; otherwise the sign-in form."""
    row = guest_session.live_invitation(session, link_token)
    caller = guest_session.guest_of(request, session, row)
    if caller is None:
        return _signin_page(request, link_token, row.locked_until, [])
    dossier = workflow.load_visible(session, caller, row.dossier_id)
    audit.record(session, caller, "read", ("dossier", dossier.id), dossier.id)
    session.commit()
    return _dossier_page(request, link_token, dossier_view.context(session, settings, dossier, row))


def _dossier_page(
    request: Request, link_token: str, context: dict[str, object], status_code: int = 200
) -> HTMLResponse:
    extra = {"link": f"/guest/{link_token}", "csrf_token": csrf_token(request)}
    return render(request, "dossier.html", {**context, **extra}, status_code)


@router.post("", response_model=None)
def sign_in(
    link_token: LinkToken,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: FormText = "",
    signin_token: FormText = "",
) -> HTMLResponse | RedirectResponse:
    """Check the code: the dossier, or the form again saying what is wrong."""
    guest_session.check_signin_token(request, signin_token)
    row = guest_session.live_invitation(session, link_token)
    _ = translations(language(request)).gettext
    if not code.strip():
        return _signin_page(request, link_token, None, [_("Type the access code.")], 400)
    try:
        secret, row = guest_session.sign_in(request, session, settings, link_token, code)
    except ApiError:
        return _signin_page(request, link_token, row.locked_until, [_("Wrong access code.")], 401)
    response = RedirectResponse(f"/guest/{link_token}", status_code=303)
    set_cookie(response, request, secret, row.expires_at, same_site="lax")
    response.delete_cookie(guest_session.SIGNIN_COOKIE, path=f"/guest/{link_token}")
    return response


def _signin_page(
    request: Request,
    link_token: str,
    locked_until: datetime | None,
    errors: list[str],
    status_code: int = 200,
) -> HTMLResponse:
    """The code form; while the invitation is locked it says until when, nothing else."""
    lang = language(request)
    if locked_until is not None and locked_until > utcnow():
        when = format_day(locked_until, lang, with_time=True)
        message = translations(lang).gettext("Too many wrong codes: access is locked until {time}.")
        errors, status_code = [message.format(time=when)], max(status_code, 401)
    token = guest_session.new_signin_token()
    context = {
        "errors": [("code", error) for error in errors],
        "signed_out": "signed_out" in request.query_params,
        "signin_token": token,
    }
    response = render(request, "signin.html", context, status_code)
    guest_session.set_signin_cookie(response, link_token, token)
    return response


@router.get("/documents/{document_id}", response_model=None)
def download_document(
    link_token: LinkToken,
    document_id: IdPath,
    request: Request,
    session: SessionDep,
    store: StoreDep,
) -> FileResponse:
    caller = guest_session.require_guest(request, session, link_token)
    row = session.scalar(visible_documents(caller, [document_id]))
    if row is None:
        raise not_found()
    audit.record(session, caller, "download", ("document", row.id), caller.token.dossier_id)
    session.commit()
    return FileResponse(
        store.path_for(row.sha256),
        media_type=row.media_type,
        filename=row.filename,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )


@router.get("/studies/{study_uid}/zip", response_model=None)
def download_study(
    link_token: LinkToken,
    study_uid: Annotated[str, Path(max_length=64)],
    request: Request,
    session: SessionDep,
    store: StoreDep,
) -> StreamingResponse:
    """The study's files and a DICOMDIR, one zip streamed as it is written."""
    caller = guest_session.require_guest(request, session, link_token)
    try:
        study = visible_study(session, caller, study_uid)
    except ApiError:
        raise not_found() from None
    files = study_zip.entries(session, store, study)
    audit.record(session, caller, "download", ("exam", study_uid), caller.token.dossier_id)
    session.commit()
    name = study_zip.zip_name(study)
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    return StreamingResponse(
        study_zip.stream(files),
        media_type="application/zip",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.post("/steps", response_model=None)
async def add_step(
    link_token: LinkToken,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> HTMLResponse | RedirectResponse:
    """ "Ajouter une étape": an answer or further information, a comment, documents."""
    caller = guest_session.require_guest(request, session, link_token)
    lang = language(request)
    form, uploads = await read_step_form(request, settings, lang)
    invitation = caller.invitation
    assert invitation is not None
    dossier = workflow.load_visible(session, caller, invitation.dossier_id)
    if not form.errors:
        submitted = (form, uploads)
        step_id = await save_step(session, (caller, dossier), store, settings, submitted, lang)
        if step_id is not None:
            return RedirectResponse(f"/guest/{link_token}#step-{step_id}", status_code=303)
    context = dossier_view.context(session, settings, dossier, invitation, form)
    return _dossier_page(request, link_token, context, 422)


@router.post("/signout")
def sign_out(
    link_token: LinkToken,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> RedirectResponse:
    """End the browser session; back to the sign-in form, which says so."""
    caller = guest_session.require_guest(request, session, link_token)
    guest_session.require_form_token(request, csrf)
    invitation_id, dossier_id = caller.token.invitation_id, caller.token.dossier_id
    audit.record(session, caller, "sign_out", ("invitation", invitation_id), dossier_id)
    close_session(request, session)
    response = RedirectResponse(f"/guest/{link_token}?signed_out=1", status_code=303)
    clear_cookie(response, request)
    return response
