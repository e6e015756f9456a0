"""Signing in and out, and activating a household's account with the office's one-time code.

A token is handed out once and only its digest is stored. Too many failed sign-ins lock an account
for a while; names no account has are counted too (in memory), so that a lock-out does not tell
which usernames exist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.actions.errors import TooManyAttempts, Unauthorised
from service.models import Account, AuditEntry, Role, Token, as_utc
from service.schemas import ActivateIn, TokenOut
from service.security import hash_secret, new_token, token_digest, verify_secret
from service.settings import Settings


class UnknownNames:
    """Failed sign-ins under names no account has: name -> (failures, first failure), bounded."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self.failures: dict[str, tuple[int, datetime]] = {}

    def check_and_count(self, username: str, now: datetime, settings: Settings) -> None:
        """Count one more failure for `username`; TooManyAttempts once it has had its tries."""
        window = timedelta(minutes=settings.login_window_minutes)
        count, first = self.failures.get(username, (0, now))
        if first + window <= now:
            count, first = 0, now
        if count >= settings.login_attempts:
            raise _too_many(first + window)
        if len(self.failures) >= self.LIMIT:
            # Bounded memory under a flood of invented names: forget the expired ones, then all.
            for name in [n for n, (_, since) in self.failures.items() if since + window <= now]:
                del self.failures[name]
            if len(self.failures) >= self.LIMIT:
                self.failures.clear()
        self.failures[username] = (count + 1, first)


def _too_many(retry: datetime) -> TooManyAttempts:
    return TooManyAttempts(
        "too_many_sign_ins",
        f"too many failed sign-ins; try again after {retry.astimezone(UTC):%H:%M} UTC",
        retry,
    )


def _issue(session: Session, account: Account, now: datetime, hours: float) -> TokenOut:
    token, digest = new_token()
    expires = now + timedelta(hours=hours)
    session.add(Token(digest=digest, account_id=account.id, expires_at=expires))
    return TokenOut(access_token=token, expires_at=expires, role=account.role)


def session_hours(role: str, settings: Settings, for_pages: bool) -> float:
    """How long a sign-in lasts: a resident's page session longer, so that the phone that asked
    in the evening still shows the space in the morning."""
    resident_page = for_pages and role == Role.RESIDENT.value
    return settings.resident_session_hours if resident_page else settings.token_hours


_WRONG_LOGIN = "wrong username or password"


def login(
    *,
    session: Session,
    username: str,
    password: str,
    now: datetime,
    settings: Settings,
    unknown_names: UnknownNames,
    for_pages: bool = False,
) -> TokenOut:
    """A token for the account; Unauthorised for a wrong name or password, TooManyAttempts while
    the account (or the unknown name) is locked."""
    account = session.scalar(select(Account).where(Account.username == username))
    window = timedelta(minutes=settings.login_window_minutes)
    if account is None:
        unknown_names.check_and_count(username, now, settings)
        raise Unauthorised("wrong_login", _WRONG_LOGIN)
    if account.first_failure_at is not None and as_utc(account.first_failure_at) + window <= now:
        account.failed_logins, account.first_failure_at = 0, None
    if account.failed_logins >= settings.login_attempts and account.first_failure_at is not None:
        raise _too_many(as_utc(account.first_failure_at) + window)
    if not verify_secret(account.password_hash, password):
        account.failed_logins += 1
        account.first_failure_at = account.first_failure_at or now
        session.commit()
        raise Unauthorised("wrong_login", _WRONG_LOGIN)
    account.failed_logins, account.first_failure_at = 0, None
    issued = _issue(session, account, now, session_hours(account.role, settings, for_pages))
    session.commit()
    return issued


def activate(
    *,
    session: Session,
    body: ActivateIn,
    now: datetime,
    settings: Settings,
    for_pages: bool = False,
) -> TokenOut:
    """Set the household account's password with the one-time code from the office, and sign in."""
    account = session.scalar(select(Account).where(Account.username == body.username))
    if account is None or not verify_secret(account.activation_hash, body.code.strip().upper()):
        raise Unauthorised(
            "wrong_activation",
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
    issued = _issue(session, account, now, session_hours(account.role, settings, for_pages))
    session.commit()
    return issued


def account_of_token(*, session: Session, token: str, now: datetime) -> Account | None:
    """The account a bearer token (or session cookie) signs in, while it has not expired."""
    stored = session.get(Token, token_digest(token))
    if stored is None or as_utc(stored.expires_at) <= now:
        return None
    return session.get(Account, stored.account_id)


def logout(*, session: Session, account: Account) -> None:
    """End every session of the account."""
    session.execute(delete(Token).where(Token.account_id == account.id))
    session.commit()


def sign_out(*, session: Session, token: str) -> None:
    """End one session: the page's own."""
    session.execute(delete(Token).where(Token.digest == token_digest(token)))
    session.commit()


def account_zone(*, session: Session, username: str, default: str) -> str:
    """The time zone an account's compound keeps (for telling when a lock-out ends)."""
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        return default
    from service.models import Compound

    compound = session.get(Compound, account.compound_id)
    return compound.timezone if compound is not None else default
