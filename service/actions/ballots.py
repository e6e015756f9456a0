"""Ballots: a question put to every household of a compound, 2-5 options (each a plan, or "none
of these"), simulated in the background, one vote per household (online or on paper, changeable
until closing), counted under the Civil Code's rule (`service.actions.tally`), posted, and the
winning plan adopted from an evening on.

Secrecy (docs/ballots.md): who voted (`BallotTurnout`) and what was chosen (`BallotVote`) are
two tables with nothing in common but the ballot. A household finds its own vote through a keyed
hash (`security.voter_digest`) that only the service's ballot key makes; when the ballot is
counted, the tally is stored and every such hash is erased. No function here returns a
household's choice to anyone but that household (or to the staff member who typed its paper
ballot), and the audit log names no choice.
"""

from __future__ import annotations

import dataclasses
import logging
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from scenarios.calibration import load_calibration
from scenarios.errors import ScenarioError
from scenarios.loader import PLANS, parse_scenario, read_document
from scenarios.mapping import to_demand_model, to_instance, to_plan, to_site
from scenarios.schema import DemandSection, PlanFile
from service import security
from service.actions import audit, jobs
from service.actions.allocation import site_document
from service.actions.calendar import current_evening, cutoff_of
from service.actions.errors import Conflict, FieldProblem, InvalidField, InvalidInput, NotFound
from service.actions.nights import hold_compound
from service.actions.tally import count
from service.models import (
    Account,
    Ballot,
    BallotOption,
    BallotRule,
    BallotTurnout,
    BallotVote,
    Compound,
    CompoundPolicy,
    Household,
    Job,
    Night,
    Space,
    as_utc,
)
from service.notify import outbox
from service.schemas import (
    AdoptIn,
    AdoptionOut,
    BallotIn,
    BallotOptionOut,
    BallotOut,
    EstimateOut,
    MyBallotOut,
    MyVoteOut,
    OptionFiguresOut,
    PaperVoteIn,
    ReceiptOut,
    SimulationOut,
    TallyOut,
    TurnoutOut,
    VoteIn,
)
from simulation.metrics import Estimate, PlanSummary
from simulation.model import Plan
from simulation.run import plan_problems
from simulation.sweep import compare_plans

log = logging.getLogger(__name__)

SIMULATION = "simulation"
# The what-if runs: the share of renters away on a night, at half and at double its value.
AWAY_FACTORS = (1.0, 0.5, 2.0)
LONGEST_BALLOT = timedelta(days=90)
BALLOT_AHEAD = timedelta(days=365)


# --- reading -------------------------------------------------------------------------------


def bundled_plans() -> dict[str, PlanFile]:
    """The plan files of scenarios/plans/ by their file's name (`laiyang-voted`)."""
    return {
        path.stem: PlanFile.model_validate(read_document(path, "plan"))
        for path in sorted(PLANS.glob("*.yaml"))
    }


def _ballot(session: Session, compound_id: str, ballot_id: int) -> Ballot:
    ballot = session.get(Ballot, ballot_id)
    # Another compound's ballot reads as none at all.
    if ballot is None or ballot.compound_id != compound_id:
        raise NotFound("no_such_ballot", f"no ballot {ballot_id}")
    return ballot


def _options(session: Session, ballot: Ballot) -> list[BallotOption]:
    return list(
        session.scalars(
            select(BallotOption)
            .where(BallotOption.ballot_id == ballot.id)
            .order_by(BallotOption.position)
        )
    )


def state_of(ballot: Ballot, now: datetime) -> str:
    if ballot.counted_at is not None or now >= as_utc(ballot.closes_at):
        return "closed"
    return "upcoming" if now < as_utc(ballot.opens_at) else "open"


def _estimate(value: Estimate) -> EstimateOut:
    def number(x: float) -> float | None:
        return None if np.isnan(x) else round(float(x), 4)

    return EstimateOut(mean=number(value.mean), low=number(value.low), high=number(value.high))


def _simulation(session: Session, ballot: Ballot, now: datetime) -> SimulationOut | None:
    if ballot.job_id is None:
        return None
    job = jobs.looked_at(session.get_one(Job, ballot.job_id), now)
    figures = ballot.simulation or {}
    return SimulationOut(
        state=job.state,
        done=job.done,
        total=job.total,
        error=job.error,
        seed=ballot.seed,
        nights=ballot.nights,
        seeds=ballot.seeds,
        renter_away_share=figures.get("renter_away_share"),
        refused_over=figures.get("refused_over", 5),
        options=[OptionFiguresOut.model_validate(o) for o in figures.get("options", [])],
    )


