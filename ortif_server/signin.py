"""Sign-in rules: passwords, TOTP, lockout, token pairs with rotation, guest codes."""

from __future__ import annotations

import logging
from datetime import datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server import serialize
from ortif_server.auth_schemas import SessionPublic
from ortif_server.config import ServerSettings
from ortif_server.database_slots import set_aside_in_thread
from ortif_server.errors import ApiError
from ortif_server.models import Token, User, utcnow
from ortif_server.schemas import SessionCreate
from ortif_server.security import new_token, token_digest, verify_password

log = logging.getLogger(__name__)


def locked(code: str, what: str, until: datetime) -> ApiError:
    when = until.isoformat(timespec="seconds")
    message = f"Too many failed attempts: the {what} is locked until {when}."
    return ApiError(401, code, message, {"locked_until": when})


def authenticate(session: Session, settings: ServerSettings, body: SessionCreate) -> Token:
    """Check password (and OTP); return an unsaved access token, or raise 401."""
    user = session.scalar(select(User).where(User.username == body.username))
    if user is not None and user.locked_until is not None and user.locked_until > utcnow():
        raise locked("account_locked", "account", user.locked_until)
    password_hash = user.password_hash if user else None
    session.commit()  # hand the connection back while argon2 works (it may wait its turn)
    with set_aside_in_thread():
        matches = verify_password(password_hash, body.password)
    if not matches or user is None:
        raise _failure(
            session, settings, user, "invalid_credentials", "Wrong username or password."
        )
    method = "password"
    if user.totp_secret is not None:
        if body.otp is None:
            raise ApiError(401, "otp_required", "This account needs a one-time password (otp).")
        if not pyotp.TOTP(user.totp_secret).verify(body.otp, valid_window=1):
            raise _failure(session, settings, user, "invalid_otp", "Wrong one-time password.")
        method = "otp"
    user.failed_logins, user.locked_until = 0, None
    log.info("User %d signed in", user.id)
    return Token(user=user, user_id=user.id, kind="session", authentication=method)


def _failure(
    session: Session, settings: ServerSettings, user: User | None, code: str, message: str
) -> ApiError:
    """Count a failed attempt; lock the account after too many in a row."""
    log.info("Failed sign-in")
    if user is None:
        return ApiError(401, code, message)
    user.failed_logins += 1
    if user.failed_logins >= settings.max_failed_logins:
        user.failed_logins, user.locked_until = 0, utcnow() + settings.lockout
        session.commit()
        return locked("account_locked", "account", user.locked_until)
    session.commit()
    return ApiError(401, code, message)


def issue_pair(session: Session, settings: ServerSettings, access: Token) -> SessionPublic:
    """Save `access` with a fresh secret and a refresh token bound to it."""
    now = utcnow()
    secret, refresh_secret = new_token(), new_token()
    access.token_sha256, access.expires_at = token_digest(secret), now + settings.access_token_ttl
    session.add(access)
    session.flush()
    refresh = Token(
        token_sha256=token_digest(refresh_secret),
        kind="refresh",
        authentication=access.authentication,
        user_id=access.user_id,
        psc_login_id=access.psc_login_id,
        access_token_id=access.id,
        expires_at=now + settings.refresh_token_ttl,
    )
    session.add(refresh)
    session.commit()
    assert access.user is not None
    return SessionPublic(
        access_token=secret,
        refresh_token=refresh_secret,
        expires_at=access.expires_at,
        refresh_expires_at=refresh.expires_at,
        user=serialize.user_ref(access.user),
    )


def rotate(session: Session, settings: ServerSettings, refresh: Token) -> SessionPublic:
    """Revoke a refresh token and issue a new pair for the same user."""
    refresh.revoked_at = utcnow()
    assert refresh.user is not None
    access = Token(
        user=refresh.user,
        user_id=refresh.user_id,
        authentication=refresh.authentication,
        psc_login_id=refresh.psc_login_id,
    )
    return issue_pair(session, settings, access)


def revoke_session(session: Session, access: Token) -> None:
    """Revoke a bearer token and the refresh tokens bound to it."""
    now = utcnow()
    access.revoked_at = now
    refresh_tokens = session.scalars(select(Token).where(Token.access_token_id == access.id))
    for refresh in refresh_tokens:
        refresh.revoked_at = refresh.revoked_at or now
    session.commit()
