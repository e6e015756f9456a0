"""Generated scenarios are valid and reproducible, and the generator makes the bundled Laiyang
night."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from engine import check_allocation, solve
from scenarios.generate import SiteParameters, generate_scenario
from scenarios.loader import LAIYANG, load_scenario, parse_scenario, write_document
from scenarios.mapping import to_instance


def test_bundled_laiyang_is_the_generators_output():
    # Regenerate with:
    #   parking scenario generate --seed 2026 --night 2026-11-24 --name "<name below>"
    #       --out scenarios/laiyang-xinjiayuan.yaml
    bundled = yaml.safe_load(LAIYANG.read_text(encoding="utf-8"))
    regenerated = generate_scenario(2026, date(2026, 11, 24), name=bundled["name"])
    assert yaml.safe_load(write_document(regenerated, None)) == bundled


def test_laiyang_matches_the_compound():
    scenario, night = load_scenario(LAIYANG)
    marked = [s for s in night.spaces if s.kind == "rented"]
    street = [s for s in night.spaces if s.kind == "street"]
    assert len(marked) == 345 and all(s.renter for s in marked)
    assert len(street) == 101
    cars = [car for household in scenario.households for car in household.cars]
    assert (
        len(cars) == 525
    )  # more than 400 cars: 345 renters' first cars, 45 second cars, 135 without a space
    assert {r.plate for r in night.requests} <= {car.plate for car in cars}
    released_share = sum(s.released for s in marked) / len(marked)
    assert 0.08 < released_share < 0.17  # about one renter in eight away
    assert {w for s in marked for w in night.windows_of(s)} == {night.policy.windows["rented"][0]}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "site",
    [
        SiteParameters(
            buildings=4,
            marked_spaces=20,
            street_spaces=5,
            households_without_space=15,
            second_cars=5,
        ),
        SiteParameters(release_share=0.5, weekend=True),
        SiteParameters(
            marked_spaces=0,
            street_spaces=0,
            households_without_space=10,
            second_cars=0,
            buildings=2,
        ),
    ],
    ids=["small", "weekend-half-away", "no-spaces"],
)
def test_generated_scenarios_are_valid_and_solvable(seed, site):
    document = generate_scenario(seed, date(2026, 12, 1), site)
    night = to_instance(parse_scenario(document))
    result = solve(night, time_limit=20)
    assert check_allocation(night, result) == []


def test_same_seed_same_scenario_and_other_seed_differs():
    first = generate_scenario(3, date(2026, 12, 1))
    assert first == generate_scenario(3, date(2026, 12, 1))
    assert first != generate_scenario(4, date(2026, 12, 1))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"release_share": 1.5}, "release_share must be between 0 and 1"),
        ({"second_cars": 400}, "second_cars cannot exceed"),
        ({"marked_spaces": -1}, "marked_spaces must not be negative"),
    ],
)
def test_impossible_sites_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        SiteParameters(**overrides)


def test_district_clusters_share_a_street_and_solve_apart():
    from scenarios.generate import generate_district

    site = SiteParameters(
        buildings=4, marked_spaces=30, street_spaces=6, households_without_space=20, second_cars=5
    )
    document = generate_district(4, date(2026, 12, 1), compounds=7, site=site)
    night = to_instance(parse_scenario(document))
    streets: dict[str, frozenset[str]] = {}
    for space in night.spaces:
        if space.kind == "street":
            streets.setdefault(space.id.split("/")[0], space.compounds)
    assert sorted(c for compounds in streets.values() for c in compounds) == [
        f"C{i:03d}" for i in range(1, 8)
    ]
    assert all(2 <= len(compounds) <= 4 for compounds in list(streets.values())[:-1])
    result = solve(night)
    assert check_allocation(night, result) == []
    assert result.stats["components"] >= len(streets)
