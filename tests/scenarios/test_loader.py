"""Scenario files: a valid one loads; each broken one gives the message it must give."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from engine import Size
from scenarios.loader import ScenarioError, load_scenario, parse_scenario
from scenarios.mapping import to_instance

VALID = {
    "name": "tiny",
    "night": "2026-11-27",
    "policy": {
        "windows": {"street": ["19:00-07:00"], "rented": ["22:00-09:00"]},
        "household_cap": 1,
    },
    "spaces": [
        {"id": "L-1", "kind": "street", "x": 0, "y": 0},
        {
            "id": "A-1",
            "kind": "rented",
            "renter": "1-101",
            "released": True,
            "size": "large",
            "x": 5,
            "y": 5,
        },
    ],
    "households": [
        {"id": "1-101", "x": 1, "y": 1},
        {"id": "2-201", "x": 2, "y": 2, "tags": ["new_resident"]},
    ],
    "requests": [{"id": "r1", "household": "2-201", "arrive": "22:10", "depart": "07:40"}],
    "history": [{"household": "2-201", "refused": ["2026-11-25"], "last_space": "L-1"}],
    "pins": [{"request": "r1", "space": "L-1", "action": "forbid"}],
}


def broken(path: str, value=None, delete: bool = False) -> dict:
    """VALID with one key, given as a dotted path with list indices, changed or deleted."""
    document = copy.deepcopy(VALID)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = document
    for part in parents:
        target = target[part]
    if delete:
        del target[last]
    else:
        target[last] = value
    return document


def test_valid_file_maps_to_the_engine():
    night = to_instance(parse_scenario(VALID))
    assert night.space_by_id["A-1"].size is Size.LARGE
    (r,) = night.requests
    assert (r.arrive, r.depart) == (22 * 60 + 10, 24 * 60 + 7 * 60 + 40)
    assert night.household_by_id["1-101"].has_space  # rents A-1
    assert not night.household_by_id["2-201"].has_space


def test_iso_date_times_are_accepted():
    document = broken("requests.0.arrive", "2026-11-27T23:15")
    document["requests"][0]["depart"] = "2026-11-28T06:45"
    (r,) = to_instance(parse_scenario(document)).requests
    assert (r.arrive, r.depart) == (23 * 60 + 15, 24 * 60 + 6 * 60 + 45)


CASES = [
    (
        broken("spaces.1.size", "huge"),
        "spaces[1].size: 'huge' is not one of small, standard, large",
    ),
    (broken("spaces.0.colour", "red"), "spaces[0].colour: unknown key"),
    (broken("policy.turnover", 10), "policy.turnover: unknown key"),
    (broken("requests.0.household", "12-302"), "requests[0].household: no household '12-302'"),
    (broken("pins.0.space", "Z-9"), "pins[0].space: no space 'Z-9'"),
    (broken("pins.0.request", "nope"), "pins[0].request: no request 'nope'"),
    (broken("pins.0.action", "maybe"), "pins[0].action: 'maybe' is not one of force, forbid"),
    (broken("history.0.last_space", "Z-9"), "history[0].last_space: no space 'Z-9'"),
    (broken("history.0.household", "9-999"), "history[0].household: no household '9-999'"),
    (broken("spaces.1.id", "L-1"), "spaces[1].id: duplicate id 'L-1' (first at spaces[0])"),
    (broken("spaces.1.renter", "7-707"), "spaces[1].renter: no household '7-707'"),
    (
        broken("spaces.0.released", True),
        "spaces[0].released: only a rented space (one with a renter) can be released",
    ),
    (
        broken("spaces.0.kind", "visitor"),
        "spaces[0].windows: no windows given, and policy.windows has none for kind 'visitor'",
    ),
    (
        broken("requests.0.arrive", "25:00"),
        "requests[0].arrive: '25:00' is not a clock time (HH:MM, 00:00 to 23:59)",
    ),
    (
        broken("requests.0.arrive", "soon"),
        "requests[0].arrive: 'soon' is neither a clock time (HH:MM) nor an ISO date-time",
    ),
    (
        broken("requests.0.depart", "21:00"),
        "requests[0].depart: 21:00 is not after arrive 22:10 "
        "(times before 12:00 are the next morning)",
    ),
    (
        broken("policy.windows.street", ["19:00 to 07:00"]),
        "policy.windows.street[0]: '19:00 to 07:00' is not a window like '22:00-09:00'",
    ),
    (
        broken("policy.windows.street", []),
        "policy.windows.street: must list at least one window such as '22:00-09:00'",
    ),
    (
        broken("policy.household_cap", -1),
        "policy.household_cap: Input should be greater than or equal to 0 (got -1)",
    ),
    (broken("night", "tomorrow"), "night: Input should be a valid date or datetime"),
    (broken("spaces.0.x", delete=True), "spaces[0].x: required but missing"),
    (
        broken("requests.0.id", ""),
        "requests[0].id: String should have at least 1 character (got '')",
    ),
    (broken("day_start", "noon"), "day_start: 'noon' is not a clock time (HH:MM, 00:00 to 23:59)"),
]


@pytest.mark.parametrize(
    ("document", "message"), CASES, ids=[message.split(":")[0] for _, message in CASES]
)
def test_broken_file_names_the_path_and_problem(document, message):
    with pytest.raises(ScenarioError) as caught:
        to_instance(parse_scenario(document))
    rendered = [f"{path}: {text}" for path, text in caught.value.problems]
    assert any(line.startswith(message) for line in rendered), rendered


def test_every_problem_is_reported_at_once():
    document = broken("spaces.1.size", "huge")
    document["requests"][0]["household"] = "12-302"
    document["extra"] = 1
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(document)
    assert {path for path, _ in caught.value.problems} == {"spaces[1].size", "extra"}


@pytest.mark.parametrize(
    ("text", "suffix", "message"),
    [
        ("name: x\nspaces: [unclosed\n", ".yaml", "did not find expected ',' or ']'"),
        ("name: a\nname: b\n", ".yaml", "key 'name' appears twice in one mapping"),
        ("- just\n- a list\n", ".yaml", "the top level must be a mapping"),
        ('{"name": ', ".json", "line 1, column"),
        ("? [a, b]\n: 1\n", ".yaml", "a key must be a plain value, not list"),
        ('{"name": "a", "name": "b"}', ".json", "key 'name' appears twice in one object"),
    ],
)
def test_unreadable_files(tmp_path, text, suffix, message):
    path = tmp_path / f"night{suffix}"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert message in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "absent.yaml")


def test_json_and_yaml_give_the_same_instance(tmp_path):
    (tmp_path / "n.json").write_text(json.dumps(VALID))
    (tmp_path / "n.yaml").write_text(yaml.safe_dump(VALID))
    assert load_scenario(tmp_path / "n.json")[1] == load_scenario(tmp_path / "n.yaml")[1]


MORE_CASES = [
    (
        broken("requests.0.priority", 10**23),
        "requests[0].priority: Input should be less than or equal to 1000",
    ),
    (
        broken("policy.turnover_minutes", 10**6),
        "policy.turnover_minutes: Input should be less than or equal to 1440",
    ),
    (broken("spaces.0.x", float("nan")), "spaces[0].x: Input should be a finite number"),
    (
        broken("spaces.0.compounds", ["laiyangg"]),
        "spaces[0].compounds: no household belongs to compound 'laiyangg'",
    ),
    (
        broken("requests.0.depart", "2026-11-28"),
        "requests[0].depart: '2026-11-28' is a date without a time",
    ),
    (
        broken("requests.0.arrive", "2025-11-27T22:00"),
        "requests[0].arrive: '2025-11-27T22:00' is not within the night of 2026-11-27",
    ),
    (
        broken("spaces.0.features", [f"f{i}" for i in range(63)]),
        "spaces name 63 distinct features; at most 62 are supported",
    ),
]


@pytest.mark.parametrize(
    ("document", "message"), MORE_CASES, ids=[m.split(":")[0] for _, m in MORE_CASES]
)
def test_out_of_range_and_unknown_values(document, message):
    with pytest.raises(ScenarioError) as caught:
        to_instance(parse_scenario(document))
    assert any(
        f"{path}: {text}".startswith(message) or text.startswith(message)
        for path, text in caught.value.problems
    ), caught.value.problems


def test_unquoted_clock_times_stay_clock_times(tmp_path):
    # YAML 1.1 would read 22:10 as the base-60 integer 1330.
    path = tmp_path / "night.yaml"
    path.write_text(yaml.safe_dump(VALID).replace("'22:10'", "22:10").replace("'07:40'", "07:40"))
    assert "arrive: 22:10" in path.read_text()
    (r,) = load_scenario(path)[1].requests
    assert (r.arrive, r.depart) == (22 * 60 + 10, 24 * 60 + 7 * 60 + 40)


def test_touching_windows_are_one():
    # 19:00-23:00 and 23:00-07:00 together share the space all night: a 22:00-06:00 stay fits.
    document = broken("policy.windows.street", ["19:00-23:00", "23:00-07:00"])
    night = to_instance(parse_scenario(document))
    assert len(night.policy.windows["street"]) == 1
