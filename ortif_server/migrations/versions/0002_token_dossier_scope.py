"""token scope: one dossier for browser sessions and links

Revision ID: 0002; revises: 0001.
Create Date: 2026-11-30 15:43:18.865979
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dossier_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_token_dossier_id"), ["dossier_id"], unique=False)
        batch_op.create_foreign_key("fk_token_dossier_id", "dossier", ["dossier_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.drop_constraint("fk_token_dossier_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_token_dossier_id"))
        batch_op.drop_column("dossier_id")
