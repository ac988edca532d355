"""`ortif-server directory import`: professionals from a JSON or CSV file."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server.admin import AdminError, admin_session, community, join
from ortif_server.config import ServerSettings
from ortif_server.models import User
from ortif_server.textsearch import search_key

OPTIONAL_FIELDS = ("profession", "rpps", "enrs_login", "email", "phone")


class Entry(BaseModel):
    """One professional of the file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=1, max_length=150)
    last_name: str = Field(min_length=1, max_length=200)
    first_name: str = Field(min_length=1, max_length=200)
    profession: str | None = None
    rpps: str | None = None
    enrs_login: str | None = None
    email: str | None = None
    phone: str | None = None
    establishment: str | None = None
    communities: list[str] = Field(default_factory=list)

    @field_validator(*OPTIONAL_FIELDS, "establishment", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return value or None


def read_entries(path: Path) -> list[Entry]:
    """The entries of a `.json` (list of objects) or `.csv` file, validated."""
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as fp:
                raw: Any = [_csv_row(row) for row in csv.DictReader(fp)]
        else:
            raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise AdminError(f"cannot read {path}: {exc}") from None
    if not isinstance(raw, list):
        raise AdminError(f"{path}: expected a list of professionals")
    return [_entry(item, index) for index, item in enumerate(raw, start=1)]


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    communities = (row.pop("communities", "") or "").split(";")
    return {**row, "communities": [c.strip() for c in communities if c.strip()]}


def _entry(item: Any, index: int) -> Entry:
    try:
        entry = Entry.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise AdminError(f"entry {index}: {field}: {first['msg']}") from None
    if entry.communities and not entry.establishment:
        raise AdminError(f"entry {index}: communities need an establishment")
    return entry


def import_directory(settings: ServerSettings, path: Path) -> tuple[int, int]:
    """Create or update every professional; return (created, updated)."""
    entries = read_entries(path)
    created = 0
    with admin_session(settings) as session:
        for entry in entries:
            created += _upsert(session, entry)
        session.commit()
    return created, len(entries) - created


def _upsert(session: Session, entry: Entry) -> int:
    user = session.scalar(select(User).where(User.username == entry.username))
    is_new = user is None
    if user is None:
        user = User(username=entry.username, password_hash=None)
        session.add(user)
    user.last_name, user.first_name = entry.last_name, entry.first_name
    for name in OPTIONAL_FIELDS:
        setattr(user, name, getattr(entry, name))
    user.search_key = search_key(user.username, user.last_name, user.first_name)
    for name in entry.communities:
        assert entry.establishment is not None
        join(session, user, community(session, entry.establishment, name))
    return int(is_new)
