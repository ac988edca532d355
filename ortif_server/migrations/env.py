"""Alembic environment: runs the migrations on the connection that `ortif_server.db` passes."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from ortif_server.db import create_db_engine
from ortif_server.models import Base, UTCDateTime

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render the models' UTCDateTime as a plain DateTime: migrations import no model code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = create_db_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as own_connection:
            run_on(own_connection)
    finally:
        engine.dispose()


run()
