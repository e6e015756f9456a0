"""Realistic scenario files of any size from a seed.

The site is a grid of residential buildings with marked spaces along the lanes between rows and a
street of tidal spaces along the south edge. Marked spaces are rented monthly to households; on a
given night a share of renters is away and releases the space. Requests come from households
without a space and from renters' second cars. Arrival and departure times are drawn from the
night-stay histogram calibrated on real residential sessions (docs/calibration.md), then shaped
by how residents read the plan: most ask for the part of their night that one kind of shared
space can hold; the rest submit their real times and may find that no space fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from engine.clock import format_clock
from scenarios.calibration import load_calibration
from scenarios.mapping import window_from_text
from simulation.demand import longest_part_inside

LAIYANG_POLICY: dict[str, Any] = {
    # Released rented spaces 22:00-09:00 as voted. The article gives no hours for the Lijin Road
    # tidal spaces; 19:00-07:00 is assumed (typical of Shanghai's tidal street parking).
    "windows": {"rented": ["22:00-09:00"], "street": ["19:00-07:00"]},
    "turnover_minutes": 10,
    "max_walk_m": 450,
    "household_cap": 1,
    "priority_rules": [
        {
            "label": "residents with a disability",
            "label_zh": "残障居民",
            "priority": 3,
            "when": {"tags_any": ["disabled"]},
        },
        {
            "label": "households without a space",
            "label_zh": "无车位住户",
            "priority": 2,
            "when": {"has_space": False},
        },
        {
            "label": "second cars",
            "label_zh": "第二辆车",
            "priority": 1,
            "when": {"has_space": True},
        },
    ],
    "default_priority": 1,
    "fairness": {"window_nights": 14, "weight": 1},
    "walk_weight": 1,
    "stability_weight": 1,
}

_LATEST_DEPARTURE = 24 * 60 + 11 * 60 + 55
_PROVINCE_LETTERS = "ABCDEFGHJKLMN"
_PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class SiteParameters:
    buildings: int = 40
    flats_per_building: int = 24
    marked_spaces: int = 345
    street_spaces: int = 101
    households_without_space: int = 135
    second_cars: int = 45
    release_share: float = 1 / 8
    request_share: float = 0.9  # households with a car that need a space on a given night
    plan_aware_share: float = 0.9
    ev_space_share: float = 0.04
    accessible_spaces: int = 6
    weekend: bool = False
    policy: dict[str, Any] = field(default_factory=lambda: LAIYANG_POLICY)

    def __post_init__(self) -> None:
        if self.buildings < 1 or self.flats_per_building < 1:
            raise ValueError("buildings and flats_per_building must be at least 1")
        for name in (
            "marked_spaces",
            "street_spaces",
            "households_without_space",
            "second_cars",
            "accessible_spaces",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if (
            self.marked_spaces + self.households_without_space
            > self.buildings * self.flats_per_building
        ):
            raise ValueError("more renters and households without a space than flats on the site")
        if self.second_cars > self.marked_spaces:
            raise ValueError("second_cars cannot exceed the number of renters (marked_spaces)")
        for name in ("release_share", "request_share", "plan_aware_share", "ev_space_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")


def generate_scenario(
    seed: int, night: date, site: SiteParameters | None = None, name: str | None = None
) -> dict[str, Any]:
    """A scenario document (valid for `scenarios.schema.ScenarioFile`) for one night."""
    site = site or SiteParameters()
    rng = np.random.default_rng(seed)
    buildings = _buildings(site.buildings)
    flats = [
        (f"{b + 1}-{k // 4 + 1}{k % 4 + 1:02d}", bx, by)
        for b, (bx, by) in enumerate(buildings)
        for k in range(site.flats_per_building)
    ]
    chosen = rng.permutation(len(flats))[: site.marked_spaces + site.households_without_space]
    renters = [flats[i] for i in chosen[: site.marked_spaces]]
    spaceless = [flats[i] for i in chosen[site.marked_spaces :]]

    spaces = _marked_spaces(rng, site, buildings, renters) + _street_spaces(site, buildings)
    households = [_household(rng, flat, has_space=True) for flat in renters] + [
        _household(rng, flat, has_space=False) for flat in spaceless
    ]
    second_car_owners = {renters[i][0] for i in rng.permutation(len(renters))[: site.second_cars]}

    requesters = [h for h in households if not h["has_space"] or h["id"] in second_car_owners]
    requesters = [h for h in requesters if rng.random() < site.request_share]
    calibration = load_calibration()
    stays = calibration.sample_stays(rng, len(requesters), weekend=site.weekend)
    requests = [
        _request(rng, site, i, household, stays[i], night) for i, household in enumerate(requesters)
    ]

    history = _history(rng, night, households, spaces, requesters)
    _add_cars(np.random.default_rng([seed, 1]), households, second_car_owners, requests)
    return {
        "name": name or f"Generated compound (seed {seed})",
        "night": night.isoformat(),
        "policy": site.policy,
        "spaces": spaces,
        "households": households,
        "requests": requests,
        "history": history,
    }


def _buildings(count: int) -> list[tuple[float, float]]:
    """Rows of slab buildings 36 m apart east-west and 40 m north-south, the street to the south."""
    columns = 8
    return [(20.0 + 36.0 * (i % columns), 40.0 + 40.0 * (i // columns)) for i in range(count)]


def _marked_spaces(rng, site: SiteParameters, buildings, renters) -> list[dict[str, Any]]:
    """Spaces in rows along the lanes just south of each building row, 2.6 m wide."""
    lanes = sorted({y for _, y in buildings})
    width = max(x for x, _ in buildings) + 30.0
    per_lane = int(np.ceil(site.marked_spaces / len(lanes)))
    sizes = rng.choice(["small", "standard", "large"], size=site.marked_spaces, p=[0.1, 0.85, 0.05])
    ev = set(
        rng.permutation(site.marked_spaces)[
            : round(site.ev_space_share * site.marked_spaces)
        ].tolist()
    )
    accessible = set(rng.permutation(site.marked_spaces)[: site.accessible_spaces].tolist())
    release = rng.random(site.marked_spaces) < site.release_share
    spaces = []
    for i in range(site.marked_spaces):
        lane, slot = divmod(i, per_lane)
        features = (["ev_charger"] if i in ev else []) + (["accessible"] if i in accessible else [])
        space = {
            "id": f"A-{i + 1:03d}",
            "kind": "rented",
            "renter": renters[i][0],
            "released": bool(release[i]),
            "size": "standard" if i in accessible else str(sizes[i]),
            "x": round(5.0 + (slot * 2.6) % width, 1),
            "y": round(lanes[lane] - 15.0 - 6.0 * ((slot * 2.6) // width), 1),
        }
        spaces.append(space | ({"features": features} if features else {}))
    return spaces


def _street_spaces(site: SiteParameters, buildings) -> list[dict[str, Any]]:
    """Parallel spaces 6 m long (large cars fit) on the street along the site's south edge,
    centred on the site."""
    centre = (min(x for x, _ in buildings) + max(x for x, _ in buildings)) / 2
    first = centre - 6.0 * site.street_spaces / 2
    # The two spaces at the ends of the row are painted wider, for wheelchair users.
    accessible = {0, site.street_spaces - 1}
    return [
        {
            "id": f"L-{i + 1:03d}",
            "kind": "street",
            "size": "large",
            "x": round(first + 6.0 * i, 1),
            "y": -10.0,
        }
        | ({"features": ["accessible"]} if i in accessible else {})
        for i in range(site.street_spaces)
    ]


def _household(rng, flat, has_space: bool) -> dict[str, Any]:
    flat_id, x, y = flat
    tags = []
    if rng.random() < 0.03:
        tags.append("disabled")
    if rng.random() < 0.2:
        tags.append("elderly")
    if not has_space and rng.random() < 0.35:
        tags.append("new_resident")
    household = {
        "id": flat_id,
        "x": round(x + rng.uniform(-12, 12), 1),
        "y": round(y + rng.uniform(-4, 4), 1),
        "has_space": has_space,
    }
    return household | ({"tags": tags} if tags else {})


def _request(rng, site: SiteParameters, index: int, household, stay, night: date) -> dict[str, Any]:
    # The file format reads clock times before noon as the next morning; a night stay ends by then.
    arrive, depart = int(stay[0]), min(int(stay[1]), _LATEST_DEPARTURE)
    if rng.random() < site.plan_aware_share:
        arrive, depart = _shape_to_plan(arrive, depart, site.policy["windows"], night)
    size = "large" if rng.random() < 0.08 else ("small" if rng.random() < 0.12 else "standard")
    needs = []
    if "disabled" in household.get("tags", ()):
        needs.append("accessible")
        size = "standard"
    if rng.random() < 0.03:
        needs.append("ev_charger")
    return {
        "id": f"R{index + 1:04d}",
        "household": household["id"],
        "plate": _plate(rng),
        "arrive": format_clock(arrive),
        "depart": format_clock(depart),
        "size": size,
    } | ({"needs": needs} if needs else {})


def _shape_to_plan(
    arrive: int, depart: int, windows: dict[str, list[str]], night: date
) -> tuple[int, int]:
    """The longest part of the stay that one kind's window holds, if it is at least an hour."""
    parsed = [window_from_text(text, night) for texts in windows.values() for text in texts]
    shaped_arrive, shaped_depart = longest_part_inside(
        np.array([arrive]), np.array([depart]), parsed
    )
    return int(shaped_arrive[0]), int(shaped_depart[0])


