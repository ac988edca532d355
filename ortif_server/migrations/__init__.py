"""Alembic migrations of the platform schema; `ortif-server init` applies them."""
