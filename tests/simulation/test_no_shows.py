"""No-shows in the simulator: served cars that do not come, and (under a plan that notices them)
their spaces refilled from the waiting list and the no-shows carried into the fairness history."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulation.run as run_module
from engine import solve
from scenarios.calibration import load_calibration
from simulation.demand import DemandStream
from simulation.metrics import any_no_shows, metric_rows, summarise
from simulation.report import render_report
from simulation.run import simulate_run
from tests.simulation.sites import (
    EVERY_NIGHT,
    bundled_plan,
    identical_households_site,
    laiyang,
    street_plan,
)

CALIBRATION = load_calibration()
NEW_COLUMNS = ("no_shows", "refilled", "served_after", "idle_space_hours")


def _rows(run) -> list[dict]:
    return [dict(row, solve_seconds=0) for row in run.rows]


@pytest.fixture(scope="module")
def compound():
    return laiyang()


def _noticing(plan, after_minutes=60, forfeit=0):
    return replace(
        plan,
        no_show_after_minutes=after_minutes,
        policy=replace(plan.policy, no_show_forfeit_nights=forfeit),
    )


def test_share_zero_changes_nothing_whatever_the_plan_notices(compound):
    site, model = compound
    assert model.no_show_share == 0.0
    voted = bundled_plan("laiyang-voted")
    plain = simulate_run(site, voted, model, CALIBRATION, nights=5, seed=3)
    noticing = simulate_run(site, _noticing(voted, forfeit=3), model, CALIBRATION, nights=5, seed=3)
    assert _rows(plain) == _rows(noticing)
    for row in plain.rows:
        assert (row["no_shows"], row["refilled"], row["idle_space_hours"]) == (0, 0, 0.0)
        assert row["served_after"] == row["served"]


def test_no_shows_are_drawn_apart_from_the_other_draws(compound):
    # The no-show stream is separate: the demand fingerprint and the requests of a night with
    # no-shows are those of the same night without, and a higher share keeps the lower's no-shows.
    site, model = compound
    streams = {
        share: DemandStream(site, replace(model, no_show_share=share), CALIBRATION, 4, 3)
        for share in (0.0, 0.1, 0.3)
    }
    nights = {share: stream.night(1, site.start) for share, stream in streams.items()}
    for field in ("asks", "arrive", "depart", "late", "aware"):
        assert (getattr(nights[0.0], field) == getattr(nights[0.3], field)).all()
    assert not nights[0.0].no_show.any()
    assert (nights[0.1].no_show <= nights[0.3].no_show).all()
    assert nights[0.1].no_show.sum() < nights[0.3].no_show.sum()


def test_the_same_seed_gives_the_same_no_shows_and_refills(compound):
    site, model = compound
    plan = _noticing(bundled_plan("laiyang-voted"), forfeit=2)
    shared = replace(model, no_show_share=0.1)
    first, again, other = (
        simulate_run(site, plan, shared, CALIBRATION, nights=4, seed=seed) for seed in (5, 5, 6)
    )
    assert _rows(first) == _rows(again)
    assert (first.refused == again.refused).all()
    assert [r["no_shows"] for r in first.rows] != [r["no_shows"] for r in other.rows]


def test_a_plan_that_notices_no_shows_refills_their_spaces(compound):
    site, model = compound
    shared = replace(model, no_show_share=0.1)
    voted = bundled_plan("laiyang-voted")
    empty, refilled = (
        simulate_run(site, plan, shared, CALIBRATION, nights=3, seed=1)
        for plan in (voted, _noticing(voted))
    )
    for row in empty.rows:
        assert row["no_shows"] > 0 and row["refilled"] == 0
        assert row["served_after"] == row["served"] - row["no_shows"]
    for row in refilled.rows:
        assert row["refilled"] >= 0
        assert row["served_after"] >= row["served"] - row["no_shows"]
        assert row["served_after"] == row["served"] - row["no_shows"] + row["refilled"]
    assert sum(row["refilled"] for row in refilled.rows) > 0
    # The first night is allocated alike under both (no history yet): refills only fill hours.
    first_empty, first_refilled = empty.rows[0], refilled.rows[0]
    assert first_empty["served"] == first_refilled["served"]
    assert first_refilled["idle_space_hours"] < first_empty["idle_space_hours"]
    # And the cars that came are on the occupancy chart: more of them when spaces are refilled.
    assert sum(occ[0].sum() for occ in refilled.occupancy.values()) >= sum(
        occ[0].sum() for occ in empty.occupancy.values()
    )


def test_when_every_car_stays_away_nothing_is_refilled_and_every_space_hour_is_idle(
    monkeypatch,
):
    solved = _solved(monkeypatch)
    site = identical_households_site(6, 3)
    absent = replace(EVERY_NIGHT, no_show_share=1.0)
    run = simulate_run(site, _noticing(street_plan()), absent, CALIBRATION, nights=2, seed=0)
    for row, (_, result) in zip(run.rows, solved):
        assert row["no_shows"] == row["served"] == 3
        assert row["refilled"] == 0 and row["served_after"] == 0
        published_minutes = sum(a.end - a.start for a in result.assignments)
        assert row["idle_space_hours"] == round(published_minutes / 60, 2)
    assert all(occupancy.sum() == 0 for occupancy in run.occupancy.values())


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    households=st.integers(2, 10),
    spaces=st.integers(1, 6),
    share=st.sampled_from([0.0, 0.1, 0.3, 0.7]),
    after=st.one_of(st.none(), st.integers(0, 600)),
    seed=st.integers(0, 1000),
)
def test_every_no_show_space_goes_to_a_waiting_car_that_would_come(
    households, spaces, share, after, seed
):
    # Everyone asks every night for the plan's whole window and one car fills a space, so a
    # noticed no-show's space is taken by a waiting car exactly when one that would come waits.
    site = identical_households_site(households, spaces)
    model = replace(EVERY_NIGHT, no_show_share=share)
    plan = street_plan() if after is None else _noticing(street_plan(), after, forfeit=1)
    nights = 4
    run = simulate_run(site, plan, model, CALIBRATION, nights=nights, seed=seed)
    stream = DemandStream(site, model, CALIBRATION, seed, nights)
    for index, row in enumerate(run.rows):
        away = int(stream.night(index, site.start + timedelta(days=index)).no_show.sum())
        waiting_and_coming = row["refused"] - (away - row["no_shows"])
        expected = 0 if after is None else min(row["no_shows"], waiting_and_coming)
        assert 0 <= row["no_shows"] <= row["served"]
        assert row["refilled"] == expected
        assert row["served_after"] == row["served"] - row["no_shows"] + row["refilled"]
        assert row["served_after"] <= min(row["requests"], spaces)
        assert row["idle_space_hours"] <= 12.0 * row["no_shows"]


def _solved(monkeypatch) -> list:
    """(instance, result) of every night the simulator solves from now on."""
    seen: list = []

    def spy(instance, **options):
        result = solve(instance, **options)
        seen.append((instance, result))
        return result

    monkeypatch.setattr(run_module, "solve", spy)
    return seen


@pytest.mark.parametrize("notices", [True, False])
def test_a_noticed_no_show_is_carried_into_the_history_and_forfeits_credit(monkeypatch, notices):
    # Two spaces, four households, all ask; half the cars stay away. Under a plan that notices,
    # the next night's instance lists the no-shows in its history and their fairness points drop.
    solved = _solved(monkeypatch)
    site = identical_households_site(4, 2)
    plan = street_plan(fairness_window_nights=14)
    if notices:
        plan = _noticing(plan, forfeit=5)
    model = replace(EVERY_NIGHT, no_show_share=0.5)
    run = simulate_run(site, plan, model, CALIBRATION, nights=6, seed=2)
    seen = [instance for instance, _ in solved]
    with_no_shows = [
        entry.household for instance in seen for entry in instance.history if entry.no_show_nights
    ]
    if not notices:
        assert with_no_shows == []
        return
    assert sum(row["no_shows"] for row in run.rows[:-1]) > 0
    assert with_no_shows
    forfeited = 0
    for instance in seen:
        for entry in instance.history:
            if entry.no_show_nights:
                assert instance.fairness_points.get(entry.household, 0) == 0
                forfeited += bool(entry.refused_nights)
    assert forfeited  # some household had refused nights to lose


def test_the_figures_and_the_report_show_no_shows_only_when_there_were_some(compound):
    site, model = compound
    plan = _noticing(bundled_plan("laiyang-voted"), forfeit=2)
    shared = replace(model, no_show_share=0.1)
    runs = [simulate_run(site, plan, shared, CALIBRATION, nights=2, seed=s) for s in (0, 1)]
    with_them = summarise(site, plan, runs)
    without = summarise(
        site, plan, [simulate_run(site, plan, model, CALIBRATION, nights=2, seed=0)]
    )
    assert any_no_shows([with_them]) and not any_no_shows([without])
    assert with_them.served_after_per_night.mean >= (
        with_them.served_per_night.mean - with_them.no_shows_per_night.mean
    )
    labels = [row.label for row in metric_rows(5, 2, (), True)]
    assert "No-shows per night (served cars that did not come)" in labels
    html = render_report(site.name, site.start, [with_them], shared, [0, 1])
    assert "No-shows per night" in html and "Space-hours left empty" in html
    assert "offered to the waiting list" in html and "do not come" in html
    plain = render_report(site.name, site.start, [without], model, [0])
    assert "No-shows per night" not in plain
    assert np.isfinite(with_them.idle_space_hours_per_night.mean)