def _add_cars(rng, households, second_car_owners: set[str], requests) -> None:
    """Every household's cars: a renter's first car on its own space, then a second car or the car
    of a household without a space. A car that asked for a space tonight is the request's car; the
    others are drawn from their own stream, so adding cars left the rest of the file unchanged."""
    requested = {request["household"]: request for request in requests}

    def drawn(household) -> dict[str, Any]:
        size = "large" if rng.random() < 0.08 else ("small" if rng.random() < 0.12 else "standard")
        needs = ["accessible"] if "disabled" in household.get("tags", ()) else []
        if rng.random() < 0.03:
            needs.append("ev_charger")
        return {
            "plate": _plate(rng),
            "size": "standard" if needs[:1] == ["accessible"] else size,
        } | ({"needs": needs} if needs else {})

    def car_of(household) -> dict[str, Any]:
        request = requested.get(household["id"])
        if request is None:
            return drawn(household)
        return {"plate": request["plate"], "size": request["size"]} | (
            {"needs": list(request["needs"])} if "needs" in request else {}
        )

    for household in households:
        if not household["has_space"]:
            household["cars"] = [car_of(household)]
        else:
            household["cars"] = [drawn(household)] + (
                [car_of(household)] if household["id"] in second_car_owners else []
            )


def _plate(rng) -> str:
    return (
        "沪"
        + str(rng.choice(list(_PROVINCE_LETTERS)))
        + "".join(rng.choice(list(_PLATE_CHARS), size=5))
    )


