"""Administration: initialise a data directory, add users and their communities."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server.config import ServerSettings
from ortif_server.db import create_db_engine, create_schema
from ortif_server.models import Community, Establishment, Membership, User
from ortif_server.security import hash_password
from ortif_server.textsearch import search_key


class AdminError(Exception):
    """A refused administrative action; the message is shown as is."""


def is_initialised(settings: ServerSettings) -> bool:
    return settings.blobs_dir.is_dir() and settings.tmp_dir.is_dir()


def init_data_dir(settings: ServerSettings) -> list[str]:
    """Create the directories and the schema that are missing; say what was done."""
    done = []
    for directory in (settings.data_dir, settings.blobs_dir, settings.tmp_dir):
        if not directory.is_dir():
            directory.mkdir(parents=True)
            done.append(f"created {directory}")
    engine = create_db_engine(settings.effective_database_url)
    try:
        create_schema(engine)
    finally:
        engine.dispose()
    done.append("database schema is up to date")
    return done


def add_user(
    settings: ServerSettings,
    username: str,
    password: str | None,
    names: tuple[str | None, str | None],
    establishment: str | None,
    communities: Sequence[str],
    *,
    rpps: str | None = None,
    no_password: bool = False,
) -> str:
    """Create or update a user and add memberships; return "created" or "updated".

    `rpps` links the account to Pro Santé Connect; `no_password` makes it PSC only."""
    with admin_session(settings) as session:
        user = session.scalar(select(User).where(User.username == username))
        outcome = "updated" if user else "created"
        if user is None and password is None and not no_password:
            raise AdminError("a new user needs --password-stdin (or --no-password and --rpps)")
        if user is None and no_password and rpps is None:
            raise AdminError("an account without a password needs --rpps to sign in with PSC")
        user = _upsert_user(session, user, username, None if no_password else password, names)
        _set_rpps(session, user, rpps)
        if no_password:
            user.password_hash = None
        for name in communities:
            assert establishment is not None
            join(session, user, community(session, establishment, name))
        session.commit()
    return outcome


@contextmanager
def admin_session(settings: ServerSettings) -> Iterator[Session]:
    """A database session on an initialised data directory."""
    if not is_initialised(settings):
        raise AdminError(f"{settings.data_dir} is not initialised; run `ortif-server init`")
    engine = create_db_engine(settings.effective_database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _existing_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AdminError(f"no user {username}")
    return user


def set_password(settings: ServerSettings, username: str, password: str) -> None:
    """Set a user's password; unlocks the account."""
    with admin_session(settings) as session:
        user = _existing_user(session, username)
        user.password_hash = hash_password(password)
        user.failed_logins, user.locked_until = 0, None
        session.commit()


def enable_totp(settings: ServerSettings, username: str) -> str:
    """Give the user a new TOTP secret; return its provisioning URI (shown once)."""
    with admin_session(settings) as session:
        user = _existing_user(session, username)
        user.totp_secret = pyotp.random_base32()
        session.commit()
        return pyotp.TOTP(user.totp_secret).provisioning_uri(name=username, issuer_name="ortif")


def _set_rpps(session: Session, user: User, rpps: str | None) -> None:
    if rpps is None:
        return
    holder = session.scalar(select(User).where(User.rpps == rpps, User.id != user.id))
    if holder is not None:
        raise AdminError(f"RPPS {rpps} is already the number of user {holder.username}")
    user.rpps = rpps


def _upsert_user(
    session: Session,
    user: User | None,
    username: str,
    password: str | None,
    names: tuple[str | None, str | None],
) -> User:
    last_name, first_name = names
    if user is None:
        if last_name is None or first_name is None:
            raise AdminError("a new user needs --last-name and --first-name")
        user = User(username=username, password_hash=None, last_name=last_name, first_name="")
        session.add(user)
    user.last_name = last_name or user.last_name
    user.first_name = first_name or user.first_name
    user.search_key = search_key(user.username, user.last_name, user.first_name)
    if password is not None:
        user.password_hash = hash_password(password)
    return user


def community(session: Session, establishment_name: str, name: str) -> Community:
    establishment = session.scalar(
        select(Establishment).where(Establishment.name == establishment_name)
    )
    if establishment is None:
        establishment = Establishment(
            name=establishment_name, search_key=search_key(establishment_name)
        )
        session.add(establishment)
        session.flush()
    community = session.scalar(
        select(Community).where(
            Community.establishment_id == establishment.id, Community.name == name
        )
    )
    if community is None:
        community = Community(name=name, establishment=establishment, search_key=search_key(name))
        session.add(community)
        session.flush()
    return community


def join(session: Session, user: User, community: Community) -> None:
    session.flush()
    if session.get(Membership, (user.id, community.id)) is None:
        session.add(Membership(user_id=user.id, community_id=community.id))
