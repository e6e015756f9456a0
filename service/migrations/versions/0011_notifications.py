"""notifications: the outbox and inbox, their deliveries by e-mail and webhook, the households'
choices and phone numbers, and reports of a taken space

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): copying the table, as batch mode may, would break the
    # foreign keys that point at households.
    op.add_column("households", sa.Column("phone", sa.String(30), nullable=True))
    op.add_column("households", sa.Column("email", sa.String(254), nullable=True))
    for flag in ("notify_email", "notify_webhook"):
        op.add_column(
            "households", sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.add_column(
        "households",
        sa.Column("notify_language", sa.String(2), nullable=False, server_default="zh"),
    )
    op.add_column("households", sa.Column("quiet_from", sa.String(5), nullable=True))
    op.add_column("households", sa.Column("quiet_until", sa.String(5), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(120), nullable=False, unique=True),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notifications_compound_id", "notifications", ["compound_id"])
    op.create_index("ix_notifications_household_id", "notifications", ["household_id"])
    op.create_index("ix_notifications_due_at", "notifications", ["due_at"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "notification_id", sa.Integer(), sa.ForeignKey("notifications.id"), nullable=False
        ),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(60), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("notification_id", "channel"),
    )
    op.create_index("ix_deliveries_notification_id", "deliveries", ["notification_id"])
    op.create_index("ix_deliveries_compound_id", "deliveries", ["compound_id"])
    # The worker's question: what is pending and due.
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"])
    op.create_table(
        "space_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("compound_id", sa.String(40), nullable=False),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("evening", sa.Date(), nullable=False),
        sa.Column("space_code", sa.String(40), nullable=False),
        sa.Column("plate", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=False),
    )
    op.create_index("ix_space_reports_compound_id", "space_reports", ["compound_id"])


def downgrade() -> None:
    op.drop_table("space_reports")
    op.drop_table("deliveries")
    op.drop_table("notifications")
    for column in (
        "quiet_until",
        "quiet_from",
        "notify_language",
        "notify_webhook",
        "notify_email",
        "email",
        "phone",
    ):
        op.drop_column("households", column)
