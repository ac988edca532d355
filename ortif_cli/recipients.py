"""Resolve `--to ESTABLISHMENT/COMMUNITY[/PERSON]` into a correspondent of the directory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Community, CorrespondentRef, Establishment, Professional
from ortif_cli.errors import NotFoundError, UsageError
from ortif_cli.i18n import _
from ortif_cli.text import fold

T = TypeVar("T")
SHOWN_CANDIDATES = 10


def resolve(client: PlatformClient, path: str) -> CorrespondentRef:
    """One correspondent for a path, or NotFoundError listing the candidates."""
    parts = [part.strip() for part in path.split("/")]
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(
            _(
                "--to {path!r} is not ESTABLISHMENT/COMMUNITY or ESTABLISHMENT/COMMUNITY/PERSON."
            ).format(path=path),
            hint=_("Find the names with `ortif directory search TEXT`."),
        )
    community = find_community(client, parts[0], parts[1])
    if len(parts) == 2:
        return CorrespondentRef("community", community.id, community.path)
    person = find_member(client, community, parts[2])
    return CorrespondentRef("user", person.user.id, person.user.display_name)


def find_community(client: PlatformClient, establishment: str, name: str) -> Community:
    listed = client.search_directory(name).communities
    matches = [
        c
        for c in listed
        if fold(c.name) == fold(name) and fold(c.establishment_name) == fold(establishment)
    ]
    problems = (
        _("The community {path} is not in the directory. Candidates: {candidates}."),
        _("The community {path} matches several entries. Candidates: {candidates}."),
    )
    path = f"{establishment}/{name}"
    return _one(matches, problems, [c.path for c in listed], path=path)


def find_member(client: PlatformClient, community: Community, person: str) -> Professional:
    members = client.community_members(community.id)
    matches = [m for m in members if _is_person(m, person)]
    labels = [f"{m.user.display_name} ({m.user.username})" for m in matches or members]
    problems = (
        _(
            "The person {person!r} in {community} is not in the directory. "
            "Candidates: {candidates}."
        ),
        _(
            "The person {person!r} in {community} matches several entries. "
            "Candidates: {candidates}."
        ),
    )
    return _one(matches, problems, labels, person=person, community=community.path)


def _is_person(member: Professional, text: str) -> bool:
    user = member.user
    wanted = fold(text)
    forms = {
        fold(f"{user.last_name} {user.first_name}"),
        fold(f"{user.first_name} {user.last_name}"),
        fold(user.last_name),
        fold(user.username),
    }
    return wanted in forms


def _one(
    matches: Sequence[T], problems: Sequence[str], candidates: Sequence[str], **values: str
) -> T:
    """The one match; else NotFoundError with `problems` (absent, several) and candidates."""
    if len(matches) == 1:
        return matches[0]
    shown = ", ".join(candidates[:SHOWN_CANDIDATES]) or _("none")
    if len(candidates) > SHOWN_CANDIDATES:
        shown = _("{shown} and {n} more").format(shown=shown, n=len(candidates) - SHOWN_CANDIDATES)
    absent, several = problems
    raise NotFoundError(
        (several if matches else absent).format(candidates=shown, **values),
        hint=_("Give the name exactly as the directory spells it."),
    )


def establishments(client: PlatformClient) -> list[Establishment]:
    """Every establishment, by name (from the directory's own list when it has one)."""
    try:
        return client.establishments()
    except NotFoundError:  # a platform without /directory/establishments
        found = {c.establishment_id: c.establishment_name for c in _all_communities(client)}
        return sorted((Establishment(i, n) for i, n in found.items()), key=lambda e: fold(e.name))


def communities_of(client: PlatformClient, establishment: Establishment) -> list[Community]:
    try:
        listed = client.establishment_communities(establishment.id)
    except NotFoundError:
        listed = [c for c in _all_communities(client) if c.establishment_id == establishment.id]
    return sorted(listed, key=lambda c: fold(c.name))


def _all_communities(client: PlatformClient) -> list[Community]:
    return list(client.search_directory("").communities)
