"""Which space may take which request, and which rule rules out the others.

Everything a single (request, space) pair must satisfy is decided here, vectorised over blocks
of requests x spaces, so the solvers only ever see eligible pairs. The rules themselves are in
`engine.rules`; this module keeps the night as arrays for them and runs them in their order, so
the first one that fails is the one an explanation names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from engine import rules
from engine.arrays import BoolArray, FloatArray, IntArray
from engine.model import MAX_FEATURES, Instance, PinAction
from engine.rules import Rule

NO_COMPOUND = -1
"""`EligibilityTable.request_compound` of a household that belongs to no compound."""
# Requests are processed in blocks so that the dense (requests x spaces) work stays small.
_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True)
class EligiblePairs:
    """Eligible (request, space) pairs as parallel arrays.

    Attributes
    ----------
    request : IntArray
        Index into `Instance.requests` of each pair.
    space : IntArray
        Index into `Instance.spaces` of each pair.
    walk_m : IntArray
        Whole metres from the request's household to the space.
    """

    request: IntArray
    space: IntArray
    walk_m: IntArray

    def __len__(self) -> int:
        return len(self.request)


@dataclass
class Block:
    """Requests `rows` against spaces `cols`: the rectangle of pairs a rule decides at once.

    Attributes
    ----------
    table : EligibilityTable
        The night's arrays.
    rows : IntArray
        Request indices.
    cols : IntArray
        Space indices.
    known_walk : IntArray or None
        The walks of this block when the caller has them already; else computed on first use.
    """

    table: EligibilityTable
    rows: IntArray
    cols: IntArray
    known_walk: IntArray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(len(rows), len(cols))``: the shape of every rule's answer."""
        return (len(self.rows), len(self.cols))

    @cached_property
    def walk(self) -> IntArray:
        """Whole metres from each request's household to each space, shape `shape`."""
        if self.known_walk is not None:
            return self.known_walk
        return self.table.walk(self.rows, self.cols)


