"""Which space may take which request, and which rule rules out the others.

Everything a single (request, space) pair must satisfy is decided here, vectorised over spaces,
so the solvers only ever see eligible pairs. The rules are checked in a fixed order and the first
one that fails is the one an explanation names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from engine.model import Instance, PinAction

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
        compounds = {c: i for i, c in enumerate(sorted({s.compound for s in spaces if s.compound} | {h.compound for h in instance.households if h.compound}))}

        self.space_in_pool = np.array([s.in_pool for s in spaces], dtype=bool)
        self.space_size = np.array([int(s.size) for s in spaces], dtype=np.int8)
        self.space_features = np.array([_mask(s.features, feature_bits) for s in spaces], dtype=np.int64)
        self.space_x = np.array([s.x for s in spaces], dtype=float)
        self.space_y = np.array([s.y for s in spaces], dtype=float)
        self.space_compound = np.array([compounds.get(s.compound, _NO_COMPOUND) for s in spaces], dtype=np.int32)
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
        self.request_needs = np.array([_mask(r.needs, feature_bits) for r in requests], dtype=np.int64)
        self.request_x = np.array([h.x for h in households], dtype=float)
        self.request_y = np.array([h.y for h in households], dtype=float)
        self.request_compound = np.array([compounds.get(h.compound, _NO_COMPOUND) for h in households], dtype=np.int32)
        # A feature nobody offers cannot be expressed as a bit; such a need is never met.
        self.request_unknown_need = np.array([bool(r.needs - feature_bits.keys()) for r in requests], dtype=bool)

        self.max_walk = instance.policy.max_walk_m
        space_index = {s.id: i for i, s in enumerate(spaces)}
        request_index = {r.id: i for i, r in enumerate(requests)}
        self.forbidden = {
            (request_index[p.request], space_index[p.space]) for p in instance.pins if p.action is PinAction.FORBID
        }

    def walk(self, rows: np.ndarray) -> np.ndarray:
        """Whole metres from each request's household to every space, shape (len(rows), spaces)."""
        dx = self.space_x[None, :] - self.request_x[rows, None]
        dy = self.space_y[None, :] - self.request_y[rows, None]
        return np.rint(np.hypot(dx, dy)).astype(np.int64)

    def failures(self, rows: np.ndarray, walk: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """For each rule, where it excludes a space: boolean arrays of shape (len(rows), spaces)."""
        shape = (len(rows), len(self.space_size))
        if walk is None and self.max_walk is not None:
            walk = self.walk(rows)
        arrive = self.request_arrive[rows, None, None]
        depart = self.request_depart[rows, None, None]
        inside = ((self.window_start[None] <= arrive) & (depart <= self.window_end[None])).any(axis=2)
        space_c, request_c = self.space_compound[None, :], self.request_compound[rows, None]
        failed = {
            "pool": np.broadcast_to(~self.space_in_pool[None, :], shape),
            "compound": (space_c != _NO_COMPOUND) & (request_c != _NO_COMPOUND) & (space_c != request_c),
            "window": ~inside,
            "size": self.space_size[None, :] < self.request_size[rows, None],
            "features": ((self.space_features[None, :] & self.request_needs[rows, None]) != self.request_needs[rows, None])
            | self.request_unknown_need[rows, None],
            "walk": (walk > self.max_walk) if self.max_walk is not None else np.zeros(shape, dtype=bool),
            "forbidden": np.zeros(shape, dtype=bool),
        }
        for position, row in enumerate(rows):
            for request, space in self.forbidden:
                if request == row:
                    failed["forbidden"][position, space] = True
        return failed

    def blocks(self) -> Iterator[np.ndarray]:
        step = max(1, _BLOCK_CELLS // max(1, len(self.space_size)))
        for first in range(0, len(self.request_arrive), step):
            yield np.arange(first, min(first + step, len(self.request_arrive)))

    def eligible_pairs(self) -> EligiblePairs:
        requests, spaces, walks = [], [], []
        for rows in self.blocks():
            walk = self.walk(rows)
            failed = self.failures(rows, walk)
            ok = ~np.logical_or.reduce([failed[rule] for rule in RULES])
            r, s = np.nonzero(ok)
            requests.append(rows[r])
            spaces.append(s)
            walks.append(walk[r, s])
        if not requests:
            empty = np.zeros(0, dtype=np.int64)
            return EligiblePairs(empty, empty, empty)
        return EligiblePairs(np.concatenate(requests), np.concatenate(spaces).astype(np.int64), np.concatenate(walks))


def _feature_bits(instance: Instance) -> dict[str, int]:
    offered = sorted({f for s in instance.spaces for f in s.features})
    if len(offered) > 62:
        raise ValueError(f"at most 62 distinct space features are supported, got {len(offered)}")
    return {feature: 1 << bit for bit, feature in enumerate(offered)}


def _mask(features: frozenset[str], bits: dict[str, int]) -> int:
    return sum(bits.get(f, 0) for f in features)
