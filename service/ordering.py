"""The order people read codes in: numbers inside a code compare as numbers, so that space 1-103
comes before 10-102, 2 before 10 and L-7 before L-12 (a database's ORDER BY and Python's sort
compare character by character and put 10-102 first).

Used by the application layer and the pages alike, wherever spaces, households or the gate
list's rows are listed for people: sort after loading, never by SQL's order of the codes.
"""

from __future__ import annotations

import re

# A digit run (ASCII only: codes are typed on the desk's keyboard and stored as typed).
_DIGITS = re.compile(r"([0-9]+)")


def natural_key(text: str) -> tuple[tuple[str | int, ...], str]:
    """A sort key: the text cut into letters and numbers, the numbers as integers (the parts
    alternate, text first, so a text part is only ever compared with a text part), then the text
    itself, so that "A-010" and "A-10" still sort one way and only equal texts tie."""
    parts: list[str | int] = []
    for index, part in enumerate(_DIGITS.split(text)):
        parts.append(int(part) if index % 2 else part)
    return tuple(parts), text
