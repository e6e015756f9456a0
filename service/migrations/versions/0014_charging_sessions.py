"""charging sessions: a car may have one parking stay and one charging session a night

A request is a parking stay or, with `charging`, a session at a charge point; the one-request-per-
car-and-night rule becomes one of each.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 03:30:00
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# 0001 left the rule unnamed: PostgreSQL named it, SQLite did not (batch mode names it by this).
_UNNAMED = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_NEW = "uq_requests_night_car_charging"


def _old_name() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "requests_night_id_car_id_key"
    return "uq_requests_night_id"


def upgrade() -> None:
    with op.batch_alter_table("requests", naming_convention=_UNNAMED) as batch_op:
        batch_op.add_column(
            sa.Column("charging", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_constraint(_old_name(), type_="unique")
        batch_op.create_unique_constraint(_NEW, ["night_id", "car_id", "charging"])


_POLICY_KEYS = ("charging_cap", "charging_only_kinds")


def _rewrite(table: str, column: str, change: Callable[[Any], Any]) -> None:
    """Rewrite one JSON column row by row with `change` (None: leave the row)."""
    rows = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.JSON))
    bind = op.get_bind()
    for row_id, value in bind.execute(sa.select(rows.c.id, rows.c[column])).all():
        changed = change(value)
        if changed is not None:
            bind.execute(rows.update().where(rows.c.id == row_id).values({column: changed}))


def _without_charging_request(snapshot: Any) -> Any:
    requests = (snapshot or {}).get("requests", [])
    if not any("charging" in r for r in requests):
        return None
    plain = [{k: v for k, v in r.items() if k != "charging"} for r in requests]
    return snapshot | {"requests": plain}


def _without_charging_policy(policy: Any) -> Any:
    if not isinstance(policy, dict) or not any(key in policy for key in _POLICY_KEYS):
        return None
    return {k: v for k, v in policy.items() if k not in _POLICY_KEYS}


def _plan_without_charging(plan: Any) -> Any:
    policy = _without_charging_policy((plan or {}).get("policy"))
    return None if policy is None else plan | {"policy": policy}


def downgrade() -> None:
    # The older code reads stored documents strictly: the sessions in past runs' snapshots become
    # plain requests there, and plans lose the charging keys.
    _rewrite("runs", "snapshot", _without_charging_request)
    _rewrite("compounds", "policy", _without_charging_policy)
    _rewrite("compound_policies", "policy", _without_charging_policy)
    _rewrite("ballot_options", "plan", _plan_without_charging)
    # Charging sessions have no place in the older schema: they go, parking stays stay.
    charging = "SELECT id FROM requests WHERE charging"
    for table in ("checkins", "vacancies", "offers"):
        op.execute(sa.text(f"DELETE FROM {table} WHERE request_id IN ({charging})"))
    op.execute(sa.text(f"DELETE FROM requests WHERE id IN ({charging})"))
    with op.batch_alter_table("requests", naming_convention=_UNNAMED) as batch_op:
        batch_op.drop_constraint(_NEW, type_="unique")
        batch_op.create_unique_constraint(_old_name(), ["night_id", "car_id"])
        batch_op.drop_column("charging")
