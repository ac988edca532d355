"""Request and response models of guest invitations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ortif_server.schemas import Name, Professional, Strict, Timestamp

Channel = Literal["email", "sms"]


class InvitationCreate(Strict):
    last_name: Name
    first_name: Name
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    enrs_login: str | None = Field(default=None, min_length=1, max_length=200)


class InvitationPublic(BaseModel):
    id: int
    dossier_id: int
    last_name: str
    first_name: str
    email: str | None
    phone: str | None
    created_at: Timestamp
    expires_at: Timestamp
    link_channel: Channel
    code_channel: Channel


class InvitationMatches(BaseModel):
    matches: list[Professional]
