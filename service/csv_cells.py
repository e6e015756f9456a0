"""CSV cells that no spreadsheet runs: every CSV the service writes (the gate list, the check-in
sessions) passes each cell through `inert_cell`."""

from __future__ import annotations

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (also
# in their fullwidth forms, which a Chinese input method types).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def inert_cell(value: str) -> str:
    """A cell no spreadsheet runs as a formula (OWASP's rule for CSV injection: a single quote
    before a cell that starts like one; the quote shows, the cell's text stays readable)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
