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


def sentence(phrase: str, language: str) -> str:
    """A phrase (the engine's, lower case without a stop) as a sentence of `language`: capital
    and full stop in English, 。 in Chinese."""
    if not phrase:
        return phrase
    if language == "zh":
        return phrase if phrase.endswith("。") else phrase + "。"
    return phrase[0].upper() + phrase[1:] + ("" if phrase.endswith(".") else ".")
