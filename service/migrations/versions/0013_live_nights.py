"""check-ins, vacancies and offers: a published night as it is lived

A car checks in on its space (its code scanned, or staff at the gate) and may check out; a stay
that no longer stands (a no-show, a cancellation) is a vacancy; a freed space offered to the
waiting list is an offer, at most one per request.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _per_request(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("night_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("space_code", sa.String(length=40), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["night_id"], ["nights.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("night_id", "request_id"),
    )
    op.create_index(f"ix_{name}_night_id", name, ["night_id"], unique=False)


def upgrade() -> None:
    _per_request(
        "checkins",
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=True),
    )
    _per_request(
        "vacancies",
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=True),
    )
    _per_request(
        "offers",
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    for name in ("offers", "vacancies", "checkins"):
        op.drop_index(f"ix_{name}_night_id", table_name=name)
        op.drop_table(name)