def _turnout(session: Session, ballot: Ballot) -> TurnoutOut:
    area_of = dict(ballot.roll)
    rows = session.execute(
        select(BallotTurnout.household_id, BallotTurnout.channel).where(
            BallotTurnout.ballot_id == ballot.id
        )
    ).all()
    return TurnoutOut(
        households=len(rows),
        area=round(sum(area_of.get(h) or 0 for h, _ in rows), 2),
        online=sum(channel == "online" for _, channel in rows),
        paper=sum(channel == "paper" for _, channel in rows),
        roll_households=len(ballot.roll),
        roll_area=round(sum(area or 0 for _, area in ballot.roll), 2),
        roll_without_area=sum(area is None for _, area in ballot.roll),
    )


def _view(session: Session, ballot: Ballot, now: datetime, staff: bool) -> dict[str, Any]:
    adoption = session.scalar(select(CompoundPolicy).where(CompoundPolicy.ballot_id == ballot.id))
    return {
        "id": ballot.id,
        "question": ballot.question,
        "rule": ballot.rule,
        "opens_at": as_utc(ballot.opens_at),
        "closes_at": as_utc(ballot.closes_at),
        "state": state_of(ballot, now),
        "options": [
            BallotOptionOut(
                position=o.position,
                label=o.label,
                label_zh=o.label_zh,
                none_of_these=o.plan is None,
                plan=o.plan,
            )
            for o in _options(session, ballot)
        ],
        "simulation": _simulation(session, ballot, now),
        "roll_households": len(ballot.roll),
        "roll_without_area": sum(area is None for _, area in ballot.roll),
        # Numbers only, and for staff only: who voted is not shown, what anyone chose never.
        "turnout": _turnout(session, ballot) if staff else None,
        "tally": TallyOut.model_validate(ballot.tally) if ballot.tally else None,
        "adopted": AdoptionOut(
            first_evening=adoption.first_evening, adopted_at=as_utc(adoption.adopted_at)
        )
        if adoption
        else None,
    }


def _counted_if_due(session: Session, ballot: Ballot, key: bytes | None, now: datetime) -> None:
    """A ballot past its closing time is counted on the first look (and posted). The count holds
    the ballot's row exclusively and looks again: of two readers at once, one counts and the
    other finds it counted (counting twice found no digests the second time and zeroed the
    tally: found in review). A vote that holds the row commits before the count."""
    if ballot.counted_at is None and now >= as_utc(ballot.closes_at):
        held = _held_ballot(session, ballot.compound_id, ballot.id, shared=False)
        if held.counted_at is None:
            _count(session, held, key, now)
        session.commit()


def list_ballots(
    *, session: Session, compound: Compound, key: bytes | None, now: datetime, staff: bool
) -> list[BallotOut]:
    """The compound's ballots, newest first."""
    ballots = session.scalars(
        select(Ballot).where(Ballot.compound_id == compound.id).order_by(Ballot.id.desc())
    ).all()
    for ballot in ballots:
        _counted_if_due(session, ballot, key, now)
    return [BallotOut(**_view(session, b, now, staff)) for b in ballots]


def read_ballot(
    *, session: Session, compound: Compound, ballot_id: int, key: bytes | None, now: datetime
) -> BallotOut:
    """A ballot as staff see it: with the turnout as numbers, never anyone's choice."""
    ballot = _ballot(session, compound.id, ballot_id)
    _counted_if_due(session, ballot, key, now)
    return BallotOut(**_view(session, ballot, now, staff=True))


def my_ballot(
    *, session: Session, household: Household, ballot_id: int, key: bytes | None, now: datetime
) -> MyBallotOut:
    """A ballot as a household sees it: its own vote while the ballot is open."""
    ballot = _ballot(session, household.compound_id, ballot_id)
    _counted_if_due(session, ballot, key, now)
    on_roll = any(h == household.id for h, _ in ballot.roll)
    turnout = session.scalar(
        select(BallotTurnout).where(
            BallotTurnout.ballot_id == ballot.id, BallotTurnout.household_id == household.id
        )
    )
    mine = None
    if turnout is not None and ballot.counted_at is None and key is not None:
        mine = _vote_of(session, ballot, household, key, turnout.channel)
    return MyBallotOut(
        **_view(session, ballot, now, staff=False),
        on_roll=on_roll,
        my_vote=mine,
        voted=turnout is not None,
    )


