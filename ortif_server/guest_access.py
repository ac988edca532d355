"""A guest signs in with the link token and the access code of its invitation."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server import serialize
from ortif_server.auth_schemas import GuestSessionCreate, GuestSessionPublic
from ortif_server.caller import Caller
from ortif_server.config import ServerSettings
from ortif_server.database_slots import set_aside_in_thread
from ortif_server.errors import ApiError
from ortif_server.models import Dossier, Invitation, Token, utcnow
from ortif_server.security import new_token, token_digest, verify_password
from ortif_server.signin import locked
from ortif_server.workflow import notify

log = logging.getLogger(__name__)


def find_invitation(session: Session, link_token: str) -> Invitation:
    """The live invitation of a link token, or 401 saying why not."""
    digest = token_digest(link_token)
    row = session.scalar(select(Invitation).where(Invitation.link_token_sha256 == digest))
    if row is None:
        verify_password(None, link_token)  # same time as a wrong code
        raise ApiError(401, "invalid_credentials", "Unknown link or wrong access code.")
    now = utcnow()
    if row.expires_at <= now:
        when = row.expires_at.isoformat(timespec="seconds")
        details = {"expired_at": when}
        raise ApiError(401, "invitation_expired", f"The invitation expired on {when}.", details)
    if row.locked_until is not None and row.locked_until > now:
        raise locked("invitation_locked", "invitation", row.locked_until)
    return row


def check_code(
    session: Session, settings: ServerSettings, link_token: str, code: str
) -> Invitation:
    """The live invitation if `code` is its access code; counts wrong codes, locks, or 401."""
    row = find_invitation(session, link_token)
    session.commit()  # hand the connection back while argon2 works (it may wait its turn)
    with set_aside_in_thread():
        matches = verify_password(row.code_hash, "".join(code.split()).upper())
    if not matches:
        raise _wrong_code(session, settings, row)
    row.failed_codes, row.locked_until = 0, None
    return row


def record_use(session: Session, caller: Caller) -> None:
    """The first sign-in of a guest notifies the inviter (committed by the caller)."""
    row = caller.invitation
    assert row is not None
    if row.used_at is None:
        _first_use(session, caller, row)
    log.info("Guest %d signed in", row.id)


def sign_in(
    session: Session, settings: ServerSettings, body: GuestSessionCreate, remote: str | None
) -> GuestSessionPublic:
    """Check the code; a guest token living as long as the invitation."""
    row = check_code(session, settings, body.link_token, body.code)
    secret = new_token()
    token = _guest_token(row, secret)
    session.add(token)
    record_use(session, Caller(token, remote))
    session.commit()
    return GuestSessionPublic(
        access_token=secret,
        refresh_token=None,
        expires_at=row.expires_at,
        refresh_expires_at=None,
        user=None,
        dossier_id=row.dossier_id,
        guest=serialize.guest(row),
    )


def _guest_token(row: Invitation, secret: str) -> Token:
    return Token(
        token_sha256=token_digest(secret),
        kind="guest",
        authentication="guest-code",
        invitation=row,
        invitation_id=row.id,
        expires_at=row.expires_at,
    )


def _wrong_code(session: Session, settings: ServerSettings, row: Invitation) -> ApiError:
    row.failed_codes += 1
    if row.failed_codes >= settings.max_failed_logins:
        row.failed_codes, row.locked_until = 0, utcnow() + settings.lockout
        session.commit()
        return locked("invitation_locked", "invitation", row.locked_until)
    session.commit()
    return ApiError(401, "invalid_credentials", "Unknown link or wrong access code.")


def _first_use(session: Session, caller: Caller, row: Invitation) -> None:
    row.used_at = utcnow()
    dossier = session.get(Dossier, row.dossier_id)
    assert dossier is not None
    session.flush()
    notify(session, "invitation_used", dossier, caller, {row.inviter_id})
