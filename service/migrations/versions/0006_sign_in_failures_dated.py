"""a counted sign-in failure always has its date

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 19:00:00

Counting failures with a read-modify-write could leave failed_logins > 0 with no
first_failure_at, after which every sign-in of that account failed with an error. The counter is
now updated in one statement; this makes the database refuse such a row (rows left in that state
are reset first: they could not sign in anyway).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE accounts SET failed_logins = 0 WHERE first_failure_at IS NULL"))
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "failures_dated", "failed_logins = 0 OR first_failure_at IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint("failures_dated", type_="check")
