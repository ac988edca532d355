"""psc logins (i13)

Revision ID: 0004_i13; revises: 0003_i14.
Create Date: 2026-11-30 15:47:40.973638
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_i13"
down_revision = "0003_i14"
branch_labels = None
depends_on = None
FK_NAME = "fk_token_psc_login_id_psc_login"


def upgrade() -> None:
    op.create_table(
        "psc_login",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle_sha256", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("short_code", sa.String(length=20), nullable=True),
        sa.Column("state", sa.String(length=100), nullable=True),
        sa.Column("nonce", sa.String(length=100), nullable=True),
        sa.Column("code_verifier", sa.String(length=200), nullable=True),
        sa.Column("authorize_url", sa.Text(), nullable=True),
        sa.Column("auth_req_id", sa.Text(), nullable=True),
        sa.Column("binding_message", sa.String(length=40), nullable=True),
        sa.Column("requested_rpps", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("failure_code", sa.String(length=40), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("provider_access_token", sa.Text(), nullable=True),
        sa.Column("provider_id_token", sa.Text(), nullable=True),
        sa.Column("poll_interval", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", sa.DateTime(), nullable=False),
        sa.Column("state_used_at", sa.DateTime(), nullable=True),
        sa.Column("provider_session_ended_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handle_sha256"),
        sa.UniqueConstraint("short_code"),
        sa.UniqueConstraint("state"),
    )
    with op.batch_alter_table("psc_login", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_psc_login_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_psc_login_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("psc_login_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_token_psc_login_id"), ["psc_login_id"], unique=False)
        batch_op.create_foreign_key(FK_NAME, "psc_login", ["psc_login_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.drop_constraint(FK_NAME, type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_token_psc_login_id"))
        batch_op.drop_column("psc_login_id")

    with op.batch_alter_table("psc_login", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_psc_login_user_id"))
        batch_op.drop_index(batch_op.f("ix_psc_login_expires_at"))

    op.drop_table("psc_login")
