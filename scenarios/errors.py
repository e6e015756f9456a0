"""The one error the scenario edge raises: every problem with its path."""

from __future__ import annotations

from collections.abc import Sequence


class ScenarioError(Exception):
    """A scenario that cannot be used; `problems` lists (path, message) pairs."""

    def __init__(
        self, source: str, problems: Sequence[tuple[str, str]], what: str = "scenario"
    ) -> None:
        self.source = source
        self.problems = list(problems)
        self.what = what
        super().__init__(self.render())

    def render(self, most: int = 20) -> str:
        lines = [
            f"{path}: {message}" if path else message for path, message in self.problems[:most]
        ]
        if len(self.problems) > most:
            lines.append(f"... and {len(self.problems) - most} more problems")
        return f"{self.source} is not a valid {self.what}:\n  " + "\n  ".join(lines)
