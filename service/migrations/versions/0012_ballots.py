"""ballots, floor areas, plans adopted from an evening, jobs of any kind

Households get a floor area (m², nullable). The household imports' table becomes the table of
every background job (`import_jobs` -> `jobs`, with a `kind`; `filename`, `rows`, `codes` become
`label`, `payload`, `output`): a ballot's simulations run as jobs too. Ballots, their options,
their turnout (who voted) and their votes (what was chosen, apart from who), and the plans a
compound adopts from an evening on.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("floor_area", sa.Float(), nullable=True))

    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_import_jobs_compound_id")
    op.rename_table("import_jobs", "jobs")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column(
            "filename",
            new_column_name="label",
            existing_type=sa.String(length=200),
            existing_nullable=False,
        )
        batch_op.alter_column("rows", new_column_name="payload", existing_type=sa.JSON())
        batch_op.alter_column("codes", new_column_name="output", existing_type=sa.JSON())
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="households")
        )
        batch_op.create_index("ix_jobs_compound_id", ["compound_id"], unique=False)
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", server_default=None, existing_type=sa.String(length=20), existing_nullable=False
        )

    op.create_table(
        "ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("roll", sa.JSON(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("nights", sa.Integer(), nullable=False),
        sa.Column("seeds", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("simulation", sa.JSON(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tally", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["compound_id"], ["compounds.id"]),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ballots_compound_id", "ballots", ["compound_id"], unique=False)
    op.create_table(
        "ballot_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("label_zh", sa.String(length=200), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballots.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ballot_id", "position"),
    )
    op.create_index("ix_ballot_options_ballot_id", "ballot_options", ["ballot_id"], unique=False)
    op.create_table(
        "ballot_turnout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballots.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ballot_id", "household_id"),
    )
    op.create_index("ix_ballot_turnout_ballot_id", "ballot_turnout", ["ballot_id"], unique=False)
    op.create_table(
        "ballot_votes",
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=20), nullable=False),
        sa.Column("voter", sa.String(length=64), nullable=True),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballots.id"]),
        sa.ForeignKeyConstraint(["option_id"], ["ballot_options.id"]),
        sa.PrimaryKeyConstraint("ballot_id", "receipt"),
        sa.UniqueConstraint("ballot_id", "voter"),
    )
    op.create_table(
        "compound_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.String(length=40), nullable=False),
        sa.Column("first_evening", sa.Date(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballots.id"]),
        sa.ForeignKeyConstraint(["compound_id"], ["compounds.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ballot_id"),
        sa.UniqueConstraint("compound_id", "first_evening"),
    )
    op.create_index(
        "ix_compound_policies_compound_id", "compound_policies", ["compound_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_compound_policies_compound_id", table_name="compound_policies")
    op.drop_table("compound_policies")
    op.drop_table("ballot_votes")
    op.drop_index("ix_ballot_turnout_ballot_id", table_name="ballot_turnout")
    op.drop_table("ballot_turnout")
    op.drop_index("ix_ballot_options_ballot_id", table_name="ballot_options")
    op.drop_table("ballot_options")
    op.drop_index("ix_ballots_compound_id", table_name="ballots")
    op.drop_table("ballots")
    # Jobs other than imports have no place in revision 0011.
    op.execute("DELETE FROM jobs WHERE kind <> 'households'")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_compound_id")
        batch_op.drop_column("kind")
        batch_op.alter_column(
            "label",
            new_column_name="filename",
            existing_type=sa.String(length=200),
            existing_nullable=False,
        )
        batch_op.alter_column("payload", new_column_name="rows", existing_type=sa.JSON())
        batch_op.alter_column("output", new_column_name="codes", existing_type=sa.JSON())
    op.rename_table("jobs", "import_jobs")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_import_jobs_compound_id", ["compound_id"], unique=False)
    # Not recreated on SQLite (its ALTER TABLE drops a column since 3.35): cars and accounts
    # refer to households.
    with op.batch_alter_table("households", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("floor_area")
