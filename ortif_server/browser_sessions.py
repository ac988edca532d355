"""Browser sessions: an HttpOnly cookie scoped to one dossier, and one-time links.

A browser never holds a bearer token. It holds the secret of a `browser` token (the
cookie), limited to the pages and DICOMweb reads of one dossier, for a user (the viewer
opened by `ortif dossier view`) or for the guest of one invitation. A one-time `link`
token (minutes, used once) is how a signed-in CLI hands such a session to a browser.
Everything lives in the database, so any server process can serve any request.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ortif_server.caller import Caller
from ortif_server.errors import ApiError
from ortif_server.models import Invitation, Token, User, utcnow
from ortif_server.security import new_token, token_digest

COOKIE_NAME = "ortif_session"
CSRF_FIELD = "csrf_token"


def open_session(
    session: Session,
    *,
    dossier_id: int,
    expires_at: datetime,
    user: User | None = None,
    invitation: Invitation | None = None,
    authentication: str = "link",
) -> str:
    """A new browser session of `user` or of `invitation`'s guest on one dossier; its secret."""
    if (user is None) == (invitation is None):
        raise ValueError("a browser session belongs to a user or to a guest")
    secret = new_token()
    session.add(
        Token(
            token_sha256=token_digest(secret),
            kind="browser",
            authentication=authentication,
            user_id=user.id if user else None,
            invitation_id=invitation.id if invitation else None,
            dossier_id=dossier_id,
            expires_at=expires_at,
        )
    )
    session.commit()
    return secret


def create_link(
    session: Session, user: User, dossier_id: int, lifetime: timedelta
) -> tuple[str, Token]:
    """A one-time link of `user` to one dossier, valid for `lifetime`: (secret, token)."""
    secret = new_token()
    link = Token(
        token_sha256=token_digest(secret),
        kind="link",
        authentication="link",
        user_id=user.id,
        dossier_id=dossier_id,
        expires_at=utcnow() + lifetime,
    )
    session.add(link)
    session.commit()
    return secret, link


def consume_link(session: Session, secret: str) -> Token | None:
    """The link token of `secret`, marked used; None if unknown, used or expired.

    One UPDATE decides, so two processes following the same link cannot both win.
    """
    now = utcnow()
    used = session.execute(
        update(Token)
        .where(
            Token.token_sha256 == token_digest(secret),
            Token.kind == "link",
            Token.revoked_at.is_(None),
            Token.expires_at > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalar(select(Token).where(Token.token_sha256 == token_digest(secret)))


def browser_caller(request: Request, session: Session) -> Caller | None:
    """The caller of the request's session cookie, if it is live; None otherwise."""
    secret = request.cookies.get(COOKIE_NAME)
    if not secret:
        return None
    token = session.scalar(select(Token).where(Token.token_sha256 == token_digest(secret)))
    if token is None or token.kind != "browser" or token.revoked_at is not None:
        return None
    if token.expires_at is None or token.expires_at <= utcnow():
        return None
    return Caller(token, request.client.host if request.client else None)


def close_session(request: Request, session: Session) -> None:
    """Revoke the request's browser session, if any (sign-out)."""
    caller = browser_caller(request, session)
    if caller is not None:
        caller.token.revoked_at = utcnow()
        session.commit()


def set_cookie(
    response: Response, request: Request, secret: str, expires_at: datetime, same_site: str
) -> None:
    """Set the session cookie: HttpOnly, Secure under HTTPS, ending with the session."""
    max_age = max(0, int((expires_at - utcnow()).total_seconds()))
    response.set_cookie(
        COOKIE_NAME,
        secret,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=request.url.scheme == "https",
        samesite=same_site,  # type: ignore[arg-type]
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, secure=request.url.scheme == "https"
    )


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session: derived from its cookie, nothing stored."""
    secret = request.cookies.get(COOKIE_NAME, "")
    return hmac.new(secret.encode(), b"ortif-csrf", hashlib.sha256).hexdigest()


def check_csrf(request: Request, submitted: str | None) -> None:
    """403 unless a form carries the CSRF token of the session that posts it."""
    valid = bool(request.cookies.get(COOKIE_NAME)) and bool(submitted)
    if not valid or not hmac.compare_digest(csrf_token(request), submitted or ""):
        raise ApiError(403, "csrf_failed", "The form has expired; open the page again.")
