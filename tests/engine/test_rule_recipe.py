"""Adding a hard rule as docs/architecture.md describes, without editing any other engine module.

The test plays the recipe on a made-up height limit. Its data (ceilings and car heights) stands
in for the fields the edges would carry; its `HardRule` is appended to `engine.rules.HARD_RULES`;
its words are added to both phrasebooks. Eligibility, the solver, forced pins, the checker and
the explanations in both languages then honour it, and nothing else was touched.
"""

from __future__ import annotations

import math
from dataclasses import replace
from enum import Enum

import numpy as np
import pytest

from engine import (
    Assignment,
    Instance,
    Reason,
    Request,
    Space,
    Status,
    check_allocation,
    rules,
    solve,
)
from engine.eligibility import Block, EligibilityTable
from engine.explain import unassigned_reasons
from engine.phrases import CHINESE, Chinese, English, count_noun
from engine.rules import HardRule, kinds_of
from tests.engine.builders import force, household, instance, request, space


class Extra(str, Enum):
    """Stands in for the member a real rule adds to `Rule` (an Enum cannot grow at run time)."""

    HEIGHT = "height"


# Step 1: the data. A real rule reads new fields of Space and Request, filled by the edges.
CEILING_CM = {"LOW": 190}  # spaces not named here are open above
CAR_CM = {"van": 230}  # cars not named here are 150 cm


def _ceiling(the_space: Space) -> float:
    return CEILING_CM.get(the_space.id, math.inf)


def _height(the_request: Request) -> int:
    return CAR_CM.get(the_request.id, 150)


# Step 2: the rule's three functions.
def _too_tall_refuses(block: Block) -> np.ndarray:
    night = block.table.instance
    ceilings = np.array([_ceiling(night.spaces[col]) for col in block.cols.tolist()])
    heights = np.array([_height(night.requests[row]) for row in block.rows.tolist()])
    return ceilings[None, :] < heights[:, None]


def _too_tall_breach(night: Instance, the_request: Request, the_space: Space) -> str | None:
    if _height(the_request) <= _ceiling(the_space):
        return None
    return (
        f"{the_request.id} ({_height(the_request)} cm) is under the "
        f"{_ceiling(the_space):g} cm ceiling of {the_space.id}"
    )


def _too_tall_say(night, the_request, spaces, phrases) -> list[str]:
    return [phrases.too_low(len(spaces), kinds_of(spaces, phrases))]


# Step 3: the words, one method in each phrasebook.
def _too_low_english(self, count: int, kinds: str) -> str:
    return f"{count_noun(count, f'{kinds} space')} {'is' if count == 1 else 'are'} too low for it"


def _too_low_chinese(self, count: int, kinds: str) -> str:
    return f"{count} 个{kinds}车位限高，停不下这辆车"


@pytest.fixture
def height_rule(monkeypatch):
    height = HardRule(Extra.HEIGHT, _too_tall_refuses, _too_tall_breach, _too_tall_say)
    monkeypatch.setattr(rules, "HARD_RULES", (*rules.HARD_RULES, height))
    monkeypatch.setattr(English, "too_low", _too_low_english, raising=False)
    monkeypatch.setattr(Chinese, "too_low", _too_low_chinese, raising=False)


def _low_and_high() -> Instance:
    # The van's household lives by LOW (5 m); HIGH is 50 m away.
    return instance(
        [space("LOW", x=5), space("HIGH", x=50)], [household("h")], [request("van", "h")]
    )


def _only_low() -> Instance:
    # LOW, and a rented space whose renter has not released it.
    return instance(
        [space("LOW", x=5), space("R", "rented", renter="x")],
        [household("h"), household("x", has_space=True)],
        [request("van", "h", "22:30", "06:00")],
    )


def _placement(result) -> dict[str, str]:
    return {a.request: a.space for a in result.assignments}


def test_without_the_rule_the_van_takes_the_nearer_low_space():
    assert _placement(solve(_low_and_high())) == {"van": "LOW"}


@pytest.mark.usefixtures("height_rule")
def test_eligibility_and_the_solver_keep_the_van_out_of_the_low_space():
    night = _low_and_high()
    pairs = EligibilityTable(night).eligible_pairs()
    assert [night.spaces[s].id for s in pairs.space.tolist()] == ["HIGH"]
    result = solve(night)
    assert _placement(result) == {"van": "HIGH"}
    assert check_allocation(night, result) == []


@pytest.mark.usefixtures("height_rule")
def test_a_van_forced_under_the_ceiling_makes_the_night_infeasible():
    night = replace(_low_and_high(), pins=(force("van", "LOW"),))
    result = solve(night)
    assert result.status is Status.INFEASIBLE
    assert "forced onto space LOW, which breaks the height rule" in result.message


@pytest.mark.usefixtures("height_rule")
def test_the_checker_catches_a_van_under_the_ceiling():
    night = _low_and_high()
    on_low = Assignment("van", "LOW", night.requests[0].arrive, night.requests[0].depart, 5)
    result = replace(solve(night), assignments=(on_low,), unassigned=())
    (violation,) = check_allocation(night, result)
    assert violation.family == Extra.HEIGHT.value
    assert violation.message == "van (230 cm) is under the 190 cm ceiling of LOW"


@pytest.mark.usefixtures("height_rule")
def test_the_refusal_is_explained_in_both_languages():
    night = _only_low()
    result = solve(night)
    (refusal,) = result.unassigned
    assert refusal.reason is Reason.NO_SPACE_FITS
    assert refusal.message == (
        "1 street space is too low for it and 1 rented space is not released tonight"
    )
    (chinese,) = unassigned_reasons(night, EligibilityTable(night), [], CHINESE)
    assert chinese.message == "1 个潮汐车位限高，停不下这辆车；1 个小区出租车位今晚没有让出"
