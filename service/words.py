"""Formatting shared by the pages' and the notifications' phrasebooks."""

from __future__ import annotations

import string


class Phrases(string.Formatter):
    """str.format, and English plurals: ``{count:car|cars}`` says "1 car" and "2 cars"."""

    def format_field(self, value: object, format_spec: str) -> str:
        if "|" in format_spec and isinstance(value, int):
            one, many = format_spec.split("|", 1)
            return f"{value} {one if value == 1 else many}"
        return str(super().format_field(value, format_spec))


PHRASES = Phrases()
