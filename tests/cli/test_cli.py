"""The `parking` command: outputs, files written, and clean errors with exit status 2."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from scenarios.loader import LAIYANG

runner = CliRunner()

TINY = """
name: tiny
night: 2026-11-27
policy: {windows: {street: ["19:00-07:00"]}}
spaces:
  - {id: L-1, kind: street, x: 0, y: 0}
households:
  - {id: 1-101, x: 10, y: 0}
  - {id: 2-201, x: 20, y: 0}
requests:
  - {id: r1, household: 1-101, arrive: "20:00", depart: "06:00", priority: 2}
  - {id: r2, household: 2-201, arrive: "21:00", depart: "06:30"}
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_allocate_prints_a_summary_and_writes_json(tiny, tmp_path):
    out = tmp_path / "result.json"
    result = runner.invoke(app, ["allocate", str(tiny), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "proven best" in result.output
    assert "Refused (1)" in result.output and "r2" in result.output
    written = json.loads(out.read_text())
    assert {
        "scenario",
        "night",
        "status",
        "served_by_priority",
        "bound_by_priority",
        "assignments",
        "unassigned",
        "solve_seconds",
    } <= written.keys()
    assert written["served_by_priority"] == {"2": 1, "1": 0}
    assert written["assignments"] == [
        {
            "request": "r1",
            "household": "1-101",
            "space": "L-1",
            "kind": "street",
            "start": "2026-11-27T20:00",
            "end": "2026-11-28T06:00",
            "walk_m": 10,
            "priority": 2,
        }
    ]
    assert written["unassigned"][0]["request"] == "r2"
    assert written["unassigned"][0]["reason"] == "all_fitting_spaces_taken"


def test_allocate_json_and_csv_on_stdout(tiny):
    as_json = json.loads(runner.invoke(app, ["allocate", str(tiny), "--format", "json"]).stdout)
    assert as_json["status"] == "optimal"
    rows = list(
        csv.DictReader(
            io.StringIO(runner.invoke(app, ["allocate", str(tiny), "--format", "csv"]).stdout)
        )
    )
    assert [(r["request"], r["space"], r["reason"]) for r in rows] == [
        ("r1", "L-1", ""),
        ("r2", "", "all_fitting_spaces_taken"),
    ]


def test_allocate_the_bundled_laiyang_night():
    result = runner.invoke(app, ["allocate", str(LAIYANG), "--format", "json"])
    assert result.exit_code == 0
    written = json.loads(result.stdout)
    assert written["status"] == "optimal"
    assert written["served_by_priority"] == written["bound_by_priority"]


def test_explain(tiny):
    result = runner.invoke(app, ["explain", str(tiny), "r2"])
    assert result.exit_code == 0
    assert "No space: all_fitting_spaces_taken" in result.output
    assert "1-101" not in result.output  # never another household


def test_explain_unknown_request(tiny):
    result = runner.invoke(app, ["explain", str(tiny), "nope"])
    assert result.exit_code == 2
    assert "has no request 'nope'" in result.output


def test_explain_a_stay_no_space_takes_names_the_nearest_hours_and_exits_1():
    result = runner.invoke(
        app,
        [
            "explain",
            str(LAIYANG),
            "--household",
            "29-604",
            "--arrive",
            "16:55",
            "--depart",
            "08:25",
        ],
    )
    assert result.exit_code == 1
    assert "No space could take 16:55-08:25: arrives 16:55 but street spaces open at 19:00" in (
        result.output
    )
    assert result.output.splitlines()[-2:] == [
        "  street spaces would take 19:00-07:00",
        "  rented spaces would take 22:00-08:25",
    ]


def test_explain_a_stay_that_fits_says_where_and_at_what_level():
    result = runner.invoke(app, ["explain", str(LAIYANG), "--household", "29-604"])
    assert result.exit_code == 0
    assert "could take 22:00-07:00 (rented, street); priority level 1" in result.output


@pytest.mark.parametrize(
    ("flags", "complaint"),
    [
        (["--household", "nope"], "has no household 'nope' (--household)"),
        (["--household", "29-604", "--arrive", "25:00"], "--arrive: '25:00' is not a clock time"),
        (["--household", "29-604", "--size", "huge"], "--size: Input should be"),
        (["r1", "--household", "29-604"], "not both"),
        ([], "not both"),
    ],
)
def test_explain_a_stay_refuses_bad_flags_naming_them(flags, complaint):
    result = runner.invoke(app, ["explain", str(LAIYANG), *flags])
    assert result.exit_code == 2
    assert complaint in result.output


def test_schema_is_json_schema():
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    assert schema["title"] == "ScenarioFile"
    assert {"spaces", "households", "requests", "policy"} <= schema["properties"].keys()


def test_scenario_check(tiny):
    result = runner.invoke(app, ["scenario", "check", str(tiny)])
    assert result.exit_code == 0
    assert "valid. 1 spaces (1 in tonight's pool), 2 households, 2 requests" in result.output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "kind: street, x: 0",
            "kind: street, size: huge, x: 0",
            "spaces[0].size: 'huge' is not one of small, standard, large",
        ),
        ("household: 2-201", "household: 9-999", "requests[1].household: no household '9-999'"),
        (
            'depart: "06:30"',
            'depart: "20:30"',
            "requests[1].depart: 20:30 is not after arrive 21:00",
        ),
    ],
)
def test_bad_file_exits_2_with_paths_and_no_traceback(tmp_path, old, new, message):
    path = tmp_path / "bad.yaml"
    path.write_text(TINY.replace(old, new))
    for command in (
        ["allocate", str(path)],
        ["explain", str(path), "r1"],
        ["scenario", "check", str(path)],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert message in result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("flags", "complaint"), [(["--time-limit", "0"], "time-limit"), (["--format", "xml"], "format")]
)
def test_bad_flags_exit_2(tiny, flags, complaint):
    result = runner.invoke(app, ["allocate", str(tiny), *flags])
    assert result.exit_code == 2
    assert complaint in result.output