def my_ballots(
    *, session: Session, household: Household, key: bytes | None, now: datetime
) -> list[MyBallotOut]:
    ids = session.scalars(
        select(Ballot.id)
        .where(Ballot.compound_id == household.compound_id)
        .order_by(Ballot.id.desc())
    ).all()
    return [
        my_ballot(session=session, household=household, ballot_id=i, key=key, now=now) for i in ids
    ]


def _vote_of(
    session: Session, ballot: Ballot, household: Household, key: bytes, channel: str
) -> MyVoteOut | None:
    row = session.execute(
        select(BallotVote.receipt, BallotOption.position)
        .join(BallotOption, BallotVote.option_id == BallotOption.id)
        .where(
            BallotVote.ballot_id == ballot.id,
            BallotVote.voter == security.voter_digest(key, ballot.id, household.id),
        )
    ).first()
    if row is None:
        return None
    return MyVoteOut(ballot=ballot.id, position=row.position, channel=channel, receipt=row.receipt)


# --- making a ballot -----------------------------------------------------------------------


def _compound_time(compound: Compound, moment: datetime) -> datetime:
    """A moment given without an offset is the compound's local time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=ZoneInfo(compound.timezone))
    return moment


def _option_plans(body: BallotIn) -> list[PlanFile | None]:
    bundled = bundled_plans()
    plans: list[PlanFile | None] = []
    problems: list[FieldProblem] = []
    for i, option in enumerate(body.options):
        where = ("body", "options", i)
        if option.kind == "none":
            if option.bundled is not None or option.plan is not None:
                problems.append(FieldProblem((*where, "kind"), "'none of these' takes no plan"))
            plans.append(None)
            continue
        if (option.bundled is None) == (option.plan is None):
            problems.append(
                FieldProblem((*where, "plan"), "give either a bundled plan's name or a plan")
            )
            continue
        if option.bundled is not None:
            if option.bundled not in bundled:
                problems.append(
                    FieldProblem(
                        (*where, "bundled"),
                        f"no bundled plan {option.bundled!r} (there are {', '.join(bundled)})",
                    )
                )
                continue
            plans.append(bundled[option.bundled])
            continue
        try:
            plans.append(PlanFile.model_validate(option.plan))
        except ValidationError as error:
            problems.extend(
                FieldProblem((*where, "plan", *e["loc"]), e["msg"], e["type"])
                for e in error.errors()
            )
    if sum(plan is None for plan in plans) > 1:
        problems.append(FieldProblem(("body", "options"), "'none of these' is one option at most"))
    if not problems and all(plan is None for plan in plans):
        problems.append(FieldProblem(("body", "options"), "at least one option must be a plan"))
    names = [plan.name for plan in plans if plan is not None]
    if len(set(names)) != len(names):
        problems.append(FieldProblem(("body", "options"), "two options are the same plan"))
    if problems:
        raise InvalidInput(problems)
    return plans


def _checked_against_site(
    session: Session, compound: Compound, plans: list[PlanFile | None], now: datetime
) -> None:
    """Every plan must fit the compound's spaces (as `parking simulate` checks a plan)."""
    document = site_document(session, compound, current_evening(compound.timezone, now))
    scenario = parse_scenario(document, compound.id)
    site = to_site(scenario, to_instance(scenario, compound.id))
    problems: list[FieldProblem] = []
    for i, plan in enumerate(plans):
        if plan is None:
            continue
        try:
            model = to_plan(plan, f"options[{i}]")
        except ScenarioError as error:
            problems.extend(
                FieldProblem(("body", "options", i, "plan", path), message)
                for path, message in error.problems
            )
            continue
        problems.extend(
            FieldProblem(("body", "options", i, "plan", path), message)
            for path, message in plan_problems(site, model)
        )
    if problems:
        raise InvalidInput(problems)


