"""The dossiers a user may see, in the two shapes the dossier list needs to stay fast.

`visibility.visible_to` is one OR over three sets. With 100,000 dossiers, neither SQLite
nor PostgreSQL can both walk the `created_at` index for one page and count the whole set
quickly with it (bench/server_list.py). So the list uses two equivalent forms:

- for a page, a condition checked row by row (owner, community visibility, an EXISTS on
  the correspondents): the planner walks the sort index and stops after the page;
- for the total, the union of four index-only scans, counted once per dossier.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, distinct, exists, func, or_, select, union_all
from sqlalchemy.orm import Session

from ortif_server.models import Correspondent, Dossier


def row_condition(user_id: int, communities: Sequence[int]) -> ColumnElement[bool]:
    """True for a dossier the user may see, evaluated row by row (for paging)."""
    addressed = exists().where(
        Correspondent.dossier_id == Dossier.id,
        or_(Correspondent.user_id == user_id, Correspondent.community_id.in_(communities)),
    )
    return or_(
        Dossier.owner_id == user_id,
        and_(Dossier.visibility == "community", Dossier.community_id.in_(communities)),
        addressed,
    )


def visible_ids(user_id: int, communities: Sequence[int]) -> Select[tuple[int]]:
    """Ids of the dossiers the user may see, possibly repeated (for counting)."""
    return union_all(
        select(Dossier.id).where(Dossier.owner_id == user_id),
        select(Dossier.id).where(
            Dossier.community_id.in_(communities), Dossier.visibility == "community"
        ),
        select(Correspondent.dossier_id).where(Correspondent.user_id == user_id),
        select(Correspondent.dossier_id).where(Correspondent.community_id.in_(communities)),
    )  # type: ignore[return-value]


def count_visible(
    session: Session,
    user_id: int,
    communities: Sequence[int],
    extra: Sequence[ColumnElement[bool]] = (),
) -> int:
    """How many dossiers the user may see that also meet `extra`."""
    ids = visible_ids(user_id, communities).subquery()
    if not extra:
        query = select(func.count(distinct(ids.c.id)))
    else:
        matching = Dossier.id.in_(select(ids.c.id))
        query = select(func.count()).select_from(Dossier).where(matching, *extra)
    return session.scalar(query) or 0