def test_unwritable_out_path(tiny, tmp_path):
    result = runner.invoke(
        app, ["allocate", str(tiny), "--out", str(tmp_path / "missing-dir" / "r.json")]
    )
    assert result.exit_code == 2
    assert "cannot write" in result.output


def test_generate_is_reproducible_and_valid(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.json"
    args = [
        "scenario",
        "generate",
        "--seed",
        "5",
        "--night",
        "2026-12-01",
        "--marked-spaces",
        "60",
        "--street-spaces",
        "20",
        "--households-without-space",
        "30",
        "--second-cars",
        "10",
        "--buildings",
        "8",
    ]
    assert runner.invoke(app, [*args, "--out", str(first)]).exit_code == 0
    assert runner.invoke(app, [*args, "--out", str(second)]).exit_code == 0
    results = [
        json.loads(runner.invoke(app, ["allocate", str(path), "--format", "json"]).stdout)
        for path in (first, second)
    ]
    for result in results:
        del result["solve_seconds"]
    assert results[0] == results[1]
    assert results[0]["assignments"]


def test_generate_rejects_impossible_sites():
    result = runner.invoke(
        app, ["scenario", "generate", "--buildings", "1", "--marked-spaces", "100"]
    )
    assert result.exit_code == 2
    assert "more renters and households without a space than flats" in result.output


def test_generate_rejects_a_bad_date():
    result = runner.invoke(app, ["scenario", "generate", "--night", "27/11/2026"])
    assert result.exit_code == 2
    assert "Invalid isoformat" in result.output or "night" in result.output


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--out", "result.txt"], "must end in .json or .csv"),
        (["--seed", "-1"], "seed"),
        (["--seed", str(2**31)], "seed"),
    ],
)
def test_more_bad_flags_exit_2(tiny, args, complaint):
    result = runner.invoke(app, ["allocate", str(tiny), *args])
    assert result.exit_code == 2
    assert complaint in result.output


def _district_file(tmp_path, seed: int, compounds: int):
    path = tmp_path / "district.yaml"
    args = [
        "scenario",
        "generate",
        "--seed",
        str(seed),
        "--compounds",
        str(compounds),
        "--marked-spaces",
        "30",
        "--street-spaces",
        "6",
        "--households-without-space",
        "20",
        "--second-cars",
        "5",
        "--buildings",
        "4",
        "--out",
        str(path),
    ]
    assert runner.invoke(app, args).exit_code == 0
    return path


def test_generate_a_district(tmp_path):
    path = _district_file(tmp_path, seed=2, compounds=5)
    result = json.loads(runner.invoke(app, ["allocate", str(path), "--format", "json"]).stdout)
    assert result["status"] == "optimal"
    households = {a["household"].split("/")[0] for a in result["assignments"]}
    assert len(households) == 5  # every compound is served
    spaces = {a["space"].split("/")[0] for a in result["assignments"]}
    assert any(s.startswith("S") for s in spaces)  # shared street segments are used


def test_allocate_on_local_workers_gives_the_same_result(tmp_path):
    path = _district_file(tmp_path, seed=3, compounds=6)
    alone = json.loads(runner.invoke(app, ["allocate", str(path), "--format", "json"]).stdout)
    spread = json.loads(
        runner.invoke(app, ["allocate", str(path), "--format", "json", "--workers", "2"]).stdout
    )
    assert spread["stats"]["parts"] > 1
    assert (
        spread["assignments"] == alone["assignments"]
        and spread["unassigned"] == alone["unassigned"]
    )


def test_unreachable_cluster_exits_2(tiny):
    result = runner.invoke(app, ["allocate", str(tiny), "--cluster", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler" in result.output