def create_ballot(
    *, session: Session, compound: Compound, body: BallotIn, account: Account, now: datetime
) -> BallotOut:
    """A ballot with its roll (every household of the compound now, with its floor area) and its
    simulation queued as a job: the route hands the job to the worker (`run_simulation`)."""
    opens, closes = (_compound_time(compound, t) for t in (body.opens_at, body.closes_at))
    if closes <= opens:
        raise InvalidField("closes_at", "must be after the opening time")
    if closes <= now:
        raise InvalidField("closes_at", "must be in the future")
    if closes - opens > LONGEST_BALLOT:
        raise InvalidField("closes_at", "a ballot is open for 90 days at most")
    if opens > now + BALLOT_AHEAD:
        raise InvalidField("opens_at", "must be within a year")
    plans = _option_plans(body)
    _checked_against_site(session, compound, plans, now)
    roll = [
        [household_id, area]
        for household_id, area in session.execute(
            select(Household.id, Household.floor_area)
            .where(Household.compound_id == compound.id)
            .order_by(Household.id)
        )
    ]
    if not roll:
        raise Conflict("no_households", "the compound has no households to vote")
    simulated = sum(plan is not None for plan in plans)
    ballot = Ballot(
        compound_id=compound.id,
        question=body.question,
        rule=body.rule,
        opens_at=opens,
        closes_at=closes,
        roll=roll,
        seed=body.seed,
        nights=body.nights,
        seeds=body.seeds,
        account_id=account.id,
        created_at=now,
    )
    session.add(ballot)
    session.flush()
    for position, plan in enumerate(plans):
        session.add(
            BallotOption(
                ballot_id=ballot.id,
                position=position,
                label=plan.name if plan else "None of these: the plan in use stays",
                label_zh=(plan.name_zh or plan.name) if plan else "都不同意：维持现行方案",
                plan=plan.model_dump(mode="json", exclude_defaults=False) if plan else None,
            )
        )
    job = jobs.new_job(
        session,
        compound=compound,
        account=account,
        kind=SIMULATION,
        label=body.question,
        total=simulated * body.seeds * len(AWAY_FACTORS),
        payload={"ballot": ballot.id},
        now=now,
    )
    ballot.job_id = job.id
    audit.record(
        session,
        **audit.by(compound, account, now),
        action="create ballot",
        ballot=ballot.id,
        question=body.question,
    )
    session.commit()
    return BallotOut(**_view(session, ballot, now, staff=True))


def job_of(*, session: Session, compound: Compound, ballot_id: int) -> int:
    """The simulation job of a ballot (for the route that hands it to the worker)."""
    job_id = _ballot(session, compound.id, ballot_id).job_id
    assert job_id is not None, "every ballot is made with its job"
    return job_id


# --- the simulation ------------------------------------------------------------------------


def _figures(
    summary: PlanSummary, position: int, half: PlanSummary, double: PlanSummary
) -> dict[str, Any]:
    return OptionFiguresOut(
        position=position,
        requests_per_night=_estimate(summary.requests_per_night),
        served_per_night=_estimate(summary.served_per_night),
        served_share=_estimate(summary.served_share),
        refused_nights=_estimate(summary.refused_nights_mean),
        refused_nights_without_space=_estimate(summary.refused_nights_without_space),
        refused_nights_max=_estimate(summary.refused_nights_max),
        refused_gini=_estimate(summary.refused_gini),
        refused_over_share=_estimate(summary.refused_over_share),
        refused_p95=_estimate(summary.refused_p95),
        refused_no_fit_month=_estimate(summary.refused_no_fit_month),
        refused_taken_month=_estimate(summary.refused_taken_month),
        renter_conflicts_month=_estimate(summary.renter_conflicts_month),
        window_overstays_month=_estimate(summary.window_overstays_month),
        walk_m=_estimate(summary.walk_m),
        without_space_if_away_half=_estimate(half.refused_nights_without_space),
        without_space_if_away_double=_estimate(double.refused_nights_without_space),
    ).model_dump(mode="json")


