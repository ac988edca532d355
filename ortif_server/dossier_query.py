"""The dossier list: filters, sorting and paging on what the caller may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from ortif_server import visible_dossiers
from ortif_server.dossier_summaries import Summary, page_summaries
from ortif_server.models import (
    Community,
    Correspondent,
    Dossier,
    Establishment,
    Notification,
    Patient,
    User,
)
from ortif_server.textsearch import search_terms

Sort = Literal["created_at", "-created_at", "updated_at", "-updated_at"]


@dataclass(frozen=True)
class DossierFilter:
    status: str | None = None
    type: str | None = None
    patient: str | None = None
    correspondent: str | None = None
    since: date | None = None
    until: date | None = None
    unread: bool = False


def conditions(user_id: int, wanted: DossierFilter) -> list[ColumnElement[bool]]:
    """SQL conditions on `Dossier` for a user's list, visibility apart: `page` adds it."""
    found: list[ColumnElement[bool]] = []
    if wanted.status:
        found.append(Dossier.status == wanted.status)
    if wanted.type:
        found.append(Dossier.type == wanted.type)
    if wanted.patient:
        found.append(Dossier.patient_id.in_(_patients_matching(wanted.patient)))
    if wanted.correspondent:
        found.append(Dossier.id.in_(_addressed_to(wanted.correspondent)))
    if wanted.since:
        found.append(Dossier.created_at >= _midnight(wanted.since))
    if wanted.until:
        found.append(Dossier.created_at < _midnight(wanted.until + timedelta(days=1)))
    if wanted.unread:
        found.append(Dossier.id.in_(unread_dossier_ids(user_id)))
    return found


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def _patients_matching(text: str) -> Select[int]:
    names = and_(*(Patient.search_key.contains(t, autoescape=True) for t in search_terms(text)))
    return select(Patient.id).where(or_(Patient.identifier == text.strip(), names))


def _addressed_to(text: str) -> Select[int]:
    terms = search_terms(text)
    community_key = Community.search_key + " " + Establishment.search_key
    by_user = (
        select(Correspondent.dossier_id)
        .join(User, User.id == Correspondent.user_id)
        .where(*(User.search_key.contains(t, autoescape=True) for t in terms))
    )
    by_community = (
        select(Correspondent.dossier_id)
        .join(Community, Community.id == Correspondent.community_id)
        .join(Establishment, Establishment.id == Community.establishment_id)
        .where(*(community_key.contains(t, autoescape=True) for t in terms))
    )
    return by_user.union(by_community)  # type: ignore[return-value]


def unread_dossier_ids(user_id: int) -> Select[int]:
    return select(Notification.dossier_id).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )


def page(
    session: Session,
    user: User,
    where: list[ColumnElement[bool]],
    sort: Sort,
    window: tuple[int, int],
) -> tuple[list[Summary], int]:
    """One page of the dossiers `user` may see among `where`, and their total count."""
    # SB (bench/server_list.py): the page's ids walk the sort index with a row-by-row
    # visibility check; the total comes from index-only scans; the caller's communities
    # were loaded with the caller.
    limit, offset = window
    communities = [community.id for community in user.communities]
    total = visible_dossiers.count_visible(session, user.id, communities, where)
    column = Dossier.updated_at if sort.endswith("updated_at") else Dossier.created_at
    order = [column.desc(), Dossier.id.desc()] if sort.startswith("-") else [column, Dossier.id]
    visible = visible_dossiers.row_condition(user.id, communities)
    ids = select(Dossier.id).where(visible, *where).order_by(*order).limit(limit).offset(offset)
    return page_summaries(session, user.id, ids, order), total


def unread_among(session: Session, user_id: int, ids: list[int]) -> set[int]:
    query = unread_dossier_ids(user_id).where(Notification.dossier_id.in_(ids))
    return set(session.scalars(query))
