"""Typed views of the session and token objects (docs/api.md, Sessions and tokens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ortif_cli.api.models import UserRef

Json = dict[str, Any]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Guest:
    id: int
    last_name: str
    first_name: str

    @property
    def display_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    @classmethod
    def from_json(cls, data: Json) -> Guest:
        return cls(data["id"], data["last_name"], data["first_name"])


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
            expires_at=_time(data.get("expires_at")),
            refresh_expires_at=_time(data.get("refresh_expires_at")),
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
            expires_at=_time(data.get("expires_at")),
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
            created_at=_time(data.get("created_at")),
            expires_at=_time(data.get("expires_at")),
            last_used_at=_time(data.get("last_used_at")),
            revoked=bool(data.get("revoked", False)),
        )


@dataclass(frozen=True)
class NewPersonalToken:
    """A personal token just created: the only time its secret is known."""

    info: PersonalToken
    token: str = field(repr=False)
