"""Signing in and out, and activating a household's account with the office's one-time code.

A token is handed out once and only its digest is stored. Too many failed sign-ins lock an account
for a while; names no account has are counted too (in memory), so that a lock-out does not tell
which usernames exist.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import CursorResult, case, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from service.actions import audit
from service.actions.errors import Forbidden, TooManyAttempts, Unauthorised
from service.models import Account, Compound, Household, Role, Token, as_utc
from service.schemas import ActivateIn, TokenOut
from service.security import hash_code, hash_secret, new_token, token_digest, verify_secret
from service.settings import Settings


class UnknownNames:
    """Failed tries under names no account has: name -> (failures, first failure), bounded, and
    counted under a lock (the service answers from many threads)."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self.failures: dict[str, tuple[int, datetime]] = {}
        self._lock = threading.Lock()

    def count(self, username: str, now: datetime, settings: Settings) -> None:
        """Count one more failure for `username`; TooManyAttempts once it has had its tries."""
        window = timedelta(minutes=settings.login_window_minutes)
        with self._lock:
            count, first = self.failures.get(username, (0, now))
            if first + window <= now:
                count, first = 0, now
            if count >= settings.login_attempts:
                raise _too_many(first + window)
            if len(self.failures) >= self.LIMIT:
                # Bounded memory under a flood of invented names: forget the expired, then all.
                expired = [n for n, (_, since) in self.failures.items() if since + window <= now]
                for name in expired:
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
_WRONG_CODE = "wrong username or activation code (codes work once; ask the office for a new one)"
# Checked when there is no secret to check (an unknown name, an account not yet activated), so
# that the answer takes as long as for a real one and does not tell which names exist.
_DUMMY = hash_secret(new_token()[0])
_DUMMY_CODE = hash_code(new_token()[0])


