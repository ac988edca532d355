"""Database engines per dialect, the session factory, and the schema's Alembic migrations."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class SchemaError(Exception):
    """The database schema is not the one this version of the server expects."""


DEFAULT_CONNECTIONS = 30  # per process, when nobody sized the pool (one process)
POOL_KEPT = 10  # of which kept open between requests


def create_db_engine(url: str, connections: int | None = None) -> Engine:
    """An engine for `url` with a pool of at most `connections` connections (`serve` sizes
    it from --workers); SQLite also gets WAL, foreign keys and a busy timeout."""
    backend = make_url(url).get_backend_name()
    total = connections or DEFAULT_CONNECTIONS
    kept = min(POOL_KEPT, total)
    pool: dict[str, Any] = {"pool_size": kept, "max_overflow": total - kept}
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    if backend == "postgresql":
        args = {"application_name": "ortif-server"}
        return create_engine(url, pool_pre_ping=True, connect_args=args, **pool)
    return create_engine(url, pool_pre_ping=True, **pool)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Any:
    """An Alembic configuration on the packaged migrations, bound to `connection` if given."""
    from alembic.config import Config

    # Alembic's default stdout is bound when alembic is imported: pass the current stream,
    # and stderr, since stdout carries data only.
    config = Config(stdout=sys.stderr)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def create_schema(engine: Engine) -> None:
    """Bring the schema up to the latest migration (`alembic upgrade head`); idempotent."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def head_revision() -> str | None:
    """The newest migration shipped with this server."""
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: no schema yet)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        revision: str | None = MigrationContext.configure(connection).get_current_revision()
        return revision


def check_schema_current(engine: Engine) -> None:
    """Raise SchemaError unless the database is at the newest migration."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaError("the database has no ortif schema; run `ortif-server init`")
    if not _is_known_revision(current):
        raise SchemaError(
            f"the database schema is at revision {current}, unknown to this server "
            f"(newest known: {head}); it was migrated by a newer ortif-server"
        )
    raise SchemaError(
        f"the database schema is at revision {current}, this server needs {head}; "
        "run `ortif-server init` to migrate it"
    )


def _is_known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        return False
    return True
