"""The audit log: who did what to a compound, when and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.models import Account, AuditEntry, Compound


def record(
    session: Session, compound: Compound, account: Account, now: datetime, action: str, detail: str
) -> None:
    """One entry of a staff member's action, in the caller's transaction."""
    session.add(
        AuditEntry(
            at=now, account_id=account.id, compound_id=compound.id, action=action, detail=detail
        )
    )
