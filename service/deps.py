"""What routes depend on: a session, the clock, the caller's account and role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.models import Account, Compound, Household, Role, Token
from service.security import token_digest
from service.settings import Settings

_bearer = HTTPBearer(auto_error=False)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    # An async dependency, so that closing the session (and returning its connection) runs on the
    # event loop: a sync one would wait for a free worker thread, and under a rush every worker
    # can be waiting for a connection that only that closing would free.
    with request.app.state.sessions() as session:
        yield session


def get_now() -> datetime:
    """Now, in UTC; tests replace it to stand before or after a cutoff."""
    return datetime.now(UTC)


SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_account(
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    unauthorised = HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "sign in first (Authorization: Bearer <token>)",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None:
        raise unauthorised
    token = session.get(Token, token_digest(credentials.credentials))
    if token is None or as_utc(token.expires_at) <= now:
        raise unauthorised
    return session.get(Account, token.account_id)


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


AccountDep = Annotated[Account, Depends(current_account)]


def resident_household(session: SessionDep, account: AccountDep) -> Household:
    if account.role != Role.RESIDENT.value or account.household_id is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only residents have a household; staff use /api/v1/compounds/...",
        )
    return session.get(Household, account.household_id)


def staff_compound(compound_id: str, session: SessionDep, account: AccountDep) -> Compound:
    if account.role != Role.STAFF.value:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")
    compound = session.get(Compound, compound_id)
    # Staff of another compound learn nothing, not even that this one exists.
    if compound is None or account.compound_id != compound_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no compound {compound_id!r}")
    return compound


HouseholdDep = Annotated[Household, Depends(resident_household)]
StaffCompoundDep = Annotated[Compound, Depends(staff_compound)]
