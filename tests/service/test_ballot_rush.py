"""500 households vote in the same second, each twice, through a real server (uvicorn in a
thread) and a real database: every household has exactly one counted vote, none is lost, and a
household's second vote changes its first (the same receipt) rather than adding one."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
from sqlalchemy import func, select

from service.actions import ballots
from service.db import upgrade
from service.deps import get_now
from service.main import create_app
from service.models import Account, BallotTurnout, BallotVote, Compound
from service.schemas import BallotIn
from service.settings import Settings
from tests.service.conftest import BALLOT_KEY
from tests.service.live import Caller, seed_compound, serving

HOUSEHOLDS = 500
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_500_households_voting_twice_at_once_count_once_each(database_url):
    upgrade(database_url)
    app = create_app(Settings(database_url=database_url, ballot_key=BALLOT_KEY))
    app.dependency_overrides[get_now] = lambda: NOW
    callers = seed_compound(app, households=HOUSEHOLDS)
    with app.state.sessions() as session:
        ballot = ballots.create_ballot(
            session=session,
            compound=session.get_one(Compound, "rush"),
            body=BallotIn(
                question="Which plan?",
                opens_at=NOW - timedelta(hours=1),
                closes_at=NOW + timedelta(days=7),
                options=[
                    {"plan": {"name": name, "policy": {"windows": {"street": [hours]}}}}
                    for name, hours in (("A", "19:00-07:00"), ("B", "20:00-08:00"))
                ],
            ),
            account=session.scalars(select(Account).where(Account.username == "staff")).one(),
            now=NOW,
        ).id
    url = f"/api/v1/me/ballots/{ballot}/vote"
    with (
        serving(app) as base,
        httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=100)) as client,
    ):

        def cast(vote: tuple[Caller, int]) -> tuple[str, int, dict]:
            caller, option = vote
            reply = client.put(url, headers=caller.headers, json={"option": option})
            return caller.household, reply.status_code, reply.json()

        # Each household's two votes: option 0 then 1 for even households, 1 then 0 for odd.
        votes = [(c, i % 2) for i, c in enumerate(callers)] + [
            (c, 1 - i % 2) for i, c in enumerate(callers)
        ]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=100) as pool:
            outcomes = list(pool.map(cast, votes))
        elapsed = time.perf_counter() - started
        assert Counter(status for _, status, _ in outcomes) == {200: 2 * HOUSEHOLDS}
        receipts: dict[str, set[str]] = {}
        for household, _, body in outcomes:
            receipts.setdefault(household, set()).add(body["receipt"])
        # One receipt per household (its second vote changed the first), none shared.
        assert all(len(r) == 1 for r in receipts.values()) and len(receipts) == HOUSEHOLDS
        assert len(set.union(*receipts.values())) == HOUSEHOLDS
        # What each household reads as its vote is one of the two it cast.
        for caller in callers[:20]:
            mine = client.get(f"/api/v1/me/ballots/{ballot}", headers=caller.headers).json()
            assert mine["my_vote"]["receipt"] in receipts[caller.household]
    with app.state.sessions() as session:
        turnout = session.scalar(
            select(func.count()).select_from(BallotTurnout).where(BallotTurnout.ballot_id == ballot)
        )
        stored = session.scalar(
            select(func.count()).select_from(BallotVote).where(BallotVote.ballot_id == ballot)
        )
        assert (turnout, stored) == (HOUSEHOLDS, HOUSEHOLDS)
        tally = ballots.close_ballot(
            session=session,
            compound=session.get_one(Compound, "rush"),
            ballot_id=ballot,
            account=session.scalars(select(Account).where(Account.username == "staff")).one(),
            key=app.state.ballot_key,
            now=NOW,
        ).tally
    assert tally is not None and tally.households == HOUSEHOLDS
    assert sum(o.households for o in tally.options) == HOUSEHOLDS
    print(
        f"\n{database_url.split(':')[0]}: {2 * HOUSEHOLDS} votes in {elapsed:.2f} s "
        f"({2 * HOUSEHOLDS / elapsed:.0f}/s); counted {[o.households for o in tally.options]}"
    )
    app.state.engine.dispose()
