"""Interchangeable spaces, merged into groups, and a per-space allocation recovered by colouring.

Two spaces of a part are interchangeable when they have the same eligible requests and every
tier values each of those requests the same on both: the same walk (within the rounding to whole
metres) and the same "last night's space" relevance. Swapping the stays of two such spaces then
changes nothing, so a group of k of them is modelled by one choice per (request, group) and a
capacity: at every instant at most k chosen stays of the group are present. The stays are
intervals ``[arrive, depart + turnover)``; interval graphs are perfect, so a set of stays that
never has more than k present at once fits on k spaces, and a sweep by arrival (`colour`) finds
the spaces. The model is exact, not a relaxation.

Forced and forbid pins need nothing special: a forbid pin removes a pair and a forced pin removes
the pairs that clash with the pinned stay, so the space's eligible requests differ from its
neighbours' and it leaves their group (unless the pin changes nothing for it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from engine.arrays import IntArray
from engine.solver.objective import Tier
from engine.solver.problem import Component, Problem


@dataclass(frozen=True)
class Grouping:
    """A part's spaces in interchangeable groups, and its pairs merged per (request, group).

    Attributes
    ----------
    spaces : list of IntArray
        Per group, its space indices, ascending; groups are ordered by their first space.
    choice_request, choice_group : IntArray
        Per merged choice: its request index and its group.
    choice_pair : IntArray
        Per merged choice: its pair on the group's first space, whose tier values are those of
        every pair it stands for.
    pair_key, pair_index : IntArray
        The part's pairs as keys ``request * spaces + space`` (ascending, `spaces` the night's
        number of spaces) and their pair indices: `pairs_at` looks pairs up by them.
    """

    spaces: list[IntArray]
    choice_request: IntArray
    choice_group: IntArray
    choice_pair: IntArray
    pair_key: IntArray
    pair_index: IntArray

    def pairs_at(self, requests: IntArray, spaces: IntArray, problem: Problem) -> IntArray:
        """The pair indices of (request, space) index pairs, each a pair of the part.

        Parameters
        ----------
        requests, spaces : IntArray
            Request and space indices, position by position.
        problem : Problem
            The compiled night.

        Returns
        -------
        IntArray
            The pairs' indices into the problem's pair arrays.
        """
        keys = requests * len(problem.instance.spaces) + spaces
        found: IntArray = self.pair_index[np.searchsorted(self.pair_key, keys)]
        return found

    @property
    def capacity(self) -> IntArray:
        """Per group: its number of spaces."""
        return np.array([len(members) for members in self.spaces], dtype=np.int64)

    def choices_of(self, pairs: IntArray, problem: Problem) -> IntArray:
        """The merged choices that `pairs` (chosen pairs of the part) make, ascending.

        Parameters
        ----------
        pairs : IntArray
            Indices into the problem's pair arrays, each of this part.
        problem : Problem
            The compiled night.

        Returns
        -------
        IntArray
            Indices of the choices.
        """
        group_of_space = {s: g for g, members in enumerate(self.spaces) for s in members.tolist()}
        index = {
            (r, g): c
            for c, (r, g) in enumerate(
                zip(self.choice_request.tolist(), self.choice_group.tolist())
            )
        }
        return np.array(
            sorted(
                index[(r, group_of_space[s])]
                for r, s in zip(
                    problem.pair_request[pairs].tolist(), problem.pair_space[pairs].tolist()
                )
            ),
            dtype=np.int64,
        )


def group_spaces(problem: Problem, component: Component, tiers: list[Tier]) -> Grouping:
    """Merge the part's interchangeable spaces.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    component : Component
        The part.
    tiers : list of Tier
        The objective: spaces are merged only where every tier that depends on the space
        (`Tier.per_request` false: walking, stability) gives each request the same value.

    Returns
    -------
    Grouping
        The groups and the merged choices.
    """
    pairs = component.pairs
    order = pairs[np.lexsort((problem.pair_request[pairs], problem.pair_space[pairs]))]
    space = problem.pair_space[order]
    starts = np.flatnonzero(np.r_[True, np.diff(space) != 0])
    ends = np.r_[starts[1:], len(order)]
    # A space's signature: its requests and, for each, the value of every per-space tier.
    columns = np.stack(
        [problem.pair_request[order]]
        + [tier.value[order] for tier in tiers if not tier.per_request],
        axis=1,
    )
    members: dict[bytes, list[int]] = defaultdict(list)
    first_pairs: dict[bytes, IntArray] = {}
    for start, end in zip(starts.tolist(), ends.tolist()):
        signature = columns[start:end].tobytes()
        members[signature].append(int(space[start]))
        first_pairs.setdefault(signature, order[start:end])
    # Dicts keep insertion order and spaces come ascending: groups are ordered by first space.
    spaces = [np.array(group, dtype=np.int64) for group in members.values()]
    representatives = list(first_pairs.values())
    choice_pair = np.concatenate(representatives)
    keys = problem.pair_request[pairs] * len(problem.instance.spaces) + problem.pair_space[pairs]
    by_key = np.argsort(keys, kind="stable")
    return Grouping(
        spaces=spaces,
        choice_request=problem.pair_request[choice_pair],
        choice_group=np.repeat(
            np.arange(len(spaces), dtype=np.int64), [len(r) for r in representatives]
        ),
        choice_pair=choice_pair,
        pair_key=keys[by_key],
        pair_index=pairs[by_key],
    )


def maximal_cliques(stays: list[tuple[int, int]]) -> list[list[int]]:
    """Maximal sets of stays present at one instant, by a sweep over arrivals and departures.

    Stays are half-open [arrive, leave): one leaving at t and one arriving at t do not meet, so
    departures sort before arrivals at equal times. The set present right after an arrival is
    maximal exactly when the next event is a departure.

    Parameters
    ----------
    stays : list of (int, int)
        ``(arrive, leave)`` of each stay, turnover included in `leave`.

    Returns
    -------
    list of list of int
        Each maximal clique of two or more stays, as ascending positions in `stays`.
    """
    events = sorted(
        [(leave, 0, i) for i, (_, leave) in enumerate(stays)]
        + [(arrive, 1, i) for i, (arrive, _) in enumerate(stays)]
    )
    present: set[int] = set()
    cliques: list[list[int]] = []
    for position, (_, is_arrival, stay) in enumerate(events):
        if not is_arrival:
            present.discard(stay)
            continue
        present.add(stay)
        next_is_departure = position + 1 == len(events) or not events[position + 1][1]
        if next_is_departure and len(present) > 1:
            cliques.append(sorted(present))
    return cliques


def colour(problem: Problem, grouping: Grouping, choices: IntArray) -> IntArray:
    """A space for each chosen stay, so that no two stays on one space overlap.

    Each group's stays are placed by arrival (then request order), each on the group's first
    space that is free by then, turnover included. When at most k of a group's stays are
    present at any instant, this never runs out of its k spaces (interval graphs are perfect).

    Parameters
    ----------
    problem : Problem
        The compiled night.
    grouping : Grouping
        The part's groups.
    choices : IntArray
        Chosen merged choices; at any instant at most a group's capacity of them present.

    Returns
    -------
    IntArray
        The chosen pairs (indices into the problem's pair arrays), ascending.

    Raises
    ------
    ValueError
        When the choices overfill a group at some instant (the caller's model is wrong).
    """
    arrive = problem.table.request_arrive
    leave = problem.table.request_depart + problem.instance.policy.turnover_minutes
    chosen_requests: list[int] = []
    chosen_spaces: list[int] = []
    by_group: dict[int, list[int]] = defaultdict(list)
    for request, group in zip(
        grouping.choice_request[choices].tolist(), grouping.choice_group[choices].tolist()
    ):
        by_group[group].append(request)
    for group, requests in by_group.items():
        spaces = grouping.spaces[group].tolist()
        free_from = [np.iinfo(np.int64).min] * len(spaces)
        for request in sorted(requests, key=lambda r: (int(arrive[r]), r)):
            slot = next((i for i, free in enumerate(free_from) if free <= arrive[request]), None)
            if slot is None:
                raise ValueError(
                    f"more stays than the {len(spaces)} spaces of a group at "
                    f"night minute {int(arrive[request])}"
                )
            free_from[slot] = int(leave[request])
            chosen_requests.append(request)
            chosen_spaces.append(spaces[slot])
    pairs = grouping.pairs_at(
        np.array(chosen_requests, dtype=np.int64), np.array(chosen_spaces, dtype=np.int64), problem
    )
    return np.sort(pairs)
