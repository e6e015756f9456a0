"""Which plan a compound's night runs under. A compound starts with one plan (`Compound.policy`);
a plan adopted after a ballot (`CompoundPolicy`) is in force from its first evening on, and the
nights before it keep the plan that was in force for them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scenarios.schema import PolicyModel
from service.models import Compound, CompoundPolicy


def adopted(session: Session, compound: Compound) -> list[CompoundPolicy]:
    """The plans adopted for the compound, by first evening."""
    return list(
        session.scalars(
            select(CompoundPolicy)
            .where(CompoundPolicy.compound_id == compound.id)
            .order_by(CompoundPolicy.first_evening)
        )
    )


def policy_in_force(session: Session, compound: Compound, evening: date) -> dict[str, Any]:
    """The plan for the night of `evening`, as a scenario file's `policy` block."""
    latest = session.scalars(
        select(CompoundPolicy)
        .where(CompoundPolicy.compound_id == compound.id, CompoundPolicy.first_evening <= evening)
        .order_by(CompoundPolicy.first_evening.desc())
        .limit(1)
    ).first()
    return latest.policy if latest is not None else compound.policy


def plan_in_force(session: Session, compound: Compound, evening: date) -> PolicyModel:
    """`policy_in_force`, validated (with the engine's defaults for what it leaves out)."""
    return PolicyModel.model_validate(policy_in_force(session, compound, evening))


def plans_from(session: Session, compound: Compound, evening: date) -> list[PolicyModel]:
    """Every plan a night from `evening` on may run under: the one in force then, and those
    adopted for later evenings."""
    later = [p.plan for p in adopted(session, compound) if p.first_evening > evening]
    return [plan_in_force(session, compound, evening), *later]
