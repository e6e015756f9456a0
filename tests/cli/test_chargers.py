"""`parking chargers`: the table and the JSON on a tiny file, and errors that name the option."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.scenarios.test_charger_count import TINY, write_sessions

runner = CliRunner()


@pytest.fixture
def data(tmp_path):
    return write_sessions(tmp_path / "sessions.csv", TINY)


def test_prints_the_table_and_writes_the_figures(tmp_path, data):
    out = tmp_path / "chargers.json"
    result = runner.invoke(
        app, ["chargers", "--data", str(data), "--points", "2,1", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "each cell: first come, first served / engine" in result.output
    assert "Sessions served (of 4)" in result.output
    assert "2 / 3" in result.output  # one point: first come 2, the engine 3
    figures = json.loads(out.read_text())
    assert figures["nights"] == ["2019-03-01", "2019-03-02"]
    assert [(o["points"], o["method"], o["served"]) for o in figures["outcomes"]] == [
        (1, "first come, first served", 2),
        (1, "engine", 3),
        (2, "first come, first served", 4),
        (2, "engine", 4),
    ]
    assert figures["outcomes"][1]["waits"] == [180]
    assert figures["outcomes"][1]["kwh_share"] == pytest.approx(9 / 19)


def test_a_period_restricts_the_nights(data):
    result = runner.invoke(
        app, ["chargers", "--data", str(data), "--points", "1", "--first", "2019-03-02"]
    )
    assert result.exit_code == 0, result.output
    assert "1 night, 2019-03-02 to 2019-03-02" in result.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--points", "0"], "--points 0"),
        (["--points", "-1"], "--points -1"),
        (["--points", "1,two"], "--points two"),
        (["--first", "2019-02-30"], "--first 2019-02-30"),
        (["--first", "2019-03-02", "--last", "2019-03-01"], "--first 2019-03-02 is after --last"),
        (["--first", "2020-01-01"], "--first/--last"),
        (["--json", "/no/such/folder/out.json"], "--json /no/such/folder/out.json"),
    ],
)
def test_a_bad_option_is_named(data, args, named):
    result = runner.invoke(app, ["chargers", "--data", str(data), *args])
    assert result.exit_code == 2
    assert named in result.output


def test_a_missing_or_foreign_data_file_is_named(tmp_path):
    missing = tmp_path / "none.csv"
    result = runner.invoke(app, ["chargers", "--data", str(missing)])
    assert result.exit_code == 2
    assert f"--data {missing}" in result.output
    foreign = tmp_path / "other.csv"
    foreign.write_text("a;b\n1;2\n")
    result = runner.invoke(app, ["chargers", "--data", str(foreign)])
    assert result.exit_code == 2
    assert f"--data {foreign}: not a sessions file" in result.output


def test_the_fairness_window_is_checked(data):
    result = runner.invoke(app, ["chargers", "--data", str(data), "--fairness-nights", "-1"])
    assert result.exit_code == 2
    assert "--fairness-nights" in result.output
