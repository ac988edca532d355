"""Typed views of the session and token objects (docs/api.md, Sessions and tokens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ortif_cli.api.models import Guest, Json, UserRef, parse_time


@dataclass(frozen=True)
class SessionTokens:
    """A new session: from a sign-in, a refresh or a guest code."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime | None
    refresh_expires_at: datetime | None
    user: UserRef | None
    guest: Guest | None = None
    dossier_id: int | None = None

    @classmethod
    def from_json(cls, data: Json) -> SessionTokens:
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=parse_time(data.get("expires_at")),
            refresh_expires_at=parse_time(data.get("refresh_expires_at")),
            user=UserRef.from_json(data["user"]) if data.get("user") else None,
            guest=Guest.from_json(data["guest"]) if data.get("guest") else None,
            dossier_id=data.get("dossier_id"),
        )


@dataclass(frozen=True)
class TokenInfo:
    """What the platform knows of the bearer token (`GET /api/v1/session`)."""

    kind: str
    expires_at: datetime | None
    user: UserRef | None
    guest: Guest | None
    dossier_id: int | None
    authentication: str | None

    @classmethod
    def from_json(cls, data: Json) -> TokenInfo:
        return cls(
            kind=data["kind"],
            expires_at=parse_time(data.get("expires_at")),
            user=UserRef.from_json(data["user"]) if data.get("user") else None,
            guest=Guest.from_json(data["guest"]) if data.get("guest") else None,
            dossier_id=data.get("dossier_id"),
            authentication=data.get("authentication"),
        )


@dataclass(frozen=True)
class PersonalToken:
    id: int
    name: str
    created_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool

    @classmethod
    def from_json(cls, data: Json) -> PersonalToken:
        return cls(
            id=data["id"],
            name=data["name"],
            created_at=parse_time(data.get("created_at")),
            expires_at=parse_time(data.get("expires_at")),
            last_used_at=parse_time(data.get("last_used_at")),
            revoked=bool(data.get("revoked", False)),
        )


@dataclass(frozen=True)
class NewPersonalToken:
    """A personal token just created: the only time its secret is known."""

    info: PersonalToken
    token: str = field(repr=False)


@dataclass(frozen=True)
class PscLoginStart:
    """A sign-in with Pro Santé Connect the platform has started for this CLI.

    `handle` is the one-time secret the CLI polls with; `url` (browser mode) is the
    short address to open; `binding_message` (CIBA) is shown in the e-CPS app too."""

    handle: str = field(repr=False)
    expires_at: datetime | None
    interval: int
    url: str | None
    binding_message: str | None

    @classmethod
    def from_json(cls, data: Json) -> PscLoginStart:
        return cls(
            handle=data["handle"],
            expires_at=parse_time(data.get("expires_at")),
            interval=int(data.get("interval") or 2),
            url=data.get("url"),
            binding_message=data.get("binding_message"),
        )