def simulate_options(
    session: Session, ballot: Ballot, on_run_done: Callable[[], None] = lambda: None
) -> dict[str, Any]:
    """Each plan option over the compound as it is now: `ballot.nights` nights from the evening
    the ballot opens, seeds `seed` to `seed + seeds - 1`, with the demand's defaults and, for the
    what-if line, with renters away half as often and twice as often. The same ballot gives the
    same figures."""
    compound = session.get_one(Compound, ballot.compound_id)
    tz = compound.timezone
    start = current_evening(tz, as_utc(ballot.opens_at))
    scenario = parse_scenario(site_document(session, compound, start), compound.id)
    site = to_site(scenario, to_instance(scenario, compound.id))
    calibration = load_calibration()
    model = to_demand_model(DemandSection(), calibration)
    options = [o for o in _options(session, ballot) if o.plan is not None]
    plans: list[Plan] = [
        dataclasses.replace(to_plan(PlanFile.model_validate(o.plan)), name=str(o.position))
        for o in options
    ]
    seeds = list(range(ballot.seed, ballot.seed + ballot.seeds))
    summaries = []
    for factor in AWAY_FACTORS:
        varied = dataclasses.replace(
            model, renter_away_share=min(1.0, model.renter_away_share * factor)
        )
        comparison = compare_plans(
            site,
            plans,
            varied,
            calibration,
            ballot.nights,
            seeds,
            on_run_done=lambda run: on_run_done(),
        )
        summaries.append(comparison.summaries)
    usual, half, double = summaries
    return {
        "renter_away_share": model.renter_away_share,
        "refused_over": usual[0].refused_over if usual else 5,
        "options": [
            _figures(usual[i], o.position, half[i], double[i]) for i, o in enumerate(options)
        ],
    }


def run_simulation(
    *, sessions: sessionmaker[Session], job_id: int, clock: Callable[[], datetime]
) -> None:
    """Do a ballot's simulation job: meant for the worker thread. The figures are stored with
    the ballot in the job's last transaction."""
    payload = jobs.take(sessions, job_id, clock)
    if payload is None:
        return
    progress = jobs.Progress(sessions, job_id, clock)
    runs = 0

    def one_more() -> None:
        nonlocal runs
        runs += 1
        progress(runs)

    with jobs.failing(sessions, job_id, clock, "simulation"):
        with sessions() as session:
            figures = simulate_options(
                session, session.get_one(Ballot, payload["ballot"]), one_more
            )
        with sessions.begin() as session:
            session.get_one(Ballot, payload["ballot"]).simulation = figures
            jobs.finish(session, job_id, clock)


# --- voting --------------------------------------------------------------------------------


def _insert(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which has ON CONFLICT."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _held_ballot(session: Session, compound_id: str, ballot_id: int, *, shared: bool) -> Ballot:
    """The ballot's row, locked until the transaction ends and read afresh: votes hold it shared
    (they do not wait for each other), counting exclusively, so that a vote either commits
    before the count or finds the ballot counted. SQLite takes its one write lock."""
    fresh = {"populate_existing": True}
    if session.get_bind().dialect.name == "postgresql":
        query = select(Ballot).where(Ballot.id == ballot_id).with_for_update(read=shared)
        ballot = session.scalars(query, execution_options=fresh).first()
    else:
        touch = update(Ballot).where(Ballot.id == ballot_id).values(id=Ballot.id).returning(Ballot)
        ballot = session.scalars(touch, execution_options=fresh).first()
    if ballot is None or ballot.compound_id != compound_id:
        raise NotFound("no_such_ballot", f"no ballot {ballot_id}")
    return ballot


def _open_for_votes(ballot: Ballot, now: datetime) -> None:
    state = state_of(ballot, now)
    if state == "upcoming":
        raise Conflict("ballot_not_open", f"the ballot opens at {as_utc(ballot.opens_at)}")
    if state == "closed":
        raise Conflict("ballot_closed", "the ballot is closed: nothing of it changes any more")


def _option(session: Session, ballot: Ballot, position: int) -> BallotOption:
    option = session.scalar(
        select(BallotOption).where(
            BallotOption.ballot_id == ballot.id, BallotOption.position == position
        )
    )
    if option is None:
        raise InvalidField("option", f"the ballot has no option {position}")
    return option


def _need_key(key: bytes | None) -> bytes:
    if key is None:
        raise Conflict(
            "ballot_key_missing", "the service has no ballot key (set PARKING_BALLOT_KEY)"
        )
    return key


def _store_vote(
    session: Session, ballot: Ballot, household: Household, option: BallotOption, key: bytes
) -> str:
    """Insert or change the household's vote; its receipt (kept when the vote changes)."""
    voter = security.voter_digest(key, ballot.id, household.id)
    insert = _insert(session)
    statement = insert(BallotVote).values(
        ballot_id=ballot.id, receipt=security.new_receipt(), voter=voter, option_id=option.id
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["ballot_id", "voter"], set_={"option_id": option.id}
        )
    )
    receipt = session.scalar(
        select(BallotVote.receipt).where(
            BallotVote.ballot_id == ballot.id, BallotVote.voter == voter
        )
    )
    assert receipt is not None
    return receipt


