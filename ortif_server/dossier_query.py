"""The dossier list: filters, sorting and paging on what the caller may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session, defaultload

from ortif_server import visible_dossiers
from ortif_server.models import (
    Community,
    Correspondent,
    Dossier,
    Establishment,
    Notification,
    Patient,
    Step,
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
    user_id: int,
    where: list[ColumnElement[bool]],
    sort: Sort,
    window: tuple[int, int],
) -> tuple[list[Dossier], int]:
    """One page of the dossiers `user_id` may see among `where`, and their total count."""
    # SB (bench/server_list.py): ids of the page first, walking the sort index with a
    # row-by-row visibility check, then the rows; the total from index-only scans.
    limit, offset = window
    communities = visible_dossiers.member_community_ids(session, user_id)
    total = visible_dossiers.count_visible(session, user_id, communities, where)
    column = Dossier.updated_at if sort.endswith("updated_at") else Dossier.created_at
    order = [column.desc(), Dossier.id.desc()] if sort.startswith("-") else [column, Dossier.id]
    visible = visible_dossiers.row_condition(user_id, communities)
    ids = select(Dossier.id).where(visible, *where).order_by(*order).limit(limit).offset(offset)
    query = select(Dossier).where(Dossier.id.in_(list(session.scalars(ids)))).order_by(*order)
    return list(session.scalars(query.options(*SUMMARY_LOADS))), total


# SB: a summary needs neither the communities of the people in it nor the steps' authors
# and documents: load those only if touched (saves four queries per page).
SUMMARY_LOADS = (
    defaultload(Dossier.owner).lazyload(User.communities),
    defaultload(Dossier.correspondents).defaultload(Correspondent.user).lazyload(User.communities),
    defaultload(Dossier.steps).lazyload(Step.author),
    defaultload(Dossier.steps).lazyload(Step.guest_author),
    defaultload(Dossier.steps).lazyload(Step.documents),
)


def unread_among(session: Session, user_id: int, ids: list[int]) -> set[int]:
    query = unread_dossier_ids(user_id).where(Notification.dossier_id.in_(ids))
    return set(session.scalars(query))
