"""The audit log: who did what to a compound, when and why.

Each entry keeps its action and the parameters of its detail (evening, space, plate, reason,
...). The API reads the detail in English, made here from ``DETAILS``; pages say the same
parameters in the reader's language (``audit.detail.<action>`` in the phrasebook), so that a
Chinese page holds no English.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from sqlalchemy.orm import Session

from service.models import Account, AuditEntry, Compound

Param = str | int | list[str]

# The English detail of each action; the placeholders are the entry's parameters.
DETAILS: dict[str, str] = {
    "import": "{name}: {spaces} spaces, {households} households",
    "activate": "{username}",
    "run": "night {evening}: run {run}, {status}",
    "publish": "night {evening}: run {run}",
    "import households": "{count} from {filename}",
    "cancel request": "{household} {plate} night {evening}",
    "take back release": "{household} {space}: {evenings}",
    "create space": "{space}",
    "change space": "{space}: {fields}",
    "create household": "{household}",
    "change household": "{household}: {fields}",
    "activation code": "{household}",
    "pin force": "night {evening}: request {request} {space}: {reason}",
    "pin forbid": "night {evening}: request {request} {space}: {reason}",
    "unpin": "night {evening}: pin {pin}",
    "urgent request": "night {evening}: {household} {plate}: {reason}",
    "withdraw release": "night {evening}: {space}: {reason}",
    "overstays": "night {evening}: {spaces}",
    "space reported": "night {evening}: {household} reports {space} taken ({plate})",
    "close report": "report {report} on {space}: {note}",
    "message": "to household {to}",
    "message night": "night {evening}: to every household {to} ({households})",
    "create ballot": "ballot {ballot}: {question}",
    "paper vote": "ballot {ballot}: {household}",
    "close ballot": "ballot {ballot}",
    "adopt plan": "ballot {ballot}: the decided plan from {evening}",
    "check in": "night {evening}: {plate} checked in on {space}",
    "gate check in": "night {evening}: {plate} checked in on {space} at the gate",
    "left": "night {evening}: {plate} left {space}",
    "no show": "night {evening}: {household} {plate} did not come to {space}",
    "give back": "night {evening}: {household} gave back {space} ({plate})",
    "release tonight": "night {evening}: {household} released {space} after publishing",
    "space offered": "night {evening}: {space} offered to {household} {plate}, "
    "number {position} on the waiting list at priority {priority}",
    "space given": "night {evening}: {space} given to {household} {plate}, "
    "number {position} on the waiting list at priority {priority}",
    "offer taken": "night {evening}: {household} took {space}",
    "offer passed on": "night {evening}: {household} let {space} pass on",
    "offer expired": "night {evening}: {household} did not answer for {space}; it passed on",
    "unauthorised car": "night {evening}: {plate} on {space} has no stay tonight: {note}",
}


def english_detail(action: str, params: dict[str, Param]) -> str:
    """The entry's detail in English: lists joined by commas, an empty list as "none"."""
    said = {
        name: (", ".join(value) or "none") if isinstance(value, list) else value
        for name, value in params.items()
    }
    return DETAILS[action].format(**said)


class Origin(TypedDict):
    """Where, by whom and when: the first arguments of ``record``."""

    compound_id: str
    account_id: int | None
    at: datetime


def by(compound: Compound, account: Account, now: datetime) -> Origin:
    """The origin of a staff member's entry."""
    return Origin(compound_id=compound.id, account_id=account.id, at=now)


def record(
    session: Session,
    *,
    compound_id: str,
    account_id: int | None,
    at: datetime,
    action: str,
    **params: Param | date,
) -> None:
    """One entry in the caller's transaction; dates are kept as ISO text."""
    kept: dict[str, Param] = {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in params.items()
    }
    session.add(
        AuditEntry(
            at=at,
            account_id=account_id,
            compound_id=compound_id,
            action=action,
            detail=english_detail(action, kept),
            params=kept,
        )
    )
