"""standing requests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 22:01:21.525280
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "standing_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("car_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("arrive", sa.Integer(), nullable=False),
        sa.Column("depart", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["car_id"], ["cars.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("standing_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_standing_requests_household_id"), ["household_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("standing_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standing_requests_household_id"))

    op.drop_table("standing_requests")
