"""Ballots: staff make one (its simulation runs in the background), watch the turnout, enter
paper votes, close it and adopt the decided plan; residents read it, vote, change their vote and
check a receipt. No route tells anyone but the household itself what it chose."""

from __future__ import annotations

from fastapi import APIRouter, Path, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from service.actions import ballots
from service.deps import (
    AccountDep,
    BallotKeyDep,
    BearerDep,
    HouseholdDep,
    JobsDep,
    NowDep,
    PathId,
    SessionDep,
    SessionsDep,
    StaffCompoundDep,
    clock_from,
    resident_household,
)
from service.schemas import (
    AdoptIn,
    BallotIn,
    BallotOut,
    MyBallotOut,
    MyVoteOut,
    PaperVoteIn,
    ReceiptOut,
    VoteIn,
    problems,
)

staff = APIRouter(
    prefix="/api/v1/compounds/{compound_id}/ballots",
    tags=["staff"],
    responses=problems(401, 403, 404, 409),
)
residents = APIRouter(
    prefix="/api/v1/me/ballots", tags=["resident"], responses=problems(401, 403, 404, 409)
)


@staff.get("", response_model=list[BallotOut])
def list_ballots(
    compound: StaffCompoundDep, session: SessionDep, key: BallotKeyDep, now: NowDep
) -> list[BallotOut]:
    return ballots.list_ballots(session=session, compound=compound, key=key, now=now, staff=True)


@staff.post("", response_model=BallotOut, status_code=status.HTTP_201_CREATED)
def create_ballot(
    body: BallotIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    sessions: SessionsDep,
    account: AccountDep,
    now: NowDep,
    jobs: JobsDep,
    response: Response,
) -> BallotOut:
    """A ballot of 2-5 options (bundled plans by name, plan documents, or "none of these"),
    open from `opens_at` to `closes_at` (compound time without an offset), under the rule given.
    Its roll is every household now, with its floor area. Each plan is simulated in the
    background (`simulation` in the ballot shows the progress, then the figures)."""
    ballot = ballots.create_ballot(
        session=session, compound=compound, body=body, account=account, now=now
    )
    job_id = ballots.job_of(session=session, compound=compound, ballot_id=ballot.id)
    jobs.submit(ballots.run_simulation, sessions=sessions, job_id=job_id, clock=clock_from(now))
    response.headers["Location"] = f"/api/v1/compounds/{compound.id}/ballots/{ballot.id}"
    return ballot


@staff.get("/{ballot_id}", response_model=BallotOut)
def read_ballot(
    ballot_id: PathId,
    compound: StaffCompoundDep,
    session: SessionDep,
    key: BallotKeyDep,
    now: NowDep,
) -> BallotOut:
    """The ballot with its turnout so far (numbers only) and, once closed, its tally."""
    return ballots.read_ballot(
        session=session, compound=compound, ballot_id=ballot_id, key=key, now=now
    )


@staff.post("/{ballot_id}/close", response_model=BallotOut)
def close_ballot(
    ballot_id: PathId,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    key: BallotKeyDep,
    now: NowDep,
) -> BallotOut:
    """Close and count the ballot now; the result is posted to every household."""
    return ballots.close_ballot(
        session=session, compound=compound, ballot_id=ballot_id, account=account, key=key, now=now
    )


@staff.post("/{ballot_id}/paper-votes", response_model=MyVoteOut, status_code=201)
def paper_vote(
    ballot_id: PathId,
    body: PaperVoteIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    key: BallotKeyDep,
    now: NowDep,
) -> MyVoteOut:
    """A household's paper ballot, entered once (409 if the household has voted); the receipt
    is for the household."""
    return ballots.paper_vote(
        session=session,
        compound=compound,
        ballot_id=ballot_id,
        body=body,
        account=account,
        key=key,
        now=now,
    )


@staff.post("/{ballot_id}/adopt", response_model=BallotOut)
def adopt_plan(
    ballot_id: PathId,
    body: AdoptIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> BallotOut:
    """Put the decided plan in force from `first_evening` on (nights before keep theirs)."""
    return ballots.adopt_plan(
        session=session, compound=compound, ballot_id=ballot_id, body=body, account=account, now=now
    )


@residents.get("", response_model=list[MyBallotOut])
def my_ballots(
    session: SessionDep, household: HouseholdDep, key: BallotKeyDep, now: NowDep
) -> list[MyBallotOut]:
    return ballots.my_ballots(session=session, household=household, key=key, now=now)


@residents.get("/{ballot_id}", response_model=MyBallotOut)
def my_ballot(
    ballot_id: PathId, session: SessionDep, household: HouseholdDep, key: BallotKeyDep, now: NowDep
) -> MyBallotOut:
    return ballots.my_ballot(
        session=session, household=household, ballot_id=ballot_id, key=key, now=now
    )


@residents.put("/{ballot_id}/vote", response_model=MyVoteOut)
async def vote(
    ballot_id: PathId,
    body: VoteIn,
    session: SessionDep,
    credentials: BearerDep,
    key: BallotKeyDep,
    now: NowDep,
) -> MyVoteOut:
    """Cast or change the household's vote while the ballot is open; the receipt stays the
    same when the vote changes."""

    # A rush of votes before the closing time: the caller and the vote in one trip to a thread.
    def cast() -> MyVoteOut:
        household = resident_household(session, now, credentials)
        return ballots.vote(
            session=session, household=household, ballot_id=ballot_id, body=body, key=key, now=now
        )

    return await run_in_threadpool(cast)


@residents.get("/{ballot_id}/receipts/{receipt}", response_model=ReceiptOut)
def check_receipt(
    ballot_id: PathId,
    session: SessionDep,
    household: HouseholdDep,
    receipt: str = Path(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9 -]+$"),
) -> ReceiptOut:
    """The choice stored under a receipt, and whether it has been counted."""
    return ballots.check_receipt(
        session=session, household=household, ballot_id=ballot_id, receipt=receipt
    )
