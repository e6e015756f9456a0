"""`parking simulate`: the comparison table, the files it writes, and clean errors."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from cli.main import app
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
    return runner.invoke(app, ["simulate", str(LAIYANG), "--nights", "3", "--seeds", "2", "--workers", "1", *args])


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return path


def test_compares_two_plans_and_writes_the_report_and_the_nights(tmp_path, plan):
    report, raw = tmp_path / "report.html", tmp_path / "nights.csv"
    result = simulate("--plan", str(PLANS / "laiyang-voted.yaml"), "--plan", str(plan), "--report", str(report), "--raw", str(raw))
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
        ('"19:00-07:00"', '"19:00-25:00"', "policy.windows.street[0]: '25:00' is not a clock time (HH:MM, 00:00 to 23:59)"),
        ("household_cap: 1", "household_cap: -1", "policy.household_cap: Input should be greater than or equal to 0 (got -1)"),
        ("{spaces: 50}", "{spaces: many}", "pools.street.spaces"),
        ("street: {spaces: 50}", "garage: {spaces: 5}", "pools.garage: the site has no spaces of kind 'garage'"),
        ("street: {spaces: 50}", "rented: {spaces: 5}", "pools.rented.spaces: rented spaces belong to their renters"),
        ('rented: ["22:00-09:00"], ', "", "policy.windows: no hours for the 'rented' spaces"),
        ("pools:", "pools:\n  street: {spaces: 1}\npools:", "key 'pools' appears twice"),
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
    ],
)
def test_bad_flags_exit_2(args, complaint):
    result = simulate(*args)
    assert result.exit_code == 2, result.output
    assert complaint in result.output
