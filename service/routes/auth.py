"""Sign in, activate a household's account with the office's code, sign out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import delete, select

from service.deps import AccountDep, NowDep, SessionDep, SettingsDep, as_utc
from service.models import Account, AuditEntry, Token
from service.schemas import ActivateIn, LoginIn, TokenOut, problems
from service.security import hash_secret, new_token, verify_secret

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=problems(401, 429))


def _issue(session, account: Account, now, settings) -> TokenOut:
    token, digest = new_token()
    expires = now + timedelta(hours=settings.token_hours)
    session.add(Token(digest=digest, account_id=account.id, expires_at=expires))
    return TokenOut(access_token=token, expires_at=expires, role=account.role)


_MAX_UNKNOWN_NAMES = 10_000


class TooManySignIns(HTTPException):
    """429, with the moment sign-ins are taken again (for a page to say in local time)."""

    def __init__(self, retry: datetime) -> None:
        super().__init__(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed sign-ins; try again after {retry.astimezone(UTC):%H:%M} UTC",
        )
        self.retry = retry


def _too_many(first_failure, window: timedelta) -> TooManySignIns:
    return TooManySignIns(as_utc(first_failure) + window)


@router.post("/login", response_model=TokenOut)
def login(
    body: LoginIn, session: SessionDep, now: NowDep, settings: SettingsDep, request: Request
) -> TokenOut:
    account = session.scalar(select(Account).where(Account.username == body.username))
    refused = HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    window = timedelta(minutes=settings.login_window_minutes)
    if account is None:
        # Unknown names are counted too (in memory), so that a lock-out does not tell which exist.
        failures = request.app.state.unknown_login_failures
        count, first = failures.get(body.username, (0, now))
        if first + window <= now:
            count, first = 0, now
        if count >= settings.login_attempts:
            raise _too_many(first, window)
        if len(failures) >= _MAX_UNKNOWN_NAMES:
            # Bounded memory under a flood of invented names: forget the expired ones, then all.
            for name in [n for n, (_, since) in failures.items() if since + window <= now]:
                del failures[name]
            if len(failures) >= _MAX_UNKNOWN_NAMES:
                failures.clear()
        failures[body.username] = (count + 1, first)
        raise refused
    if account.first_failure_at is not None and as_utc(account.first_failure_at) + window <= now:
        account.failed_logins, account.first_failure_at = 0, None
    if account.failed_logins >= settings.login_attempts:
        raise _too_many(account.first_failure_at, window)
    if not verify_secret(account.password_hash, body.password):
        account.failed_logins += 1
        account.first_failure_at = account.first_failure_at or now
        session.commit()
        raise refused
    account.failed_logins, account.first_failure_at = 0, None
    issued = _issue(session, account, now, settings)
    session.commit()
    return issued


@router.post("/activate", response_model=TokenOut)
def activate(body: ActivateIn, session: SessionDep, now: NowDep, settings: SettingsDep) -> TokenOut:
    """Set the household account's password with the one-time code from the office, and sign in."""
    account = session.scalar(select(Account).where(Account.username == body.username))
    if account is None or not verify_secret(account.activation_hash, body.code.strip().upper()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong username or activation code (codes work once; ask the office for a new one)",
        )
    account.password_hash = hash_secret(body.password)
    account.activation_hash = None
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=account.compound_id,
            action="activate",
            detail=account.username,
        )
    )
    issued = _issue(session, account, now, settings)
    session.commit()
    return issued


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, account: AccountDep) -> None:
    session.execute(delete(Token).where(Token.account_id == account.id))
    session.commit()
