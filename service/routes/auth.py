"""Sign in, activate a household's account with the office's code, sign out."""

from __future__ import annotations

from fastapi import APIRouter, status

from service.actions import accounts
from service.deps import AccountDep, NowDep, SessionDep, SettingsDep, UnknownNamesDep
from service.schemas import ActivateIn, LoginIn, TokenOut, problems

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=problems(401, 429))


@router.post("/login", response_model=TokenOut)
def login(
    body: LoginIn,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    unknown_names: UnknownNamesDep,
) -> TokenOut:
    return accounts.login(
        session=session,
        username=body.username,
        password=body.password,
        now=now,
        settings=settings,
        unknown_names=unknown_names,
    )


@router.post("/activate", response_model=TokenOut)
def activate(
    body: ActivateIn,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    unknown_names: UnknownNamesDep,
) -> TokenOut:
    """Set the household account's password with the one-time code from the office, and sign in."""
    return accounts.activate(
        session=session, body=body, now=now, settings=settings, unknown_names=unknown_names
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, account: AccountDep) -> None:
    """End every session of the caller's account."""
    accounts.logout(session=session, account=account)
