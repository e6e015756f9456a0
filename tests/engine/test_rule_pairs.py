"""One pair each rule refuses and a twin it allows, for every `Rule`.

The idea is Timefold's constraint tests (penalizes(1) / penalizes(0)): each rule is shown the
smallest night that breaks it, where it must be the only rule to refuse, and the same night
changed in one detail, where nothing refuses. The tests are parametrised over `Rule`, so a rule
added without its pair here fails.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings

from engine import Assignment, Instance, Reason, check_allocation, solve
from engine.eligibility import EligibilityTable
from engine.rules import HARD_RULES, HardRule, Rule
from tests.engine.builders import forbid, household, instance, request, space
from tests.engine.oracles import failed_rules
from tests.engine.strategies import small_instances


def _pair(the_space=None, the_request=None, the_household=None, **night) -> Instance:
    """A night of one request ("r", household "h") and one space ("S"), plus renter "x"."""
    return instance(
        [the_space or space("S")],
        [the_household or household("h"), household("x", has_space=True)],
        [the_request or request("r", "h")],
        **night,
    )


# rule -> (a night whose only pair the rule alone refuses, the twin it allows)
PAIRS: dict[Rule, tuple[Instance, Instance]] = {
    # A rented space is shared only when its renter releases it.
    Rule.POOL: (
        _pair(space("S", "rented", renter="x"), request("r", "h", "22:30", "08:00")),
        _pair(space("S", "rented", renter="x", released=True), request("r", "h", "22:30", "08:00")),
    ),
    # S serves compound B; the household lives in A.
    Rule.COMPOUND: (
        _pair(space("S", compounds={"B"}), the_household=household("h", compound="A")),
        _pair(space("S", compounds={"A", "B"}), the_household=household("h", compound="A")),
    ),
    # Street spaces are shared 19:00-07:00: leaving at 07:30 is too late, 07:00 is in time.
    Rule.WINDOW: (
        _pair(the_request=request("r", "h", "22:00", "07:30")),
        _pair(the_request=request("r", "h", "22:00", "07:00")),
    ),
    # A standard car and a small space; a small car fits it.
    Rule.SIZE: (
        _pair(space("S", size="small")),
        _pair(space("S", size="small"), request("r", "h", size="small")),
    ),
    # The car needs a charger.
    Rule.FEATURES: (
        _pair(space("S", features=["covered"]), request("r", "h", needs=["ev_charger"])),
        _pair(space("S", features=["ev_charger"]), request("r", "h", needs=["ev_charger"])),
    ),
    # Street spaces are kept for charging: a parking stay may not use S, a charging session may.
    Rule.CHARGING_ONLY: (
        _pair(charging_only_kinds=frozenset({"street"})),
        _pair(
            the_request=request("r", "h", charging=True),
            charging_only_kinds=frozenset({"street"}),
        ),
    ),
    # The plan allows 400 m: 401 m is too far, 400 m is not.
    Rule.WALK: (
        _pair(space("S", x=401), max_walk_m=400),
        _pair(space("S", x=400), max_walk_m=400),
    ),
    # Staff forbade S for r; without the pin S is fine.
    Rule.FORBIDDEN: (_pair(pins=[forbid("r", "S")]), _pair()),
}


def _pair_of(rule: Rule, refused: bool) -> Instance:
    if rule not in PAIRS:
        pytest.fail(f"rule {rule.value} has no refused/allowed pair in PAIRS")
    return PAIRS[rule][0 if refused else 1]


def _hard(rule: Rule) -> HardRule:
    return next(hard for hard in HARD_RULES if hard.rule is rule)


def _refusing(night: Instance) -> list[Rule]:
    failures = EligibilityTable(night).failures(np.array([0]))
    return [rule for rule, refused in failures.items() if refused[0, 0]]


def _placed(night: Instance):
    """The result with the night's one request on its one space, whatever the rules say."""
    the_request, the_space = night.requests[0], night.spaces[0]
    walk = night.household_by_id[the_request.household].walk_to(the_space)
    placed = Assignment(the_request.id, the_space.id, the_request.arrive, the_request.depart, walk)
    return replace(solve(night), assignments=(placed,), unassigned=())


def test_every_rule_has_its_functions_in_rule_order():
    assert [hard.rule for hard in HARD_RULES] == list(Rule)


@pytest.mark.parametrize("rule", list(Rule))
def test_the_rule_refuses_its_pair(rule):
    night = _pair_of(rule, refused=True)
    assert _refusing(night) == [rule]
    assert _hard(rule).breach(night, night.requests[0], night.spaces[0]) is not None
    assert {v.family for v in check_allocation(night, _placed(night))} == {rule.value}
    (refusal,) = solve(night).unassigned
    assert refusal.reason is Reason.NO_SPACE_FITS


@pytest.mark.parametrize("rule", list(Rule))
def test_the_rule_allows_the_twin(rule):
    night = _pair_of(rule, refused=False)
    assert _refusing(night) == []
    assert _hard(rule).breach(night, night.requests[0], night.spaces[0]) is None
    assert check_allocation(night, _placed(night)) == []
    assert len(solve(night).assignments) == 1


@settings(max_examples=60, deadline=None, derandomize=True)
@given(small_instances())
def test_vectorised_per_pair_and_oracle_agree_on_every_pair(night):
    # Three independent writings of the rules: the eligibility table's arrays, the checker's
    # per-pair functions and the test oracle's.
    failures = EligibilityTable(night).failures(np.arange(len(night.requests)))
    for i, the_request in enumerate(night.requests):
        for j, the_space in enumerate(night.spaces):
            vectorised = [rule for rule, refused in failures.items() if refused[i, j]]
            per_pair = [
                hard.rule
                for hard in HARD_RULES
                if hard.breach(night, the_request, the_space) is not None
            ]
            assert vectorised == per_pair == failed_rules(night, the_request, the_space)
