"""FastAPI dependencies: settings, blob store, database session, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server.browser_sessions import browser_caller
from ortif_server.caller import Caller
from ortif_server.config import ServerSettings
from ortif_server.database_slots import DatabaseSlots
from ortif_server.errors import ApiError
from ortif_server.models import Token, User, utcnow
from ortif_server.security import token_digest
from ortif_server.store import BlobStore

_bearer = HTTPBearer(auto_error=False)
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
BEARER_KINDS = ("session", "personal", "guest")


def get_settings(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


def get_store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.store
    return store


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session, once it has a database slot (see `database_slots`)."""
    slots: DatabaseSlots = request.app.state.database_slots
    async with slots.held() as request.state.database_slot:
        session: Session = request.app.state.sessionmaker()
        try:
            yield session
        finally:
            # Shielded, and on a thread of its own: the connection always goes back.
            with anyio.CancelScope(shield=True):
                closing = anyio.CapacityLimiter(1)
                await anyio.to_thread.run_sync(session.close, limiter=closing)


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
StoreDep = Annotated[BlobStore, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def find_live_token(session: Session, secret: str, kinds: tuple[str, ...]) -> Token:
    """The unrevoked, unexpired token of one of `kinds` with this secret, or 401."""
    token = session.scalar(select(Token).where(Token.token_sha256 == token_digest(secret)))
    if token is None or token.kind not in kinds:
        raise ApiError(401, "not_authenticated", "Invalid token.")
    if token.revoked_at is not None:
        raise ApiError(401, "token_revoked", "This token was revoked; sign in again.")
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise ApiError(401, "token_expired", "The session has expired; sign in again.")
    return token


def get_caller(request: Request, session: SessionDep, credentials: Credentials) -> Caller:
    """The caller of the `Authorization: Bearer` header, or 401."""
    if credentials is None:
        raise ApiError(401, "not_authenticated", "Authentication required.")
    token = find_live_token(session, credentials.credentials, BEARER_KINDS)
    if token.kind == "personal":
        token.last_used_at = utcnow()
        session.commit()
    return Caller(token, request.client.host if request.client else None)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def get_reader(request: Request, session: SessionDep, credentials: Credentials) -> Caller:
    """The caller of a read-only route: a bearer token, else a browser session cookie.

    A browser session sees one dossier only (`Token.dossier_id`, see `visibility`); it is
    accepted on reads alone, so a cookie can never change anything through the JSON API.
    """
    if credentials is None:
        caller = browser_caller(request, session)
        if caller is not None:
            return caller
    return get_caller(request, session, credentials)


ReaderCaller = Annotated[Caller, Depends(get_reader)]
"""Who reads DICOMweb (QIDO-RS, WADO-RS): a bearer token, or a browser session cookie."""


def get_current_token(caller: CurrentCaller) -> Token:
    return caller.token


CurrentToken = Annotated[Token, Depends(get_current_token)]


def get_current_user(caller: CurrentCaller) -> User:
    """The signed-in user; a guest token gets 403 `guest_forbidden`."""
    return caller.require_user()


CurrentUser = Annotated[User, Depends(get_current_user)]
