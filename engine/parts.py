"""Split a night into sub-nights that share nothing, so that they can be solved on many workers.

Compounds are linked when a space serves several of them (a street shared by neighbours). Each
group of linked compounds, with its spaces, households, requests, history and pins, is a night of
its own: the lexicographic optimum of the whole is the union of the parts' optima.
"""

from __future__ import annotations

from dataclasses import replace

from engine.model import Instance, PinAction


def independent_parts(instance: Instance) -> list[Instance]:
    """The sub-nights, or just the night itself when something links every compound.

    A space open to every compound, a household without a compound, or a forced pin across groups
    keeps the night whole.

    Parameters
    ----------
    instance : Instance
        The night.

    Returns
    -------
    list of Instance
        Nights that share no space, household, request, history entry or pin, each named after
        the night with its compounds in brackets; their optima together are the night's.
    """
    compound_of = {h.id: h.compound for h in instance.households if h.compound is not None}
    if any(not space.compounds for space in instance.spaces) or len(compound_of) < len(
        instance.households
    ):
        return [instance]
    leader: dict[str, str] = {}

    def find(compound: str) -> str:
        while leader.setdefault(compound, compound) != compound:
            leader[compound] = leader[leader[compound]]
            compound = leader[compound]
        return compound

    for space in instance.spaces:
        first, *others = sorted(space.compounds)
        for other in others:
            leader[find(other)] = find(first)
    for compound in compound_of.values():
        find(compound)
    groups: dict[str, set[str]] = {}
    for compound in leader:
        groups.setdefault(find(compound), set()).add(compound)
    if len(groups) == 1:
        return [instance]

    group_of = {compound: root for root, members in groups.items() for compound in members}
    space_group = {space.id: group_of[next(iter(space.compounds))] for space in instance.spaces}
    household_group = {household: group_of[c] for household, c in compound_of.items()}
    request_group = {r.id: household_group[r.household] for r in instance.requests}
    if any(
        pin.action is PinAction.FORCE and space_group[pin.space] != request_group[pin.request]
        for pin in instance.pins
    ):
        return [instance]

    parts = []
    for root in sorted(groups):
        parts.append(
            replace(
                instance,
                name=f"{instance.name} [{', '.join(sorted(groups[root]))}]",
                spaces=tuple(s for s in instance.spaces if space_group[s.id] == root),
                households=tuple(h for h in instance.households if household_group[h.id] == root),
                requests=tuple(r for r in instance.requests if request_group[r.id] == root),
                history=tuple(
                    replace(
                        e,
                        last_space=e.last_space
                        if space_group.get(e.last_space or "") == root
                        else None,
                    )
                    for e in instance.history
                    if household_group[e.household] == root
                ),
                # A forbid pin onto another group's space can never matter there.
                pins=tuple(
                    p
                    for p in instance.pins
                    if request_group[p.request] == root and space_group[p.space] == root
                ),
            )
        )
    return parts