def _take_a_try(session: Session, account: Account, now: datetime, settings: Settings) -> None:
    """Count a try at the account's secret before checking it, in one statement; refuse with
    TooManyAttempts when the account has had its tries in the window. Counting first and in one
    UPDATE means concurrent guesses cannot slip past the limit, and the counter and its date
    always change together."""
    window_start = now - timedelta(minutes=settings.login_window_minutes)
    expired = or_(Account.first_failure_at.is_(None), Account.first_failure_at <= window_start)
    taken = session.execute(
        update(Account)
        .where(
            Account.id == account.id, or_(expired, Account.failed_logins < settings.login_attempts)
        )
        .values(
            failed_logins=case((expired, 1), else_=Account.failed_logins + 1),
            first_failure_at=case((expired, now), else_=Account.first_failure_at),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    assert isinstance(taken, CursorResult), "an UPDATE answers with a cursor"
    if not taken.rowcount:
        first = session.scalar(select(Account.first_failure_at).where(Account.id == account.id))
        raise _too_many(as_utc(first or now) + timedelta(minutes=settings.login_window_minutes))


def _succeeded(session: Session, account: Account) -> None:
    session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(failed_logins=0, first_failure_at=None)
        .execution_options(synchronize_session=False)
    )


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
    the account (or the unknown name) has had its tries."""
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        unknown_names.count(username, now, settings)
    else:
        _take_a_try(session, account, now, settings)
    if account is None or account.password_hash is None:
        verify_secret(_DUMMY, password)
        raise Unauthorised("wrong_login", _WRONG_LOGIN)
    if not verify_secret(account.password_hash, password):
        raise Unauthorised("wrong_login", _WRONG_LOGIN)
    _succeeded(session, account)
    issued = _issue(session, account, now, session_hours(account.role, settings, for_pages))
    session.commit()
    return issued


def activate(
    *,
    session: Session,
    body: ActivateIn,
    now: datetime,
    settings: Settings,
    unknown_names: UnknownNames,
    for_pages: bool = False,
) -> TokenOut:
    """Set the household account's password with the one-time code from the office, and sign in.
    Tries count as sign-in tries do: too many wrong codes lock the account for a while."""
    account = session.scalar(select(Account).where(Account.username == body.username))
    code = body.code.strip().upper()
    if account is None:
        unknown_names.count(body.username, now, settings)
    else:
        _take_a_try(session, account, now, settings)
    if account is None or account.activation_hash is None:
        verify_secret(_DUMMY_CODE, code)
        raise Unauthorised("wrong_activation", _WRONG_CODE)
    checked = account.activation_hash
    if not verify_secret(checked, code):
        raise Unauthorised("wrong_activation", _WRONG_CODE)
    password = hash_secret(body.password)  # the slow part, before any row is written
    # The code works once: of two activations with it at once, only one consumes it.
    consumed = session.execute(
        update(Account)
        .where(Account.id == account.id, Account.activation_hash == checked)
        .values(
            password_hash=password, activation_hash=None, failed_logins=0, first_failure_at=None
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(consumed, CursorResult), "an UPDATE answers with a cursor"
    if not consumed.rowcount:
        session.rollback()
        raise Unauthorised("wrong_activation", _WRONG_CODE)
    if account.compound_id is not None:
        audit.record(
            session,
            compound_id=account.compound_id,
            account_id=account.id,
            at=now,
            action="activate",
            username=account.username,
        )
    issued = _issue(session, account, now, session_hours(account.role, settings, for_pages))
    session.commit()
    return issued


def reset(*, session: Session, account: Account) -> None:
    """A new activation code was issued (a lost password, a stolen phone): the old password and
    every session of the account stop working, and a lock-out ends; the code sets a new
    password."""
    account.password_hash = None
    # A locked-out resident gets in again with the new code (the office has seen them).
    account.failed_logins, account.first_failure_at = 0, None
    session.execute(delete(Token).where(Token.account_id == account.id))


def account_of_token(*, session: Session, token: str, now: datetime) -> Account | None:
    """The account a bearer token (or session cookie) signs in, while it has not expired.

    One query, which also puts the account's household and compound in the session (every
    request asks for them next, and `Session.get` then finds them without a query).
    """
    (account,) = accounts_of_tokens(session=session, tokens=[(token, now)])
    return account


def accounts_of_tokens(
    *, session: Session, tokens: Sequence[tuple[str | None, datetime]]
) -> list[Account | None]:
    """`account_of_token` for several (token, now) pairs, in one query (None for no token)."""
    digests = [None if token is None else token_digest(token) for token, _ in tokens]
    found = {
        row.digest: (row.Account, as_utc(row.expires_at))
        for row in session.execute(
            select(Account, Token.digest, Token.expires_at)
            .join(Token, Token.account_id == Account.id)
            .options(joinedload(Account.household), joinedload(Account.compound))
            .where(Token.digest.in_(sorted({d for d in digests if d is not None})))
        )
    }
    accounts: list[Account | None] = []
    for digest, (_, now) in zip(digests, tokens, strict=True):
        account, expires_at = found.get(digest, (None, now)) if digest else (None, now)
        accounts.append(account if expires_at > now else None)
    return accounts


SIGN_IN_FIRST = "sign in first (Authorization: Bearer <token>)"


def resident_household(account: Account | None) -> Household:
    """The household of a resident's account: Unauthorised without one (no or an expired token),
    Forbidden for staff."""
    if account is None:
        raise Unauthorised("sign_in_first", SIGN_IN_FIRST)
    household = account.household
    if account.role != Role.RESIDENT.value or household is None:
        raise Forbidden(
            "residents_only",
            "only residents have a household; staff use /api/v1/compounds/...",
        )
    return household


def logout(*, session: Session, account: Account) -> None:
    """End every session of the account."""
    session.execute(delete(Token).where(Token.account_id == account.id))
    session.commit()


def sign_out(*, session: Session, token: str) -> None:
    """End one session: the page's own."""
    session.execute(delete(Token).where(Token.digest == token_digest(token)))
    session.commit()


def username_zone(*, session: Session, username: str, default: str) -> str:
    """The time zone to tell a lock-out's end in: that of the compound the username names
    (residents sign in as compound/flat), whether or not the account exists, so that the answer
    does not tell which names do; `default` for names without a compound."""
    compound = session.get(Compound, username.split("/", 1)[0]) if "/" in username else None
    return compound.timezone if compound is not None else default
