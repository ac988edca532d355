"""The guest's browser session: its invitation by link, its cookie, signing in and out.

The link token is in the URL; the session cookie (HttpOnly, SameSite=Lax) is a `browser`
token of that invitation, scoped to its dossier and ending with it. The wrong-code
counters and the lockout are the API's (`guest_access`), kept in the database.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server import audit, guest_access
from ortif_server.browser_sessions import browser_caller, check_csrf, open_session
from ortif_server.caller import Caller
from ortif_server.config import ServerSettings
from ortif_server.errors import ApiError
from ortif_server.i18n import N_
from ortif_server.models import Invitation, Token, utcnow
from ortif_server.security import token_digest
from ortif_server.web.errors import PageError

SIGNIN_COOKIE = "ortif_signin"
SIGNIN_FIELD = "signin_token"


def live_invitation(session: Session, link_token: str) -> Invitation:
    """The invitation of the link; a page saying the link is not valid, or access ended."""
    row = session.scalar(
        select(Invitation).where(Invitation.link_token_sha256 == token_digest(link_token))
    )
    if row is None:
        raise PageError(
            404,
            N_("Invalid link"),
            N_("This link is not valid. Check that it was copied whole from the message."),
        )
    if row.expires_at <= utcnow():
        raise PageError(
            410,
            N_("Access ended"),
            N_("Your access to this tele-file ended on {day}."),
            day=row.expires_at,
        )
    return row


def guest_of(request: Request, session: Session, row: Invitation) -> Caller | None:
    """The guest signed in with this browser on this invitation, if any."""
    caller = browser_caller(request, session)
    if caller is None or caller.token.invitation_id != row.id:
        return None
    return caller


def require_guest(request: Request, session: Session, link_token: str) -> Caller:
    """The signed-in guest of this link, or a page asking to sign in again."""
    caller = guest_of(request, session, live_invitation(session, link_token))
    if caller is None:
        raise PageError(
            401,
            N_("Signed out"),
            N_("You are not signed in. Open the link again and type your access code."),
            back=f"/guest/{link_token}",
        )
    return caller


def require_form_token(request: Request, submitted: str | None) -> None:
    """403 page unless the form carries the CSRF token of the session."""
    try:
        check_csrf(request, submitted)
    except ApiError:
        raise PageError(
            403, N_("Form expired"), N_("The form has expired; open the page again.")
        ) from None


def new_signin_token() -> str:
    return secrets.token_urlsafe(24)


def set_signin_cookie(response: Response, link_token: str, value: str) -> None:
    """The sign-in form's CSRF token, also in a cookie of that link only (double submit)."""
    response.set_cookie(
        SIGNIN_COOKIE, value, max_age=3600, path=f"/guest/{link_token}", httponly=True,
        samesite="strict",
    )  # fmt: skip


def check_signin_token(request: Request, submitted: str) -> None:
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, submitted):
        raise PageError(403, N_("Form expired"), N_("The form has expired; open the page again."))


def sign_in(
    request: Request, session: Session, settings: ServerSettings, link_token: str, code: str
) -> tuple[str, Invitation]:
    """Check the code (ApiError as the API says it); a new browser session: (secret, row)."""
    row = guest_access.check_code(session, settings, link_token, code)
    secret = open_session(
        session,
        dossier_id=row.dossier_id,
        expires_at=row.expires_at,
        invitation=row,
        authentication="guest-code",
    )
    token = session.scalar(select(Token).where(Token.token_sha256 == token_digest(secret)))
    assert token is not None
    caller = Caller(token, request.client.host if request.client else None)
    guest_access.record_use(session, caller)
    audit.record(session, caller, "sign_in", ("invitation", row.id), row.dossier_id)
    session.commit()
    return secret, row