def vote(
    *,
    session: Session,
    household: Household,
    ballot_id: int,
    body: VoteIn,
    key: bytes | None,
    now: datetime,
) -> MyVoteOut:
    """Cast or change the household's vote while the ballot is open. A paper vote, entered once
    by the office, stands: it cannot be changed online or at the office (409 `voted_on_paper`)."""
    key = _need_key(key)
    ballot = _held_ballot(session, household.compound_id, ballot_id, shared=True)
    _open_for_votes(ballot, now)
    if not any(h == household.id for h, _ in ballot.roll):
        raise Conflict("not_on_roll", "the household was not on the roll when the ballot was made")
    option = _option(session, ballot, body.option)
    session.execute(
        _insert(session)(BallotTurnout)
        .values(ballot_id=ballot.id, household_id=household.id, channel="online")
        .on_conflict_do_nothing(index_elements=["ballot_id", "household_id"])
    )
    channel = session.scalar(
        select(BallotTurnout.channel).where(
            BallotTurnout.ballot_id == ballot.id, BallotTurnout.household_id == household.id
        )
    )
    if channel == "paper":
        raise Conflict(
            "voted_on_paper", "the household voted on paper, and a paper vote cannot be changed"
        )
    receipt = _store_vote(session, ballot, household, option, key)
    session.commit()
    return MyVoteOut(ballot=ballot.id, position=option.position, channel="online", receipt=receipt)


def paper_vote(
    *,
    session: Session,
    compound: Compound,
    ballot_id: int,
    body: PaperVoteIn,
    account: Account,
    key: bytes | None,
    now: datetime,
) -> MyVoteOut:
    """Enter a household's paper ballot (once: a household that voted, online or on paper, is
    refused with 409 `already_voted`, so that the office cannot overwrite a vote). The audit log
    names the household, never its choice; the receipt is for the household."""
    key = _need_key(key)
    ballot = _held_ballot(session, compound.id, ballot_id, shared=True)
    _open_for_votes(ballot, now)
    household = session.scalar(
        select(Household).where(
            Household.compound_id == compound.id, Household.code == body.household
        )
    )
    if household is None:
        raise InvalidField("household", f"no household {body.household!r}")
    if not any(h == household.id for h, _ in ballot.roll):
        raise Conflict("not_on_roll", "the household was not on the roll when the ballot was made")
    option = _option(session, ballot, body.option)
    inserted = session.scalar(
        _insert(session)(BallotTurnout)
        .values(
            ballot_id=ballot.id, household_id=household.id, channel="paper", account_id=account.id
        )
        .on_conflict_do_nothing(index_elements=["ballot_id", "household_id"])
        .returning(BallotTurnout.id)
    )
    if inserted is None:
        raise Conflict("already_voted", f"household {body.household} has voted already")
    receipt = _store_vote(session, ballot, household, option, key)
    # The household, never its choice.
    audit.record(
        session,
        **audit.by(compound, account, now),
        action="paper vote",
        ballot=ballot.id,
        household=household.code,
    )
    session.commit()
    return MyVoteOut(ballot=ballot.id, position=option.position, channel="paper", receipt=receipt)


def check_receipt(
    *, session: Session, household: Household, ballot_id: int, receipt: str
) -> ReceiptOut:
    """What the vote with this receipt chose, and whether the ballot has been counted (then this
    choice is in the tally). Any household of the compound may check a receipt it holds."""
    ballot = _ballot(session, household.compound_id, ballot_id)
    row = session.execute(
        select(BallotVote.receipt, BallotOption.position)
        .join(BallotOption, BallotVote.option_id == BallotOption.id)
        .where(
            BallotVote.ballot_id == ballot.id,
            BallotVote.receipt == security.normal_receipt(receipt),
        )
    ).first()
    if row is None:
        raise NotFound("no_such_receipt", "no vote of this ballot has this receipt")
    return ReceiptOut(
        ballot=ballot.id,
        receipt=row.receipt,
        position=row.position,
        counted=ballot.counted_at is not None,
    )


