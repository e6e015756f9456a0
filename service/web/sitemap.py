"""Site maps as SVG shapes, drawn from the spaces' and households' coordinates (metres, north up).

Each space's state is told three ways: its fill, a mark inside it (a dot for a car, stripes for
free), and its text label, so that the map reads without colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from service.ordering import natural_key

SPACE_WIDTH_M = 2.2
SPACE_LENGTH_M = 4.4
MARGIN_M = 6.0


class SpaceState(str, Enum):
    USED = "used"  # a car is allocated to it this night
    FREE = "free"  # shared this night, nobody on it
    PRIVATE = "private"  # its renter keeps it this night
    MINE = "mine"  # the reader's own space tonight
    OTHER = "other"  # the background of a resident's map


@dataclass(frozen=True)
class SpaceMark:
    code: str
    x: float  # top-left corner in the SVG's coordinates
    y: float
    state: SpaceState
    href: str | None = None
    selected: bool = False
    charger: bool = False  # a shared charge point: a bolt is drawn in it

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + SPACE_WIDTH_M / 2, self.y + SPACE_LENGTH_M / 2

    @property
    def bolt(self) -> str:
        """An SVG path of a lightning bolt in the space's lower half, for a charge point."""
        x, y = self.x, self.y
        points = [(1.35, 2.6), (0.6, 3.6), (1.1, 3.6), (0.85, 4.3), (1.6, 3.3), (1.1, 3.3)]
        return "M" + " L".join(f"{x + dx:.2f} {y + dy:.2f}" for dx, dy in points) + " Z"


@dataclass(frozen=True)
class BuildingMark:
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class SiteMap:
    view_box: str
    marks: list[SpaceMark]
    buildings: list[BuildingMark]
    way: str | None = None  # an SVG path from the reader's building to their space
    width_m: float = 0.0
    # Markers and labels grow with the area shown, so that a long walk's map stays legible.
    scale: float = 1.0


class _Frame:
    """Scenario metres to SVG units: x as is, y flipped so that north is up."""

    def __init__(self, points: list[tuple[float, float]]) -> None:
        xs, ys = [x for x, _ in points], [y for _, y in points]
        self.left, self.right = min(xs) - MARGIN_M, max(xs) + MARGIN_M + SPACE_WIDTH_M
        self.bottom, self.top = min(ys) - MARGIN_M - SPACE_LENGTH_M, max(ys) + MARGIN_M

    @property
    def span(self) -> float:
        return max(self.right - self.left, self.top - self.bottom)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return round(x - self.left, 2), round(self.top - y, 2)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.right - self.left:.1f} {self.top - self.bottom:.1f}"


def _buildings(households: list[tuple[str, float, float]]) -> dict[str, tuple[float, float]]:
    """One mark per building (the code before the '-'), at the mean of its flats' positions."""
    flats: dict[str, list[tuple[float, float]]] = {}
    for code, x, y in households:
        flats.setdefault(code.split("-")[0], []).append((x, y))
    return {
        b: (sum(x for x, _ in ps) / len(ps), sum(y for _, y in ps) / len(ps))
        for b, ps in flats.items()
    }


def compound_map(
    spaces: list[tuple[str, float, float]],
    households: list[tuple[str, float, float]],
    states: dict[str, SpaceState],
    href: str,
    selected: str | None,
    chargers: frozenset[str] = frozenset(),
) -> SiteMap:
    """The whole compound for staff: every space in its state, linked to `href` + its code, the
    shared charge points (`chargers`) marked."""
    buildings = _buildings(households)
    frame = _Frame([(x, y) for _, x, y in spaces] + list(buildings.values()))
    marks = [
        SpaceMark(
            code,
            *frame.point(x, y),
            states.get(code, SpaceState.PRIVATE),
            f"{href}{code}",
            code == selected,
            code in chargers,
        )
        for code, x, y in spaces
    ]
    return SiteMap(
        frame.view_box,
        marks,
        [BuildingMark(b, *frame.point(*buildings[b])) for b in sorted(buildings, key=natural_key)],
        width_m=frame.right - frame.left,
    )


def way_map(
    spaces: list[tuple[str, float, float]],
    home: tuple[str, float, float],
    mine: str,
    reach_m: float = 40.0,
) -> SiteMap:
    """A resident's map: their building, their space and the way between, with the spaces around."""
    building, hx, hy = home
    sx, sy = next((x, y) for code, x, y in spaces if code == mine)
    left, right = min(hx, sx) - reach_m / 2, max(hx, sx) + reach_m / 2
    low, high = min(hy, sy) - reach_m / 2, max(hy, sy) + reach_m / 2
    nearby = [(code, x, y) for code, x, y in spaces if left <= x <= right and low <= y <= high]
    frame = _Frame(
        [(hx, hy), (sx, sy), (left + MARGIN_M, low + MARGIN_M), (right - MARGIN_M, high - MARGIN_M)]
    )
    marks = [
        SpaceMark(code, *frame.point(x, y), SpaceState.MINE if code == mine else SpaceState.OTHER)
        for code, x, y in nearby
    ]
    start, corner, end = (
        frame.point(hx, hy),
        frame.point(hx, sy),
        frame.point(sx + SPACE_WIDTH_M / 2, sy),
    )
    way = f"M {start[0]} {start[1]} L {corner[0]} {corner[1]} L {end[0]} {end[1]}"
    return SiteMap(
        frame.view_box,
        marks,
        [BuildingMark(building, *frame.point(hx, hy))],
        way,
        frame.right - frame.left,
        max(1.0, frame.span / 60),
    )
