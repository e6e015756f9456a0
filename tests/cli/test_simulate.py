"""`parking simulate`: the comparison table, the files it writes, and clean errors."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from scenarios.calibration import BUNDLED_PATH
from scenarios.loader import LAIYANG, PLANS

runner = CliRunner()

PLAN = """
name: Street only
policy:
  windows: {rented: ["22:00-09:00"], street: ["19:00-07:00"]}
  household_cap: 1
pools:
  street: {spaces: 50}
"""


def simulate(*args: str):
    return runner.invoke(
        app, ["simulate", str(LAIYANG), "--nights", "3", "--seeds", "2", "--workers", "1", *args]
    )


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return path


def test_compares_two_plans_and_writes_the_report_and_the_nights(tmp_path, plan):
    report, raw = tmp_path / "report.html", tmp_path / "nights.csv"
    result = simulate(
        "--plan",
        str(PLANS / "laiyang-voted.yaml"),
        "--plan",
        str(plan),
        "--report",
        str(report),
        "--raw",
        str(raw),
    )
    assert result.exit_code == 0, result.output
    assert "Plan A — as voted" in result.stdout and "Street only" in result.stdout
    assert "Served per night" in result.stdout
    html = report.read_text(encoding="utf-8")
    assert "Plan A — as voted" in html and "Street only" in html
    rows = list(csv.DictReader(raw.open(encoding="utf-8")))
    assert len(rows) == 2 * 2 * 3  # plans x seeds x nights
    assert {row["plan"] for row in rows} == {"Plan A — as voted", "Street only"}
    by_night = {}
    for row in rows:
        by_night.setdefault((row["seed"], row["night"]), set()).add(row["demand"])
    assert all(len(digests) == 1 for digests in by_night.values())  # both plans saw the same demand


def test_writes_parquet(tmp_path, plan):
    pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
    raw = tmp_path / "nights.parquet"
    result = simulate("--plan", str(plan), "--raw", str(raw))
    assert result.exit_code == 0, result.output
    table = pyarrow_parquet.read_table(raw)
    assert table.num_rows == 6 and "served" in table.column_names


def test_without_plans_it_compares_the_bundled_ones_in_order(tmp_path):
    raw = tmp_path / "nights.csv"
    result = simulate("--nights", "1", "--seeds", "1", "--raw", str(raw))
    assert result.exit_code == 0, result.output
    assert "Comparing the bundled plans" in result.output
    plans = [row["plan"] for row in csv.DictReader(raw.open(encoding="utf-8"))]
    assert [plan.split(" — ")[0] for plan in plans] == ["Plan A", "Plan B", "Plan C", "Plan D"]


def test_the_same_seed_gives_the_same_table():
    first, again = simulate("--seed", "7"), simulate("--seed", "7")
    assert first.stdout == again.stdout
    assert simulate("--seed", "8").stdout != first.stdout


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("name: Street only", "nmae: Street only", "name: required but missing"),
        ("name: Street only", "name: Street only\nextra: 1", "extra: unknown key"),
        (
            '"19:00-07:00"',
            '"19:00-25:00"',
            "policy.windows.street[0]: '25:00' is not a clock time (HH:MM, 00:00 to 23:59)",
        ),
        (
            "household_cap: 1",
            "household_cap: -1",
            "policy.household_cap: Input should be greater than or equal to 0 (got -1)",
        ),
        ("{spaces: 50}", "{spaces: many}", "pools.street.spaces"),
        (
            "street: {spaces: 50}",
            "garage: {spaces: 5}",
            "pools.garage: the site has no spaces of kind 'garage'",
        ),
        (
            "street: {spaces: 50}",
            "rented: {spaces: 5}",
            "pools.rented.spaces: rented spaces belong to their renters",
        ),
        ('rented: ["22:00-09:00"], ', "", "policy.windows: no hours for the 'rented' spaces"),
        ("pools:", "pools:\n  street: {spaces: 1}\npools:", "key 'pools' appears twice"),
        (
            "{spaces: 50}",
            "{spaces: 50, shared: false}",
            "pools.street.spaces: a pool that is not shared has no spaces to count",
        ),
        (
            'street: ["19:00-07:00"]',
            'street: ["19:00-07:00"], garage: ["17:00-11:00"]',
            "policy.windows.garage: the site has no spaces of kind 'garage'",
        ),
        (
            "street: {spaces: 50}",
            "street: {shared: false}\n  rented: {shared: false}",
            "pools: the plan shares no spaces at all",
        ),
    ],
)
def test_a_bad_plan_file_exits_2_naming_the_field(tmp_path, old, new, message):
    path = tmp_path / "bad-plan.yaml"
    path.write_text(PLAN.replace(old, new))
    result = simulate("--plan", str(path))
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and "plan" in result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--raw", "nights.xlsx"], "must end in .csv or .parquet"),
        (["--report", "/no/such/folder/report.html"], "the folder /no/such/folder does not exist"),
        (["--start", "24/11/2026"], "--start 24/11/2026"),
        (["--plan", "missing.yaml"], "missing.yaml is not a valid plan"),
        (["--nights", "0"], "nights"),
        (["--seeds", "0"], "seeds"),
        (["--cluster", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler"),
        (["--start", "9999-12-31"], "--start 9999-12-31: date value out of range"),
        (["--report", "/tmp"], "--report /tmp: is a folder"),
        (["--no-show-share", "1.5"], "--no-show-share 1.5: give a share of served cars between 0"),
        (["--no-show-share", "-0.1"], "--no-show-share -0.1: give a share"),
        (["--no-show-share", "nan"], "--no-show-share nan: give a share"),
        (["--no-show-share", "many"], "--no-show-share"),
        (
            ["--calibration", "/no/such/calibration.json"],
            "--calibration /no/such/calibration.json:",
        ),
        (
            [
                "--plan",
                str(PLANS / "laiyang-voted.yaml"),
                "--plan",
                str(PLANS / "laiyang-voted.yaml"),
            ],
            "are both named 'Plan A — as voted'",
        ),
    ],
)
def test_bad_flags_exit_2(args, complaint):
    result = simulate(*args)
    assert result.exit_code == 2, result.output
    assert complaint in result.output


@pytest.mark.parametrize(
    ("demand", "message"),
    [
        (
            "{renter_away_share: 0.6, away_spell_nights: 1}",
            "demand: renter_away_share 0.6 cannot be reached with spells of 1.0 nights",
        ),
        ("{habit_share: 1.5}", "demand.habit_share: Input should be less than or equal to 1"),
        ("{weekday_factor: [1, 1, 1]}", "demand.weekday_factor: List should have at least 7 items"),
    ],
)
def test_a_bad_demand_section_exits_2(tmp_path, demand, message):
    path = tmp_path / "scenario.yaml"
    path.write_text(LAIYANG.read_text(encoding="utf-8") + f"demand: {demand}\n", encoding="utf-8")
    result = runner.invoke(
        app, ["simulate", str(path), "--nights", "1", "--seeds", "1", "--workers", "1"]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_scenario_without_cars_exits_2(tmp_path):
    path = tmp_path / "no-cars.yaml"
    path.write_text(
        "name: no cars\nnight: 2026-11-24\npolicy: {windows: {street: ['19:00-07:00']}}\n"
        "spaces: [{id: L-1, kind: street, x: 0, y: 0}]\nhouseholds: [{id: h1, x: 0, y: 0}]\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["simulate", str(path), "--nights", "1", "--seeds", "1", "--workers", "1"]
    )
    assert result.exit_code == 2
    assert "no household lists a car that needs a shared space" in result.output


def test_a_no_show_share_of_zero_is_the_default():
    assert simulate("--seed", "3", "--no-show-share", "0").stdout == simulate("--seed", "3").stdout


def test_a_no_show_share_shows_no_shows_and_refills_in_the_table_and_the_report(tmp_path):
    plan = tmp_path / "noticing.yaml"
    plan.write_text(
        PLAN.replace(
            "household_cap: 1",
            "household_cap: 1\n  no_show: {after_minutes: 60}\n"
            "  fairness: {no_show_forfeit_nights: 2}",
        )
    )
    report, raw = tmp_path / "report.html", tmp_path / "nights.csv"
    result = simulate(
        "--plan",
        str(plan),
        "--no-show-share",
        "0.2",
        "--report",
        str(report),
        "--raw",
        str(raw),
    )
    assert result.exit_code == 0, result.output
    assert "No-shows per night" in result.stdout and "waiting list" in result.stdout
    rows = list(csv.DictReader(raw.open(encoding="utf-8")))
    assert sum(int(row["no_shows"]) for row in rows) > 0
    for row in rows:
        assert int(row["served_after"]) >= int(row["served"]) - int(row["no_shows"])
    html = report.read_text(encoding="utf-8")
    assert "Space-hours left empty by no-shows" in html and "60 minutes" in html


def test_a_calibration_file_replaces_the_bundled_one(tmp_path):
    bundled = simulate("--seed", "3")
    same = tmp_path / "same.json"
    same.write_text(BUNDLED_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert simulate("--seed", "3", "--calibration", str(same)).stdout == bundled.stdout
    later = json.loads(BUNDLED_PATH.read_text(encoding="utf-8"))
    # Every departure an hour later (two half-hour bins): the plans' figures move.
    for night_class in later["joint"]:
        later["joint"][night_class] = [[0, 0, *row[:-2]] for row in later["joint"][night_class]]
    shifted = tmp_path / "later.json"
    shifted.write_text(json.dumps(later), encoding="utf-8")
    assert simulate("--seed", "3", "--calibration", str(shifted)).stdout != bundled.stdout