# --- closing, counting, adopting -----------------------------------------------------------


def _count(session: Session, ballot: Ballot, key: bytes | None, now: datetime) -> None:
    """Count the ballot (its row held), store the tally, erase the voters' digests, post it."""
    key = _need_key(key)
    options = _options(session, ballot)
    position_of = {o.id: o.position for o in options}
    choice_of = dict(
        session.execute(
            select(BallotVote.voter, BallotVote.option_id).where(BallotVote.ballot_id == ballot.id)
        ).all()
    )
    area_of = dict(ballot.roll)
    votes = []
    for household_id in session.scalars(
        select(BallotTurnout.household_id).where(BallotTurnout.ballot_id == ballot.id)
    ):
        option_id = choice_of.pop(security.voter_digest(key, ballot.id, household_id), None)
        if option_id is None:
            log.error("ballot %s: a household's turnout has no vote", ballot.id)
            continue
        votes.append((area_of.get(household_id), position_of[option_id]))
    if choice_of:
        log.error("ballot %s: %d votes without a household", ballot.id, len(choice_of))
    tally = count(
        rule=BallotRule(ballot.rule),
        roll=[a for _, a in ballot.roll],
        votes=votes,
        options=len(options),
    )
    ballot.tally = tally.model_dump(mode="json")
    ballot.counted_at = now
    passed = next((o for o in options if o.position == tally.decision), None)
    outbox.ballot_posted(
        session,
        compound=session.get_one(Compound, ballot.compound_id),
        ballot_id=ballot.id,
        question=ballot.question,
        household_ids=[household_id for household_id, _ in ballot.roll],
        decision=[passed.label_zh or passed.label, passed.label] if passed else None,
        now=now,
    )
    if now < as_utc(ballot.closes_at):
        ballot.closes_at = now
    # From now on no vote can be told apart from another: only receipts find them. The rows are
    # written again without their digests, in receipt order, so that neither SQLite's rowid nor
    # PostgreSQL's row positions keep the order the votes came in (turnout's ids keep it).
    kept = session.execute(
        select(BallotVote.receipt, BallotVote.option_id)
        .where(BallotVote.ballot_id == ballot.id)
        .order_by(BallotVote.receipt)
    ).all()
    session.execute(delete(BallotVote).where(BallotVote.ballot_id == ballot.id))
    if kept:
        session.execute(
            insert(BallotVote),
            [
                {"ballot_id": ballot.id, "receipt": receipt, "voter": None, "option_id": option}
                for receipt, option in kept
            ],
        )


def close_ballot(
    *,
    session: Session,
    compound: Compound,
    ballot_id: int,
    account: Account,
    key: bytes | None,
    now: datetime,
) -> BallotOut:
    """Close the ballot now (before its closing time, or count one that has passed it)."""
    ballot = _held_ballot(session, compound.id, ballot_id, shared=False)
    if ballot.counted_at is not None:
        raise Conflict("ballot_closed", "the ballot is closed: nothing of it changes any more")
    if now < as_utc(ballot.opens_at):
        raise Conflict("ballot_not_open", "the ballot has not opened yet")
    _count(session, ballot, key, now)
    audit.record(
        session, **audit.by(compound, account, now), action="close ballot", ballot=ballot.id
    )
    session.commit()
    return BallotOut(**_view(session, ballot, now, staff=True))


