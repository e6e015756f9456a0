"""Small sites, plans and demand models for simulator tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from engine import Household, Policy, Space, Window
from scenarios.calibration import load_calibration
from scenarios.loader import LAIYANG, PLANS, load_plan, load_scenario
from scenarios.mapping import to_demand_model, to_site
from simulation.model import Car, DemandModel, Plan, Pool, Site

START = date(2026, 11, 23)  # a Monday
STREET = (Window(19 * 60, 31 * 60),)


def laiyang() -> tuple[Site, DemandModel]:
    scenario, instance = load_scenario(LAIYANG)
    return to_site(scenario, instance), to_demand_model(scenario.demand, load_calibration())


def bundled_plan(name: str) -> Plan:
    return load_plan(PLANS / f"{name}.yaml")


def identical_households_site(households: int, spaces: int) -> Site:
    """Households alike in every way (same building, one standard car, no space) and one street."""
    return Site(
        "identical",
        START,
        tuple(Space(f"L-{i}", "street", x=0.0, y=0.0) for i in range(spaces)),
        tuple(Household(f"h{i}", x=10.0, y=10.0) for i in range(households)),
        tuple(Car(f"h{i}", f"P{i}") for i in range(households)),
    )


def street_plan(name: str = "street only", spaces: int | None = None, **policy) -> Plan:
    return Plan(
        name, Policy(windows={"street": STREET}, **policy), pools={"street": Pool(spaces=spaces)}
    )


# Everyone asks every night, for the hours the plan offers, and leaves on time.
EVERY_NIGHT = DemandModel(
    need_share_without_space=1.0,
    need_share_second_car=1.0,
    renter_away_share=0.0,
    plan_aware_share=1.0,
    overstay_share=0.0,
)


def with_street_spaces(plan: Plan, spaces: int, name: str) -> Plan:
    return replace(plan, name=name, pools={**plan.pools, "street": Pool(spaces=spaces)})
