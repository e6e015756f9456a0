"""What routes depend on: a session, the clock, the settings, the caller's account and role."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from service.actions import accounts, residents
from service.actions.accounts import SIGN_IN_FIRST, UnknownNames, account_of_token
from service.actions.errors import DomainError, Forbidden, NotFound, Unauthorised
from service.actions.residents import SignedSubmission
from service.batching import Batches
from service.models import Account, Compound, Household, Role
from service.schemas import NO_NUL, RequestOut
from service.settings import Settings

_bearer = HTTPBearer(auto_error=False)
# Row ids in paths fit the databases' 32-bit integers.
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# A compound's, space's or household's code in a path (`refuse_nul` says what is wrong with NUL).
PathCode = Annotated[str, Path(min_length=1, max_length=40, json_schema_extra={"pattern": NO_NUL})]


NUL_MESSAGE = "must not contain NUL characters (\\u0000)"


async def refuse_nul(request: Request) -> None:
    """NUL in the path, the query or a form's fields: 422 naming each, before anything reads them
    (PostgreSQL cannot store NUL and answered 500). JSON bodies are checked by their schemas'
    Text type; files' contents by the rows they become."""
    where: list[tuple[str, str]] = [
        ("path", name) for name, value in request.path_params.items() if "\x00" in str(value)
    ]
    where += [
        ("query", name)
        for name, value in request.query_params.multi_items()
        if "\x00" in name + value
    ]
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        for name, value in form.multi_items():
            text = value if isinstance(value, str) else value.filename or ""
            if "\x00" in name + text:
                where.append(("body", name))
    if where:
        raise RequestValidationError(
            [
                {
                    "loc": (part, name.replace("\x00", "\\u0000")),
                    "msg": NUL_MESSAGE,
                    "type": "value_error",
                }
                for part, name in where
            ]
        )


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_sessions(request: Request) -> sessionmaker[Session]:
    """The session factory, for work that needs transactions of its own (a night's run)."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


async def get_session(request: Request) -> AsyncIterator[Session]:
    # An async dependency, so that closing the session (and returning its connection) runs on the
    # event loop: a sync one would wait for a free worker thread, and under a rush every worker
    # can be waiting for a connection that only that closing would free.
    with get_sessions(request)() as session:
        yield session


async def get_now() -> datetime:
    """Now, in UTC; tests replace it to stand before or after a cutoff."""
    return datetime.now(UTC)


def clock_from(now: datetime) -> Callable[[], datetime]:
    """A clock for work that outlives its request (a background import's progress): the
    request's `now`, moving on at the real pace."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def get_jobs(request: Request) -> Executor:
    """The worker thread that runs background jobs (imports, simulations), one at a time."""
    jobs: Executor = request.app.state.jobs
    return jobs


async def get_submissions(request: Request) -> Batches[SignedSubmission, RequestOut | DomainError]:
    """Where residents' new requests wait to be taken in batches (`take_submissions`); async, so
    that FastAPI calls it on the event loop, not in a worker thread."""
    submissions: Batches[SignedSubmission, RequestOut | DomainError] = request.app.state.submissions
    return submissions


def take_submissions(
    sessions: sessionmaker[Session],
) -> Batches[SignedSubmission, RequestOut | DomainError]:
    """Batches of new requests, each taken in a session of its own (`submit_signed_requests`)."""

    def take(batch: Sequence[SignedSubmission]) -> list[RequestOut | DomainError]:
        with sessions() as session:
            return residents.submit_signed_requests(session=session, submissions=batch)

    return Batches(take)


def get_ballot_key(request: Request) -> bytes | None:
    """The key that finds a household's vote while a ballot is open (service.security)."""
    key: bytes | None = request.app.state.ballot_key
    return key


def get_unknown_names(request: Request) -> UnknownNames:
    unknown: UnknownNames = request.app.state.unknown_names
    return unknown


SessionDep = Annotated[Session, Depends(get_session)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
NowDep = Annotated[datetime, Depends(get_now)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
UnknownNamesDep = Annotated[UnknownNames, Depends(get_unknown_names)]
JobsDep = Annotated[Executor, Depends(get_jobs)]
BallotKeyDep = Annotated[bytes | None, Depends(get_ballot_key)]
SubmissionsDep = Annotated[
    Batches[SignedSubmission, RequestOut | DomainError], Depends(get_submissions)
]


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _signed_in(session: Session, now: datetime, credentials: BearerDep) -> Account | None:
    if credentials is None:
        return None
    return account_of_token(session=session, token=credentials.credentials, now=now)


def current_account(session: SessionDep, now: NowDep, credentials: BearerDep) -> Account:
    account = _signed_in(session, now, credentials)
    if account is None:
        raise Unauthorised("sign_in_first", SIGN_IN_FIRST)
    return account


AccountDep = Annotated[Account, Depends(current_account)]


def resident_household(session: SessionDep, now: NowDep, credentials: BearerDep) -> Household:
    # The account is read here rather than through AccountDep: one hop to a worker thread fewer.
    return accounts.resident_household(_signed_in(session, now, credentials))


def staff_compound(compound_id: PathCode, session: SessionDep, account: AccountDep) -> Compound:
    if account.role != Role.STAFF.value:
        raise Forbidden("staff_only", "staff only")
    compound = session.get(Compound, compound_id)
    # Staff of another compound learn nothing, not even that this one exists.
    if compound is None or account.compound_id != compound_id:
        raise NotFound("no_such_compound", f"no compound {compound_id!r}")
    return compound


HouseholdDep = Annotated[Household, Depends(resident_household)]
StaffCompoundDep = Annotated[Compound, Depends(staff_compound)]
