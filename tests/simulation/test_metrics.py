"""Figures per plan: hand-checked on tiny runs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulation.metrics import Estimate, gini, summarise
from simulation.run import HOURS, RunResult
from tests.simulation.sites import identical_households_site, street_plan


def test_estimate_is_the_mean_with_a_student_t_interval():
    # Mean 12, sample sd 1, n = 3: half-width t(0.975, 2) * 1 / sqrt(3) = 4.3027 / 1.7321 = 2.4841.
    estimate = Estimate.of([11.0, 12.0, 13.0])
    assert estimate.mean == pytest.approx(12.0)
    assert (estimate.low, estimate.high) == pytest.approx((12.0 - 2.4841, 12.0 + 2.4841), abs=1e-4)
    # The same spread around 2 would reach below zero, and around a share of 0.9 above 1: cut.
    assert Estimate.of([1.0, 2.0, 3.0]).low == 0.0
    assert Estimate.of([0.8, 0.9, 1.0], highest=1.0).high == 1.0
    assert Estimate.of([5.0]).text() == "5.0"
    assert Estimate.of([]).text() == "–"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([3, 3, 3, 3], 0.0),  # everyone refused equally
        ([0, 0, 0, 4], 0.75),  # one of four takes every refusal: (n - 1) / n
        (
            [1, 3],
            0.25,
        ),  # |1 - 3| summed over ordered pairs = 4, / (2 * n^2 * mean = 2 * 4 * 2) = 0.25
        ([0, 0], 0.0),
    ],
)
def test_gini_of_refusals(values, expected):
    assert gini(np.array(values)) == pytest.approx(expected)


def _run(
    seed: int, refused: list[list[bool]], asked: list[list[int]], served: list[int]
) -> RunResult:
    nights = len(served)
    rows = [
        {
            "requests": sum(asked[n]),
            "served": served[n],
            "walk_m_mean": 100.0,
            "renter_conflicts": 1,
            "renters_back": 2,
            "window_overstays": 0,
            "status": "optimal",
            "solve_seconds": 0.01,
        }
        for n in range(nights)
    ]
    return RunResult(
        plan="p",
        seed=seed,
        rows=rows,
        asked=np.array(asked, dtype=np.int16),
        refused=np.array(refused, dtype=bool),
        occupancy={"street": np.ones((nights, len(HOURS)), dtype=np.int32)},
        capacity={"street": np.full(nights, 2, dtype=np.int32)},
    )


def test_summary_of_a_hand_made_run():
    # Three households (h2 a new resident), four nights, one run. h0 asks every night and is
    # refused twice, h1 asks every night and is never refused, h2 asks twice and is refused once.
    # Refused nights among those who asked: [2, 0, 1] -> mean 1, max 2, Gini (|2-0|+|2-1|+|0-1|)*2
    # / (2 * 9 * 1) = 8 / 18. Served 2, 1, 2, 1 of 3, 2, 3, 2 requests.
    # h2's car needs a charger.
    base = identical_households_site(3, 1)
    site = replace(
        base,
        households=(
            *base.households[:2],
            replace(base.households[2], tags=frozenset({"new_resident"})),
        ),
        cars=(*base.cars[:2], replace(base.cars[2], needs=frozenset({"ev_charger"}))),
    )
    asked = [[1, 1, 1], [1, 1, 0], [1, 1, 1], [1, 1, 0]]
    refused = [
        [True, False, False],
        [False, False, False],
        [True, False, True],
        [False, False, False],
    ]
    summary = summarise(
        site, street_plan(), [_run(0, refused, asked, [2, 1, 2, 1])], refused_over=1
    )
    assert summary.month_nights == 4
    assert summary.served_per_night.mean == pytest.approx(1.5)
    assert summary.served_share.mean == pytest.approx(6 / 10)
    assert summary.refused_nights_mean.mean == pytest.approx(1.0)
    assert summary.refused_nights_max.mean == pytest.approx(2.0)
    assert summary.refused_gini.mean == pytest.approx(8 / 18)
    assert summary.refused_over_share.mean == pytest.approx(1 / 3)  # only h0 is above 1
    assert summary.served_share_new.mean == pytest.approx(1 - 1 / 2)
    assert summary.served_share_others.mean == pytest.approx(1 - 2 / 8)
    assert summary.served_share_by_need["ev_charger"].mean == pytest.approx(1 - 1 / 2)
    # Refused a night: 1, 1, 1, 1 -> the 95th percentile is 1; served sorted 1, 1, 2, 2: the 5th
    # percentile lies between the two 1s.
    assert (summary.refused_p95.mean, summary.served_p5.mean) == pytest.approx((1.0, 1.0))
    assert summary.renter_conflicts_month.mean == pytest.approx(
        4.0
    )  # 1 a night, a "month" of 4 nights
    assert list(summary.refused_histogram[:3]) == [1, 1, 1]
    # No household has a space of its own; the rows say no refusal was for want of a fitting
    # space, so all 4 were for lack of space.
    assert summary.refused_nights_without_space.mean == pytest.approx(1.0)
    assert (summary.refused_no_fit_month.mean, summary.refused_taken_month.mean) == (0.0, 4.0)
    assert summary.occupancy["street"].tolist() == [1.0] * len(HOURS)
    assert summary.capacity["street"] == 2.0
