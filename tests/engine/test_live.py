"""The waiting list and the refill of freed spaces: hand-checked nights, then properties against
the whole night re-solved with every kept stay forced (the independent oracle)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import Status, check_allocation, solve
from engine.live import refill, waiting_list
from engine.model import CapAccount, Instance, Pin, PinAction
from tests.engine.builders import forbid, history, household, instance, request, space
from tests.engine.oracles import cap_for, clash
from tests.engine.strategies import small_instances


def _night(**policy):
    return instance(
        [space("S1"), space("S2", x=50)],
        [household("a"), household("b"), household("c"), household("d")],
        [
            request("ra", "a"),
            request("rb", "b"),
            request("rc", "c", priority=1),
            request("rd", "d", priority=2),
        ],
        **policy,
    )


def test_the_waiting_list_ranks_by_priority_then_fairness_then_submission():
    night = instance(
        [space("S1")],
        [household("a"), household("b"), household("c"), household("d")],
        [
            request("ra", "a", priority=1),
            request("rb", "b", priority=1),
            request("rc", "c", priority=1),
            request("rd", "d", priority=2),
        ],
        history=[history("c", refused_nights_ago=[1, 2]), history("b", refused_nights_ago=[3])],
    )
    assert waiting_list(night, ["ra", "rb", "rc", "rd"]) == ["rd", "rc", "rb", "ra"]


def test_a_freed_space_goes_to_the_highest_priority_waiting_request():
    night = _night()
    done = refill(night, kept={"rb": "S2"}, freed=["S1"], waiting=["rc", "rd"])
    assert done.offers == {"rd": "S1"}
    assert done.result.status is Status.OPTIMAL


def test_nothing_is_offered_when_no_space_was_freed():
    done = refill(_night(), kept={"ra": "S1", "rb": "S2"}, freed=[], waiting=["rc", "rd"])
    assert done.offers == {}


def test_a_kept_stay_on_the_freed_space_is_not_moved_and_blocks_its_hours():
    night = instance(
        [space("S1")],
        [household("a"), household("b"), household("c")],
        [
            request("ra", "a", "19:00", "23:00"),
            request("rb", "b", "23:30", "07:00"),
            request("rc", "c", "22:00", "06:00", priority=5),
            request("rd", "c", "20:00", "22:30"),
        ],
    )
    done = refill(night, kept={"rb": "S1"}, freed=["S1"], waiting=["rc", "rd"])
    # rc outranks rd but overlaps the kept stay; rd fits the hours ra left.
    assert done.offers == {"rd": "S1"}
    assert {a.request: a.space for a in done.result.assignments}["rb"] == "S1"


def test_stays_held_elsewhere_count_towards_the_household_cap():
    night = instance(
        [space("S1"), space("S2")],
        [household("a"), household("b")],
        [request("ra1", "a"), request("ra2", "a"), request("rb", "b")],
        household_cap=1,
    )
    done = refill(night, kept={"ra1": "S2"}, freed=["S1"], waiting=["ra2", "rb"])
    assert done.offers == {"rb": "S1"}


def test_a_charging_session_held_elsewhere_counts_for_the_charging_cap_only():
    # a's session ca1 stays on S2; S1 and S3 are freed. a's second session ca2 outranks all but
    # its charging cap is used up elsewhere; a's parking stay pa is not, so pa and rb are offered.
    night = instance(
        [space("S1"), space("S2"), space("S3")],
        [household("a"), household("b")],
        [
            request("ca1", "a", charging=True),
            request("ca2", "a", charging=True, priority=9),
            request("pa", "a", priority=1),
            request("rb", "b", priority=5),
        ],
        household_cap=1,
        charging_cap=1,
    )
    done = refill(night, kept={"ca1": "S2"}, freed=["S1", "S3"], waiting=["ca2", "pa", "rb"])
    assert set(done.offers) == {"rb", "pa"}
    a = done.part.household_by_id["a"]
    assert (a.held_elsewhere, a.charging_held_elsewhere) == (0, 1)


def test_a_household_whose_stay_was_vacated_is_not_offered_another():
    night = instance(
        [space("S1")],
        [household("a"), household("b")],
        [request("ra1", "a"), request("ra2", "a", priority=9), request("rb", "b")],
    )
    done = refill(
        night, kept={}, freed=["S1"], waiting=["ra2", "rb"], vacated=[CapAccount("a", False)]
    )
    assert done.offers == {"rb": "S1"}


def test_a_forbid_pin_still_holds_on_the_freed_space():
    night = replace(_night(), pins=(forbid("rd", "S1"),))
    done = refill(night, kept={"rb": "S2"}, freed=["S1"], waiting=["rc", "rd"])
    assert done.offers == {"rc": "S1"}


@st.composite
def _published_nights(draw):
    """A night solved to optimality, some of its served requests vacated (no-shows or
    cancellations), the rest kept."""
    night = draw(small_instances())
    published = solve(night, time_limit=10)
    assume(published.status is Status.OPTIMAL and published.assignments)
    vacated = draw(
        st.lists(
            st.sampled_from([a.request for a in published.assignments]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    return night, published, set(vacated)


def _served_by_level(priorities: dict[str, int], requests) -> Counter[int]:
    return Counter(priorities[r] for r in requests)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_published_nights())
def test_a_refill_moves_no_kept_stay_and_serves_what_the_whole_night_would(case):
    night, published, vacated = case
    space_of = {a.request: a.space for a in published.assignments}
    kept = {r: s for r, s in space_of.items() if r not in vacated}
    vacated_accounts = {night.request_by_id[r].account for r in vacated}
    waiting = [u.request for u in published.unassigned]
    done = refill(
        night,
        kept=kept,
        freed={space_of[r] for r in vacated},
        waiting=waiting,
        vacated=vacated_accounts,
    )
    assert done.result.status is Status.OPTIMAL
    # The refill leaves refusals unexplained (the waiting list says who waits), so only the
    # assignment rules are checked.
    assert [
        v for v in check_allocation(done.part, done.result) if v.family != "every_request_accounted"
    ] == []
    # No kept stay moves, offers go only to waiting requests, and nothing overlaps.
    on_part = {a.request: a.space for a in done.result.assignments}
    assert all(kept[r] == s for r, s in on_part.items() if r in kept)
    assert set(done.offers) <= set(waiting)
    tonight = kept | done.offers
    by_space: dict[str, list[str]] = {}
    for r, s in tonight.items():
        by_space.setdefault(s, []).append(r)
    for stays in by_space.values():
        for i, first in enumerate(stays):
            for second in stays[i + 1 :]:
                assert not clash(night, night.request_by_id[first], night.request_by_id[second])
    # Parking stays and charging sessions, counted apart, each within its own cap.
    stays = [night.request_by_id[r] for r in tonight]
    held = Counter((stay.household, stay.charging) for stay in stays)
    for stay in stays:
        cap = cap_for(night, stay)
        assert cap is None or held[stay.household, stay.charging] <= cap

    # The oracle: the whole night with every kept stay forced and the same waiting requests.
    priorities = night.priorities
    eligible_waiting = {
        r for r in waiting if night.request_by_id[r].account not in vacated_accounts
    }
    whole = replace(
        night,
        requests=tuple(
            replace(r, priority=priorities[r.id])
            for r in night.requests
            if r.id in kept or r.id in eligible_waiting
        ),
        pins=tuple(Pin(r, s, PinAction.FORCE) for r, s in kept.items())
        + tuple(
            p for p in night.pins if p.action is PinAction.FORBID and p.request in eligible_waiting
        ),
    )
    oracle = solve(whole, time_limit=10)
    assert oracle.status is Status.OPTIMAL
    assert _served_by_level(priorities, tonight) == _served_by_level(
        priorities, (a.request for a in oracle.assignments)
    )


@settings(max_examples=40, deadline=None)
@given(small_instances(), st.randoms(use_true_random=False))
def test_the_waiting_list_is_a_ranking_of_exactly_the_refused(night: Instance, rng):
    ids = [r.id for r in night.requests]
    refused = rng.sample(ids, k=len(ids) // 2)
    ranked = waiting_list(night, refused)
    assert sorted(ranked) == sorted(refused)
    levels = [night.priorities[r] for r in ranked]
    assert levels == sorted(levels, reverse=True)
