"""Directory of communities and professionals."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import and_, select

from ortif_server import serialize
from ortif_server.deps import CurrentUser, IdPath, SessionDep
from ortif_server.errors import not_found
from ortif_server.models import Community, Establishment, Membership, User
from ortif_server.schemas import (
    CommunityPublic,
    DirectoryPublic,
    EstablishmentRef,
    Professional,
)
from ortif_server.textsearch import search_terms

router = APIRouter(prefix="/directory", tags=["directory"])
MAX_RESULTS = 200


@router.get("")
def search_directory(_user: CurrentUser, session: SessionDep, q: str = "") -> DirectoryPublic:
    """Communities and professionals matching every word of `q`, ignoring case and accents."""
    terms = search_terms(q)
    community_key = Community.search_key + " " + Establishment.search_key
    communities = session.scalars(
        select(Community)
        .join(Establishment)
        .where(and_(True, *(community_key.contains(t, autoescape=True) for t in terms)))
        .order_by(Establishment.name, Community.name)
        .limit(MAX_RESULTS)
    )
    users = session.scalars(
        select(User)
        .where(and_(True, *(User.search_key.contains(t, autoescape=True) for t in terms)))
        .order_by(User.last_name, User.first_name, User.id)
        .limit(MAX_RESULTS)
    )
    establishments = session.scalars(
        select(Establishment)
        .where(and_(True, *(Establishment.search_key.contains(t, autoescape=True) for t in terms)))
        .order_by(Establishment.name)
        .limit(MAX_RESULTS)
    )
    return DirectoryPublic(
        establishments=[serialize.establishment(e) for e in establishments],
        communities=[serialize.community(c) for c in communities],
        professionals=[serialize.professional(u) for u in users],
    )


@router.get("/establishments")
def list_establishments(_user: CurrentUser, session: SessionDep) -> list[EstablishmentRef]:
    rows = session.scalars(select(Establishment).order_by(Establishment.name))
    return [serialize.establishment(e) for e in rows]


@router.get("/establishments/{establishment_id}/communities")
def establishment_communities(
    establishment_id: IdPath, _user: CurrentUser, session: SessionDep
) -> list[CommunityPublic]:
    if session.get(Establishment, establishment_id) is None:
        raise not_found(f"Establishment {establishment_id}")
    rows = session.scalars(
        select(Community)
        .where(Community.establishment_id == establishment_id)
        .order_by(Community.name)
    )
    return [serialize.community(c) for c in rows]


@router.get("/communities/{community_id}/members")
def community_members(
    community_id: IdPath, _user: CurrentUser, session: SessionDep
) -> list[Professional]:
    if session.get(Community, community_id) is None:
        raise not_found(f"Community {community_id}")
    members = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community_id)
        .order_by(User.last_name, User.first_name, User.id)
    )
    return [serialize.professional(u) for u in members]
