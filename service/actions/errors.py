"""The refusals of the application layer, each with a code that names it.

The API turns the kind into an HTTP status (`service.main`), the pages turn the code into a
sentence in the reader's language (`service.web.common.error_lines`); the message is the English
sentence the API answers with. Neither reads the other's shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


class DomainError(Exception):
    """A request the rules refuse.

    Parameters
    ----------
    code
        What was refused, as a short name (``cutoff_passed``); the pages' texts are keyed by it.
    message
        The reason in one English sentence, naming what the caller needs to know.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(DomainError):
    """No such object for this caller (another household's or compound's looks the same)."""


class Conflict(DomainError):
    """The state does not allow it now (the night's cutoff passed, a run is going on, ...)."""


class Forbidden(DomainError):
    """Signed in, but this is for another role."""


class Unauthorised(DomainError):
    """Not signed in, or the credentials are wrong."""


class TooManyAttempts(DomainError):
    """Too many failed tries; `retry` is when they are taken again."""

    def __init__(self, code: str, message: str, retry: datetime) -> None:
        super().__init__(code, message)
        self.retry = retry


def field_name(location: Sequence[str | int]) -> str:
    """The last name in a location: ``("body", "windows", 0)`` and ``("body", "windows[0]")``
    give ``windows``."""
    name = next((part for part in reversed(location) if isinstance(part, str)), "-")
    return name.split("[", 1)[0]


@dataclass(frozen=True)
class FieldProblem:
    """One bad value: where it is (``("body", "arrive")``, ``("file", "line", 4, "x")``) and why."""

    location: tuple[str | int, ...]
    message: str
    # "duplicate" for a value that exists already; otherwise the value itself is wrong.
    kind: str = "value_error"
    # Names the problem where the field alone does not say it (a date before another).
    code: str | None = None

    @property
    def field(self) -> str:
        return field_name(self.location)


class InvalidInput(DomainError):
    """Values of the right type that cannot be used, each named by where it is."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("invalid_input", "; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class InvalidField(InvalidInput):
    """One field of the body that cannot be used."""

    def __init__(self, field: str, message: str, code: str | None = None) -> None:
        super().__init__([FieldProblem(("body", field), message, code=code)])
        self.field = field
        self.message = message
