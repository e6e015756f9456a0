"""overstays recorded in the morning

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 21:50:58.228508
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nights", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overstays", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nights", schema=None) as batch_op:
        batch_op.drop_column("overstays")
