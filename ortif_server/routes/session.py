"""Sign in and out; who am I."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from sqlalchemy import select

from ortif_server import serialize
from ortif_server.deps import CurrentToken, CurrentUser, SessionDep, SettingsDep
from ortif_server.errors import ApiError
from ortif_server.models import Token, User, utcnow
from ortif_server.schemas import Professional, SessionCreate, SessionPublic
from ortif_server.security import new_token, token_digest, verify_password

log = logging.getLogger(__name__)
router = APIRouter(tags=["session"])


@router.post("/session")
def create_session(
    body: SessionCreate, session: SessionDep, settings: SettingsDep
) -> SessionPublic:
    """Exchange username and password for a bearer token."""
    user = session.scalar(select(User).where(User.username == body.username))
    if not verify_password(user.password_hash if user else None, body.password) or user is None:
        log.info("Failed sign-in")
        raise ApiError(401, "invalid_credentials", "Wrong username or password.")
    token = new_token()
    expires_at = utcnow() + settings.token_ttl
    session.add(Token(token_sha256=token_digest(token), user_id=user.id, expires_at=expires_at))
    session.commit()
    log.info("User %d signed in", user.id)
    return SessionPublic(access_token=token, expires_at=expires_at, user=serialize.user_ref(user))


@router.delete("/session", status_code=204)
def delete_session(token: CurrentToken, session: SessionDep) -> Response:
    """Revoke the token used for this request."""
    token.revoked_at = utcnow()
    session.commit()
    return Response(status_code=204)


@router.get("/me")
def me(user: CurrentUser) -> Professional:
    return serialize.professional(user)
