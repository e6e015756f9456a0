"""A whole comparison: here, on a process pool, on a local Dask cluster; and the report."""

from __future__ import annotations

import re
from concurrent.futures import ProcessPoolExecutor

import pytest

from scenarios.calibration import load_calibration
from simulation.report import render_report
from simulation.sweep import compare_plans
from tests.simulation.sites import bundled_plan, laiyang

CALIBRATION = load_calibration()
SEEDS = [0, 1]


@pytest.fixture(scope="module")
def small_comparison():
    site, model = laiyang()
    plans = [bundled_plan("laiyang-voted"), bundled_plan("fewer-street-spaces")]
    return site, model, plans, compare_plans(site, plans, model, CALIBRATION, nights=6, seeds=SEEDS)


def _figures(comparison) -> list[tuple]:
    return [
        (run.plan, run.seed, [dict(row, solve_seconds=0) for row in run.rows])
        for runs in comparison.runs.values()
        for run in runs
    ]


def test_a_process_pool_gives_the_same_comparison(small_comparison):
    site, model, plans, here = small_comparison
    with ProcessPoolExecutor(max_workers=2) as pool:
        spread = compare_plans(
            site, plans, model, CALIBRATION, nights=6, seeds=SEEDS, executor=pool
        )
    assert _figures(spread) == _figures(here)


def test_a_local_dask_cluster_gives_the_same_comparison(small_comparison):
    distributed = pytest.importorskip("distributed")
    site, model, plans, here = small_comparison
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        spread = compare_plans(
            site,
            plans,
            model,
            CALIBRATION,
            nights=6,
            seeds=SEEDS,
            executor=client.get_executor(),
        )
    assert _figures(spread) == _figures(here)


def test_runs_come_back_in_seed_order_per_plan(small_comparison):
    _, _, plans, comparison = small_comparison
    assert list(comparison.runs) == [plan.name for plan in plans]
    assert [[run.seed for run in runs] for runs in comparison.runs.values()] == [SEEDS, SEEDS]
    assert [summary.plan.name for summary in comparison.summaries] == [plan.name for plan in plans]


def test_two_plans_with_one_name_are_refused(small_comparison):
    site, model, plans, _ = small_comparison
    with pytest.raises(ValueError, match="two plans have the same name"):
        compare_plans(site, [plans[0], plans[0]], model, CALIBRATION, nights=1, seeds=[0])


def test_the_report_renders_every_plan_in_both_languages_with_four_charts(small_comparison):
    site, model, plans, comparison = small_comparison
    html = render_report(site.name, site.start, comparison.summaries, model, SEEDS)
    for plan in plans:
        assert html.count(plan.name) >= 3  # its box, its table column, its legend entries
        assert plan.name_zh in html and plan.summary_zh.split("；")[0] in html
    assert len(re.findall(r"<svg[ >]", html)) == 4
    assert "平均每晚" in html and "On an average night" in html
    assert "http://" not in html.replace(
        "http://www.w3.org", ""
    )  # self-contained: nothing to fetch
    assert "<script" not in html
    assert (
        render_report(site.name, site.start, comparison.summaries, model, SEEDS) == html
    )  # reproducible


def test_report_text_is_escaped(small_comparison):
    site, model, _, comparison = small_comparison
    html = render_report("<b>Compound</b>", site.start, comparison.summaries, model, SEEDS)
    assert "&lt;b&gt;Compound&lt;/b&gt;" in html and "<b>Compound</b>" not in html