def adopt_plan(
    *,
    session: Session,
    compound: Compound,
    ballot_id: int,
    body: AdoptIn,
    account: Account,
    now: datetime,
) -> BallotOut:
    """Put the ballot's decided plan in force from `first_evening` on. The nights before it keep
    the plan in force for them. The first evening must still take requests (before its cutoff,
    not allocated), and no night from it on may be allocated."""
    hold_compound(session, compound)
    ballot = _ballot(session, compound.id, ballot_id)
    tally = TallyOut.model_validate(ballot.tally) if ballot.tally else None
    if tally is None:
        raise Conflict("ballot_not_counted", "the ballot has not been counted yet")
    decided = next((o for o in _options(session, ballot) if o.position == tally.decision), None)
    if decided is None or decided.plan is None:
        raise Conflict("no_plan_decided", "the ballot decided no plan")
    if session.scalar(select(CompoundPolicy).where(CompoundPolicy.ballot_id == ballot.id)):
        raise Conflict("plan_adopted", "this ballot's plan is adopted already")
    first = body.first_evening
    if first < current_evening(compound.timezone, now) or now >= cutoff_of(compound, first):
        raise InvalidField(
            "first_evening",
            "must be an evening whose requests are still open (before its cutoff)",
            code="adopt_too_late",
        )
    allocated = session.scalar(
        select(func.min(Night.evening)).where(
            Night.compound_id == compound.id,
            Night.evening >= first,
            (Night.draft_run_id.is_not(None))
            | (Night.published_run_id.is_not(None))
            | (Night.running_since.is_not(None)),
        )
    )
    if allocated is not None:
        raise Conflict("adopt_over_allocated", f"the night of {allocated} is allocated already")
    if session.scalar(
        select(CompoundPolicy).where(
            CompoundPolicy.compound_id == compound.id, CompoundPolicy.first_evening == first
        )
    ):
        raise Conflict("plan_adopted", f"a plan is adopted from {first} already")
    policy = PlanFile.model_validate(decided.plan).policy
    kinds = set(
        session.scalars(
            select(Space.kind).where(Space.compound_id == compound.id, Space.windows.is_(None))
        )
    )
    missing = sorted(kinds - set(policy.windows))
    if missing:
        raise Conflict(
            "plan_lacks_hours",
            f"the plan gives no hours for {', '.join(missing)} spaces (they have none)",
        )
    session.add(
        CompoundPolicy(
            compound_id=compound.id,
            first_evening=first,
            policy=policy.model_dump(mode="json", exclude_defaults=True),
            ballot_id=ballot.id,
            account_id=account.id,
            adopted_at=now,
        )
    )
    audit.record(
        session,
        **audit.by(compound, account, now),
        action="adopt plan",
        ballot=ballot.id,
        evening=first,
    )
    session.commit()
    return BallotOut(**_view(session, ballot, now, staff=True))


# --- the residents' summary ----------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One figure across the plan options, for a sentence: its name and each option's value."""

    name: str
    values: dict[int, float]  # position -> mean

    @property
    def spread(self) -> float:
        """How much the options differ, relative to the figure's size (0 when alike)."""
        known = list(self.values.values())
        if len(known) < 2:
            return 0.0
        top = max(abs(v) for v in known)
        return (max(known) - min(known)) / top if top else 0.0


# The figures a household understands, each said in one clause (service/web/i18n.py
# "ballot.fact.<name>"); the summary orders them by how much the plans differ.
PLAIN_FACTS = (
    "served_per_night",
    "refused_taken_month",
    "refused_no_fit_month",
    "renter_conflicts_month",
    "walk_m",
)


@dataclass(frozen=True)
class Summary:
    """What residents read first: the headline figure for every plan, then each plan's other
    figures, the differences that matter most first, and the what-if on renters away."""

    headline: Fact  # refused nights a month of a household without a space
    facts: list[Fact]  # ordered: the largest difference between plans first
    what_if_half: Fact
    what_if_double: Fact
    renter_away_share: float


def summary(ballot: BallotOut) -> Summary | None:
    """The residents' summary of a ballot's simulation, once it is done."""
    simulation = ballot.simulation
    if simulation is None or simulation.state != "done" or not simulation.options:
        return None

    def fact(name: str, pick: Callable[[OptionFiguresOut], EstimateOut]) -> Fact:
        return Fact(
            name,
            {o.position: value for o in simulation.options if (value := pick(o).mean) is not None},
        )

    facts = [fact(name, operator.attrgetter(name)) for name in PLAIN_FACTS]
    facts.sort(key=lambda f: -f.spread)
    return Summary(
        headline=fact("refused_nights_without_space", lambda o: o.refused_nights_without_space),
        facts=facts,
        what_if_half=fact("half", lambda o: o.without_space_if_away_half),
        what_if_double=fact("double", lambda o: o.without_space_if_away_double),
        renter_away_share=simulation.renter_away_share or 0.0,
    )
