"""FastAPI dependencies: settings, blob store, database session, current user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server.config import ServerSettings
from ortif_server.errors import ApiError
from ortif_server.models import Token, User, utcnow
from ortif_server.security import token_digest
from ortif_server.store import BlobStore

_bearer = HTTPBearer(auto_error=False)


def get_settings(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


def get_store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.store
    return store


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
StoreDep = Annotated[BlobStore, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def get_current_token(session: SessionDep, credentials: Credentials) -> Token:
    """The live token of the `Authorization: Bearer` header, or 401."""
    if credentials is None:
        raise ApiError(401, "not_authenticated", "Authentication required.")
    digest = token_digest(credentials.credentials)
    token = session.scalar(select(Token).where(Token.token_sha256 == digest))
    if token is None or token.revoked_at is not None:
        raise ApiError(401, "not_authenticated", "Invalid or revoked token.")
    if token.expires_at <= utcnow():
        raise ApiError(401, "token_expired", "The session has expired; sign in again.")
    return token


CurrentToken = Annotated[Token, Depends(get_current_token)]


def get_current_user(token: CurrentToken) -> User:
    return token.user


CurrentUser = Annotated[User, Depends(get_current_user)]
