"""The Chinese phrasebook says the same facts as the English one: the same numbers and times, for
every reason, on hand-made nights and on generated ones."""

from __future__ import annotations

import re
from datetime import date

import pytest

from engine import solve
from engine.eligibility import EligibilityTable
from engine.explain import unassigned_reasons
from engine.phrases import CHINESE
from scenarios.generate import generate_scenario
from scenarios.loader import parse_scenario
from scenarios.mapping import to_instance
from tests.engine.builders import household, instance, request, space


def _facts(message: str) -> list[str]:
    return sorted(re.findall(r"\d+(?::\d+)?", message))


def _both(night) -> list[tuple[str, str]]:
    result = solve(night, time_limit=10)
    chinese = unassigned_reasons(night, EligibilityTable(night), list(result.assignments), CHINESE)
    assert [u.reason for u in chinese] == [u.reason for u in result.unassigned]
    return [(english.message, zh.message) for english, zh in zip(result.unassigned, chinese)]


def test_the_issues_example_in_chinese():
    # As test_explain's first case: departs 08:30 while street spaces close 07:00, the released
    # space has no charger, the other is not released.
    night = instance(
        [
            space("L1", "street"),
            space("L2", "street"),
            space("A1", "rented", renter="x", released=True),
            space("A2", "rented", renter="x"),
        ],
        [household("x", has_space=True), household("h")],
        [request("r", "h", "22:30", "08:30", needs=["ev_charger"])],
    )
    ((_, chinese),) = _both(night)
    assert chinese == (
        "08:30 离开，但潮汐车位须在 07:00 前空出；"
        "1 个小区出租车位没有充电桩；"
        "1 个小区出租车位今晚没有让出"
    )


def test_all_fitting_spaces_taken_in_chinese():
    taken = instance(
        [space("S1"), space("S2")],
        [household("a"), household("b"), household("c")],
        [
            request("hi1", "a", priority=2),
            request("hi2", "b", priority=2),
            request("lo", "c", priority=1),
        ],
    )
    ((_, chinese),) = _both(taken)
    assert chinese == (
        "2 个车位适合这辆车从 22:00 停到 06:00；"
        "这段时间都已安排给优先级 2 的申请（2 个）（您的申请为优先级 1）"
    )


@pytest.mark.parametrize("seed", range(4))
def test_every_refusal_on_generated_nights_states_the_same_numbers_and_times(seed):
    night = to_instance(parse_scenario(generate_scenario(seed, date(2026, 11, 24))), "generated")
    pairs = _both(night)
    assert pairs, "a generated night refuses someone"
    for english, chinese in pairs:
        assert _facts(english) == _facts(chinese), (english, chinese)
        assert not re.search(r"[A-Za-z]{3,}", chinese), chinese