def _history(rng, night: date, households, spaces, requesters) -> list[dict[str, Any]]:
    """Recent refusals for some households without a space, and last night's space for some
    requesters."""
    shared = [s["id"] for s in spaces if s["kind"] == "street" or s["released"]]
    history = []
    for household in requesters:
        entry: dict[str, Any] = {"household": household["id"]}
        if not household["has_space"] and rng.random() < 0.25:
            nights_ago = sorted(
                rng.choice(np.arange(1, 15), size=int(rng.integers(1, 4)), replace=False).tolist()
            )
            entry["refused"] = [(night - timedelta(days=n)).isoformat() for n in nights_ago]
        if shared and rng.random() < 0.5:
            entry["last_space"] = shared[int(rng.integers(len(shared)))]
        if len(entry) > 1:
            history.append(entry)
    return history


def generate_district(
    seed: int,
    night: date,
    compounds: int = 50,
    cluster_sizes: tuple[int, int] = (2, 4),
    site: SiteParameters | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Many compounds in one file; neighbours in a cluster share one street of tidal spaces.

    Each compound is a generated site (without a street of its own) with ids prefixed by its
    name; clusters of 2-4 compounds stand side by side along their street, and clusters are 2 km
    apart, beyond any walking limit, so they are independent parts of the night.
    """
    site = site or SiteParameters()
    compound_site = replace(site, street_spaces=0)
    rng = np.random.default_rng(seed)
    document: dict[str, Any] = {
        "name": name or f"Generated district of {compounds} compounds (seed {seed})",
        "night": night.isoformat(),
        "policy": site.policy,
        "spaces": [],
        "households": [],
        "requests": [],
        "history": [],
    }
    placed = 0
    cluster = 0
    while placed < compounds:
        members = min(int(rng.integers(cluster_sizes[0], cluster_sizes[1] + 1)), compounds - placed)
        names = [f"C{placed + i + 1:03d}" for i in range(members)]
        for position, compound in enumerate(names):
            part = generate_scenario(seed * 100_003 + placed + position, night, compound_site)
            _move_into_district(document, part, compound, dx=2000.0 * cluster + 320.0 * position)
        street = _street_spaces(
            replace(site, street_spaces=site.street_spaces * members),
            [(2000.0 * cluster, 0.0), (2000.0 * cluster + 320.0 * members - 40.0, 0.0)],
        )
        for space in street:
            space["id"] = f"S{cluster + 1:03d}/{space['id']}"
            space["compounds"] = names
        document["spaces"].extend(street)
        placed += members
        cluster += 1
    return document


def _move_into_district(
    district: dict[str, Any], part: dict[str, Any], compound: str, dx: float
) -> None:
    """Prefix every id with the compound, shift the site east by dx metres, and add it."""

    def prefixed(value: str) -> str:
        return f"{compound}/{value}"

    for space in part["spaces"]:
        district["spaces"].append(
            space
            | {
                "id": prefixed(space["id"]),
                "renter": prefixed(space["renter"]),
                "x": round(space["x"] + dx, 1),
                "compounds": [compound],
            }
        )
    for household in part["households"]:
        district["households"].append(
            household
            | {
                "id": prefixed(household["id"]),
                "x": round(household["x"] + dx, 1),
                "compound": compound,
            }
        )
    for request in part["requests"]:
        district["requests"].append(
            request | {"id": prefixed(request["id"]), "household": prefixed(request["household"])}
        )
    for entry in part["history"]:
        # Last night's space may have been on the compound's own street, which the district
        # replaces.
        moved = {"household": prefixed(entry["household"])} | (
            {"refused": entry["refused"]} if "refused" in entry else {}
        )
        if str(entry.get("last_space", "")).startswith("A-"):
            moved["last_space"] = prefixed(entry["last_space"])
        if len(moved) > 1:
            district["history"].append(moved)
