"""Which space may take which request, and which rule rules out the others.

Everything a single (request, space) pair must satisfy is decided here, vectorised over spaces,
so the solvers only ever see eligible pairs. The rules are checked in a fixed order and the first
one that fails is the one an explanation names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from engine.model import MAX_FEATURES, Instance, PinAction

# The order in which an explanation names the rule that excludes a space.
RULES: tuple[str, ...] = ("pool", "compound", "window", "size", "features", "walk", "forbidden")

_NO_COMPOUND = -1
# Requests are processed in blocks so that the dense (requests x spaces) work stays small.
_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True)
class EligiblePairs:
    """Eligible (request, space) pairs as parallel arrays of indices into the instance's tuples."""

    request: np.ndarray
    space: np.ndarray
    walk_m: np.ndarray

    def __len__(self) -> int:
        return len(self.request)


class EligibilityTable:
    """Per-space and per-request arrays from which eligibility is computed block by block."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        spaces, requests = instance.spaces, instance.requests
        households = [instance.household_by_id[r.household] for r in requests]

        feature_bits = _feature_bits(instance)
        compounds = {
            c: i
            for i, c in enumerate(
                sorted(
                    {c for s in spaces for c in s.compounds}
                    | {h.compound for h in instance.households if h.compound}
                )
            )
        }

        self.space_in_pool = np.array([s.in_pool for s in spaces], dtype=bool)
        self.space_size = np.array([int(s.size) for s in spaces], dtype=np.int8)
        self.space_features = np.array(
            [_mask(s.features, feature_bits) for s in spaces], dtype=np.int64
        )
        self.space_x = np.array([s.x for s in spaces], dtype=float)
        self.space_y = np.array([s.y for s in spaces], dtype=float)
        self.space_open_to_all = np.array([not s.compounds for s in spaces], dtype=bool)
        members: dict[int, list[int]] = {}
        for index, space in enumerate(spaces):
            for compound in space.compounds:
                members.setdefault(compounds[compound], []).append(index)
        self.spaces_of_compound = {
            c: np.array(indices, dtype=np.int64) for c, indices in members.items()
        }
        windows = [instance.windows_of(s) for s in spaces]
        most = max((len(w) for w in windows), default=1)
        # Padding windows are empty ([0, 0)) and so hold no stay.
        self.window_start = np.zeros((len(spaces), most), dtype=np.int64)
        self.window_end = np.zeros((len(spaces), most), dtype=np.int64)
        for index, space_windows in enumerate(windows):
            for slot, window in enumerate(space_windows):
                self.window_start[index, slot] = window.start
                self.window_end[index, slot] = window.end

        self.request_arrive = np.array([r.arrive for r in requests], dtype=np.int64)
        self.request_depart = np.array([r.depart for r in requests], dtype=np.int64)
        self.request_size = np.array([int(r.size) for r in requests], dtype=np.int8)
        self.request_needs = np.array(
            [_mask(r.needs, feature_bits) for r in requests], dtype=np.int64
        )
        self.request_x = np.array([h.x for h in households], dtype=float)
        self.request_y = np.array([h.y for h in households], dtype=float)
        self.request_compound = np.array(
            [compounds.get(h.compound, _NO_COMPOUND) for h in households], dtype=np.int32
        )
        # A feature nobody offers cannot be expressed as a bit; such a need is never met.
        self.request_unknown_need = np.array(
            [bool(r.needs - feature_bits.keys()) for r in requests], dtype=bool
        )

        self.max_walk = instance.policy.max_walk_m
        space_index = {s.id: i for i, s in enumerate(spaces)}
        request_index = {r.id: i for i, r in enumerate(requests)}
        self.forbidden = {
            (request_index[p.request], space_index[p.space])
            for p in instance.pins
            if p.action is PinAction.FORBID
        }

    def walk(self, rows: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
        """Whole metres from each request's household to each space, shape (len(rows), len(cols))."""
        cols = self.all_spaces if cols is None else cols
        dx = self.space_x[None, cols] - self.request_x[rows, None]
        dy = self.space_y[None, cols] - self.request_y[rows, None]
        return np.rint(np.hypot(dx, dy)).astype(np.int64)

    @property
    def all_spaces(self) -> np.ndarray:
        return np.arange(len(self.space_size))

    def failures(
        self, rows: np.ndarray, walk: np.ndarray | None = None, cols: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """For each rule, where it excludes a space: boolean arrays of shape (len(rows), len(cols))."""
        cols = self.all_spaces if cols is None else cols
        shape = (len(rows), len(cols))
        if walk is None and self.max_walk is not None:
            walk = self.walk(rows, cols)
        arrive = self.request_arrive[rows, None, None]
        depart = self.request_depart[rows, None, None]
        inside = (
            (self.window_start[None, cols] <= arrive) & (depart <= self.window_end[None, cols])
        ).any(axis=2)
        needs = self.request_needs[rows, None]
        failed = {
            "pool": np.broadcast_to(~self.space_in_pool[None, cols], shape),
            "compound": self._closed_to(rows, cols),
            "window": ~inside,
            "size": self.space_size[None, cols] < self.request_size[rows, None],
            "features": ((self.space_features[None, cols] & needs) != needs)
            | self.request_unknown_need[rows, None],
            "walk": (walk > self.max_walk)
            if self.max_walk is not None
            else np.zeros(shape, dtype=bool),
            "forbidden": np.zeros(shape, dtype=bool),
        }
        if self.forbidden:
            row_position = {row: i for i, row in enumerate(rows.tolist())}
            col_position = {col: j for j, col in enumerate(cols.tolist())}
            for request, space in self.forbidden:
                if request in row_position and space in col_position:
                    failed["forbidden"][row_position[request], col_position[space]] = True
        return failed

    def open_spaces(self, compound: int) -> np.ndarray:
        """Indices of the spaces that residents of `compound` (or of none) may use."""
        if compound == _NO_COMPOUND:
            return self.all_spaces
        open_here = self.space_open_to_all.copy()
        open_here[self.spaces_of_compound.get(compound, np.zeros(0, dtype=np.int64))] = True
        return np.flatnonzero(open_here)

    def _closed_to(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        closed = np.zeros((len(rows), len(cols)), dtype=bool)
        for compound in np.unique(self.request_compound[rows]).tolist():
            if compound != _NO_COMPOUND:
                closed[self.request_compound[rows] == compound] = ~np.isin(
                    cols, self.open_spaces(compound)
                )[None, :]
        return closed

    def blocks(self, rows: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(requests, spaces) blocks covering every pair that the compound rule allows.

        Requests are grouped by compound and paired only with the spaces open to it, so a district
        of many compounds never builds the full requests x spaces table.
        """
        rows = np.arange(len(self.request_arrive)) if rows is None else rows
        for compound in np.unique(self.request_compound[rows]).tolist():
            group = rows[self.request_compound[rows] == compound]
            cols = self.open_spaces(compound)
            step = max(1, _BLOCK_CELLS // max(1, len(cols)))
            for first in range(0, len(group), step):
                yield group[first : first + step], cols

    def eligible_pairs(self) -> EligiblePairs:
        requests, spaces, walks = [], [], []
        for rows, cols in self.blocks():
            walk = self.walk(rows, cols)
            failed = self.failures(rows, walk, cols)
            ok = ~np.logical_or.reduce([failed[rule] for rule in RULES])
            r, s = np.nonzero(ok)
            requests.append(rows[r])
            spaces.append(cols[s])
            walks.append(walk[r, s])
        if not requests:
            empty = np.zeros(0, dtype=np.int64)
            return EligiblePairs(empty, empty, empty)
        return EligiblePairs(
            np.concatenate(requests).astype(np.int64),
            np.concatenate(spaces).astype(np.int64),
            np.concatenate(walks),
        )


def _feature_bits(instance: Instance) -> dict[str, int]:
    offered = sorted({f for s in instance.spaces for f in s.features})
    assert len(offered) <= MAX_FEATURES, "Instance validates the number of features"
    return {feature: 1 << bit for bit, feature in enumerate(offered)}


def _mask(features: frozenset[str], bits: dict[str, int]) -> int:
    return sum(bits.get(f, 0) for f in features)
