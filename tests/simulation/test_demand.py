"""Demand draws: hand-checked shaping, and the model's shares recovered from many nights."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from engine import Window
from scenarios.calibration import load_calibration
from simulation.calibration import WEEKEND_EVENINGS
from simulation.demand import (
    DemandStream,
    fit_nights,
    fit_repeat_share,
    habitual_share,
    longest_part_inside,
)
from simulation.model import DemandModel
from tests.simulation.sites import START, laiyang

CALIBRATION = load_calibration()
RENTED, STREET = Window(22 * 60, 33 * 60), Window(19 * 60, 31 * 60)  # 22:00-09:00, 19:00-07:00


@pytest.mark.parametrize(
    ("stay", "expected"),
    [
        ((20 * 60, 32 * 60), (20 * 60, 31 * 60)),  # 20:00-08:00: street holds 11 h, rented 10 h
        ((23 * 60, 33 * 60 + 30), (23 * 60, 33 * 60)),  # 23:00-09:30: rented holds 10 h, street 8 h
        ((21 * 60, 31 * 60), (21 * 60, 31 * 60)),  # 21:00-07:00 fits the street whole
        (
            (33 * 60 + 30, 35 * 60),
            (33 * 60 + 30, 35 * 60),
        ),  # 09:30-11:00: nothing holds an hour: as asked
        (
            (30 * 60 + 10, 31 * 60 + 50),
            (30 * 60 + 10, 31 * 60 + 50),
        ),  # 06:10-07:50: rented holds it whole
        (
            (30 * 60 + 10, 34 * 60),
            (30 * 60 + 10, 33 * 60),
        ),  # 06:10-10:00: rented 2 h 50, street 50 min
    ],
)
def test_a_stay_is_cut_to_the_longest_part_one_window_holds(stay, expected):
    arrive, depart = longest_part_inside(np.array([stay[0]]), np.array([stay[1]]), [RENTED, STREET])
    assert (int(arrive[0]), int(depart[0])) == expected


def test_shaping_breaks_ties_by_window_order():
    # Equal overlaps (22:00-07:00 in both): the first window listed wins, both give the same stay.
    arrive, depart = longest_part_inside(np.array([22 * 60]), np.array([31 * 60]), [STREET, RENTED])
    assert (int(arrive[0]), int(depart[0])) == (22 * 60, 31 * 60)


@pytest.fixture(scope="module")
def compound():
    return laiyang()


def _nights(site, model, seed, count):
    stream = DemandStream(site, model, CALIBRATION, seed, count)
    return [stream.night(i, START + timedelta(days=i)) for i in range(count)]


def test_renters_are_away_as_often_and_as_long_as_the_model_says(compound):
    site, model = compound
    model = replace(model, renter_away_share=0.2, away_spell_nights=3.0)
    away = np.array([night.away for night in _nights(site, model, seed=1, count=300)])
    assert away.mean() == pytest.approx(0.2, abs=0.015)
    spells = np.diff(away.astype(np.int8), axis=0)
    started = (spells == 1).sum()
    assert away[1:].sum() / started == pytest.approx(3.0, rel=0.1)
    # A renter comes back exactly on the mornings after the last night away.
    nights = _nights(site, model, seed=1, count=3)
    assert (nights[0].returns == (nights[0].away & ~nights[1].away)).all()


def test_weekday_factors_and_need_shares_shape_who_asks(compound):
    site, model = compound
    model = replace(
        model,
        renter_away_share=0.0,
        need_share_without_space=0.5,
        need_share_second_car=0.5,
        weekday_factor=(1.6, 1, 1, 1, 1, 0.4, 1),
    )
    nights = _nights(site, model, seed=2, count=140)  # 20 weeks from a Monday
    asking = np.array([night.asks.mean() for night in nights])
    assert asking[0::7].mean() == pytest.approx(0.8, abs=0.03)  # Mondays: 0.5 x 1.6
    assert asking[5::7].mean() == pytest.approx(0.2, abs=0.03)  # Saturdays: 0.5 x 0.4
    assert asking[1::7].mean() == pytest.approx(0.5, abs=0.03)


def test_habitual_times_recur_as_often_as_in_the_data(compound):
    # The calibration's habit share counts nights within one 30-minute bin of a resident's median
    # arrival and departure, over about 52 nights each (43 weeknights and 9 weekend nights in the
    # data's mix); measured the same way on the simulated Laiyang cars, it must be the same.
    site, model = compound
    nights = _nights(site, model, seed=3, count=70)
    weeknights, weekend_nights = fit_nights(CALIBRATION)
    chosen = [n for n in nights if n.evening.weekday() not in WEEKEND_EVENINGS][:weeknights]
    chosen += [n for n in nights if n.evening.weekday() in WEEKEND_EVENINGS][:weekend_nights]
    arrive = (
        np.array([n.arrive for n in chosen]) - CALIBRATION.arrive_start
    ) // CALIBRATION.bin_minutes
    depart = (
        np.array([n.depart for n in chosen]) - CALIBRATION.depart_start
    ) // CALIBRATION.bin_minutes
    assert (len(chosen), weeknights, weekend_nights) == (52, 43, 9)
    assert habitual_share(arrive, depart) == pytest.approx(CALIBRATION.habit_share, abs=0.03)


def test_the_repeat_share_is_fitted_to_the_habit_share():
    # Fresh draws alone land near a resident's median on some nights, so repeating is rarer than
    # the measured share would suggest at first sight, and no habit at all needs no repeat.
    fitted = fit_repeat_share(CALIBRATION, CALIBRATION.habit_share)
    assert 0 < fitted < 1
    assert fit_repeat_share(CALIBRATION, 0.0) == 0.0
    assert fit_repeat_share(CALIBRATION, 0.5) > fitted


def test_late_cars_are_as_many_and_as_late_as_the_model_says(compound):
    site, _ = compound
    model = DemandModel(overstay_share=0.1, overstay_mean_minutes=40)
    late = np.concatenate([night.late for night in _nights(site, model, seed=4, count=100)])
    assert (late > 0).mean() == pytest.approx(0.1, abs=0.01)
    assert late[late > 0].mean() == pytest.approx(40.5, rel=0.08)  # whole minutes, rounded up


def test_draws_depend_only_on_seed_and_night(compound):
    site, model = compound
    first = _nights(site, model, seed=5, count=4)
    # A longer run draws the same first nights: nothing depends on how far the run goes.
    longer = _nights(site, model, seed=5, count=9)[:4]
    assert [n.digest() for n in first] == [n.digest() for n in longer]
    assert [n.digest() for n in first] != [
        n.digest() for n in _nights(site, model, seed=6, count=4)
    ]
