"""Request and response models of sessions, tokens and guest sessions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ortif_server.schemas import GuestPublic, Strict, Timestamp, UserRef

Authentication = Literal["password", "otp", "guest-code", "personal-token", "psc"]


class SessionPublic(BaseModel):
    access_token: str
    refresh_token: str | None
    token_type: Literal["bearer"] = "bearer"
    expires_at: Timestamp
    refresh_expires_at: Timestamp | None
    user: UserRef | None


class GuestSessionPublic(SessionPublic):
    dossier_id: int
    guest: GuestPublic


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=1, max_length=200)


class GuestSessionCreate(Strict):
    link_token: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=64)


class TokenInfo(BaseModel):
    kind: Literal["session", "personal", "guest"]
    expires_at: Timestamp | None
    user: UserRef | None
    guest: GuestPublic | None
    dossier_id: int | None
    authentication: Authentication


class PersonalTokenCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)


class PersonalToken(BaseModel):
    id: int
    name: str
    created_at: Timestamp
    expires_at: Timestamp | None
    last_used_at: Timestamp | None
    revoked: bool


class PersonalTokenCreated(PersonalToken):
    token: str


class PscLoginCreate(Strict):
    """`browser`: authorization code, opened in a browser; `ciba`: the e-CPS app, by RPPS."""

    mode: Literal["browser", "ciba"] = "browser"
    rpps: str | None = Field(default=None, pattern=r"^[0-9]{11}$")


class PscLoginStarted(BaseModel):
    handle: str
    expires_at: Timestamp
    interval: int
    url: str | None
    binding_message: str | None


class PscLoginPoll(Strict):
    handle: str = Field(min_length=1, max_length=200)


class PscLoginPending(BaseModel):
    status: Literal["pending"] = "pending"
    interval: int