class EligibilityTable:
    """The night as per-space and per-request arrays, from which eligibility is computed.

    Parameters
    ----------
    instance : Instance
        The night.

    Attributes
    ----------
    instance : Instance
        The night the arrays describe; index i of a space array is ``instance.spaces[i]``, of a
        request array ``instance.requests[i]``.
    space_in_pool, space_open_to_all : BoolArray
        Per space: in tonight's pool; open to every compound.
    space_size : numpy.ndarray of int8
        Per space: its `Size`.
    space_features : IntArray
        Per space: its features as bits (one bit per feature some space offers).
    space_charging_only : BoolArray
        Per space: its kind is kept for charging sessions (`Policy.charging_only_kinds`).
    space_x, space_y : FloatArray
        Per space: coordinates in metres.
    spaces_of_compound : dict of int to IntArray
        The spaces that name each compound (by compound index).
    window_start, window_end : IntArray
        Shape (spaces, most windows of one space): the availability windows, padded with empty
        ``[0, 0)`` windows.
    request_arrive, request_depart : IntArray
        Per request: its stay in night minutes.
    request_size : numpy.ndarray of int8
        Per request: the car's `Size`.
    request_needs : IntArray
        Per request: needed features as bits.
    request_unknown_need : BoolArray
        Per request: it needs a feature no space offers (which no bit can express).
    request_charging : BoolArray
        Per request: it is a charging session.
    request_x, request_y : FloatArray
        Per request: its household's coordinates.
    request_compound : numpy.ndarray of int32
        Per request: its household's compound index, `NO_COMPOUND` for none.
    max_walk : int or None
        The plan's walking limit in metres.
    forbidden : set of (int, int)
        (request index, space index) of every forbid pin.
    """

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

        self.space_in_pool: BoolArray = np.array([s.in_pool for s in spaces], dtype=bool)
        self.space_size: npt.NDArray[np.int8] = np.array(
            [int(s.size) for s in spaces], dtype=np.int8
        )
        self.space_features: IntArray = np.array(
            [_mask(s.features, feature_bits) for s in spaces], dtype=np.int64
        )
        charging_only_kinds = instance.policy.charging_only_kinds
        self.space_charging_only: BoolArray = np.array(
            [s.kind in charging_only_kinds for s in spaces], dtype=bool
        )
        self.space_x: FloatArray = np.array([s.x for s in spaces], dtype=np.float64)
        self.space_y: FloatArray = np.array([s.y for s in spaces], dtype=np.float64)
        self.space_open_to_all: BoolArray = np.array([not s.compounds for s in spaces], dtype=bool)
        members: dict[int, list[int]] = {}
        for index, space in enumerate(spaces):
            for compound in space.compounds:
                members.setdefault(compounds[compound], []).append(index)
        self.spaces_of_compound: dict[int, IntArray] = {
            c: np.array(indices, dtype=np.int64) for c, indices in members.items()
        }
        windows = [instance.windows_of(s) for s in spaces]
        most = max((len(w) for w in windows), default=1)
        # Padding windows are empty ([0, 0)) and so hold no stay.
        self.window_start: IntArray = np.zeros((len(spaces), most), dtype=np.int64)
        self.window_end: IntArray = np.zeros((len(spaces), most), dtype=np.int64)
        for index, space_windows in enumerate(windows):
            for slot, window in enumerate(space_windows):
                self.window_start[index, slot] = window.start
                self.window_end[index, slot] = window.end

        self.request_arrive: IntArray = np.array([r.arrive for r in requests], dtype=np.int64)
        self.request_depart: IntArray = np.array([r.depart for r in requests], dtype=np.int64)
        self.request_size: npt.NDArray[np.int8] = np.array(
            [int(r.size) for r in requests], dtype=np.int8
        )
        self.request_needs: IntArray = np.array(
            [_mask(r.needs, feature_bits) for r in requests], dtype=np.int64
        )
        self.request_charging: BoolArray = np.array([r.charging for r in requests], dtype=bool)
        self.request_x: FloatArray = np.array([h.x for h in households], dtype=np.float64)
        self.request_y: FloatArray = np.array([h.y for h in households], dtype=np.float64)
        self.request_compound: npt.NDArray[np.int32] = np.array(
            [NO_COMPOUND if h.compound is None else compounds[h.compound] for h in households],
            dtype=np.int32,
        )
        # A feature nobody offers cannot be expressed as a bit; such a need is never met.
        self.request_unknown_need: BoolArray = np.array(
            [bool(r.needs - feature_bits.keys()) for r in requests], dtype=bool
        )

        self.max_walk: int | None = instance.policy.max_walk_m
        space_index = {s.id: i for i, s in enumerate(spaces)}
        request_index = {r.id: i for i, r in enumerate(requests)}
        self.forbidden = {
            (request_index[p.request], space_index[p.space])
            for p in instance.pins
            if p.action is PinAction.FORBID
        }

    def walk(self, rows: IntArray, cols: IntArray | None = None) -> IntArray:
        """Whole metres from each request's household to each space (straight line, rounded).

        Parameters
        ----------
        rows : IntArray
            Request indices.
        cols : IntArray, optional
            Space indices; all spaces by default.

        Returns
        -------
        IntArray
            Shape ``(len(rows), len(cols))``.
        """
        cols = self.all_spaces if cols is None else cols
        dx = self.space_x[None, cols] - self.request_x[rows, None]
        dy = self.space_y[None, cols] - self.request_y[rows, None]
        return np.rint(np.hypot(dx, dy)).astype(np.int64)

    @property
    def all_spaces(self) -> IntArray:
        """The index of every space."""
        return np.arange(len(self.space_size), dtype=np.int64)

    def failures(
        self, rows: IntArray, walk: IntArray | None = None, cols: IntArray | None = None
    ) -> dict[Rule, BoolArray]:
        """Where each rule excludes a space, for requests `rows` against spaces `cols`.

        Parameters
        ----------
        rows : IntArray
            Request indices.
        walk : IntArray, optional
            Their walks to `cols` (`walk(rows, cols)`), when already computed.
        cols : IntArray, optional
            Space indices; all spaces by default.

        Returns
        -------
        dict of Rule to BoolArray
            For every rule of `engine.rules.HARD_RULES`, in their order, a boolean array of shape
            ``(len(rows), len(cols))``, True where that rule excludes the space.
        """
        block = Block(self, rows, self.all_spaces if cols is None else cols, walk)
        return {hard.rule: hard.refuses(block) for hard in rules.HARD_RULES}

    def open_spaces(self, compound: int) -> IntArray:
        """Indices of the spaces that residents of `compound` may use.

        Parameters
        ----------
        compound : int
            A compound index (`request_compound`); `NO_COMPOUND` opens every space.

        Returns
        -------
        IntArray
            Space indices, ascending.
        """
        if compound == NO_COMPOUND:
            return self.all_spaces
        open_here = self.space_open_to_all.copy()
        open_here[self.spaces_of_compound.get(compound, np.zeros(0, dtype=np.int64))] = True
        return np.flatnonzero(open_here)

    def blocks(self, rows: IntArray | None = None) -> Iterator[tuple[IntArray, IntArray]]:
        """(requests, spaces) blocks covering every pair that the compound rule allows.

        Requests are grouped by compound and paired only with the spaces open to it, so a district
        of many compounds never builds the full requests x spaces table.

        Parameters
        ----------
        rows : IntArray, optional
            The requests to cover; all by default.

        Yields
        ------
        tuple of (IntArray, IntArray)
            Request indices and space indices of one block, at most about four million pairs.
        """
        rows = np.arange(len(self.request_arrive), dtype=np.int64) if rows is None else rows
        for compound in np.unique(self.request_compound[rows]).tolist():
            group = rows[self.request_compound[rows] == compound]
            cols = self.open_spaces(compound)
            step = max(1, _BLOCK_CELLS // max(1, len(cols)))
            for first in range(0, len(group), step):
                yield group[first : first + step], cols

    def eligible_pairs(self) -> EligiblePairs:
        """Every pair that no rule excludes, by request, then space.

        Returns
        -------
        EligiblePairs
            The pairs and their walks.
        """
        requests, spaces, walks = [], [], []
        for rows, cols in self.blocks():
            walk = self.walk(rows, cols)
            ok = ~np.logical_or.reduce(list(self.failures(rows, walk, cols).values()))
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
