"""Ballot pages. Residents (phone first): the ballot with the simulation's summary in plain words,
their vote (cast, changed, its receipt), the posted result and the receipt check. Staff: making
a ballot, its simulation's progress, the turnout, paper votes, closing, the printable notice and
adopting the decided plan. Every rule is in service.actions.ballots, as for the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.actions import ballots
from service.actions.ballots import Fact, Summary
from service.actions.calendar import current_evening, in_compound_time
from service.actions.errors import DomainError
from service.actions.policies import policy_in_force
from service.deps import BallotKeyDep, JobsDep, NowDep, PathId, SessionDep, SessionsDep, clock_from
from service.models import Compound, Household
from service.schemas import AdoptIn, BallotIn, BallotOptionOut, BallotOut, PaperVoteIn, VoteIn
from service.security import normal_receipt
from service.statuses import status_of
from service.web.common import REFUSALS, FormEvening, done, done_message, error_lines, render
from service.web.i18n import MESSAGES, Translator
from service.web.session import (
    PostedDep,
    ResidentDep,
    ResidentPostDep,
    StaffDep,
    StaffPostDep,
    TranslatorDep,
)

residents = APIRouter(include_in_schema=False)
staff = APIRouter(prefix="/staff", include_in_schema=False)


# --- words ----------------------------------------------------------------------------------


def label(t: Translator, option: BallotOptionOut) -> str:
    return option.label_zh if t.language == "zh" else option.label


def about(value: float) -> str:
    """A figure as a household reads it: whole numbers, one decimal below 10 when it matters."""
    if value < 10 and round(value, 1) != round(value):
        return f"{value:.1f}"
    return f"{value:.0f}"


@dataclass(frozen=True)
class SummaryText:
    headline: str
    options: list[str]
    none_of_these: str | None
    what_if: str


def summary_text(t: Translator, ballot: BallotOut, summary: Summary) -> SummaryText:
    """The summary's sentences: the headline across plans, one sentence per plan with the
    differences that matter most first, and the what-if on renters away."""
    names = {o.position: label(t, o) for o in ballot.options}
    separator = "；" if t.language == "zh" else "; "

    def across(fact: Fact, first: str, then: str) -> str:
        parts = [
            t(first if i == 0 else then, plan=names[p], count=about(v))
            for i, (p, v) in enumerate(sorted(fact.values.items()))
        ]
        return separator.join(parts)

    per_plan = []
    for position in sorted(summary.headline.values):
        clauses = [
            t(f"ballot.fact.{fact.name}", count=about(fact.values[position]))
            for fact in summary.facts
            if position in fact.values
        ]
        per_plan.append(
            t("ballot.plan_sentence", plan=names[position], facts=separator.join(clauses))
        )
    none = next((o for o in ballot.options if o.none_of_these), None)
    share = summary.renter_away_share

    def values(fact: Fact) -> str:
        return separator.join(
            t("ballot.what_if_value", plan=names[p], count=about(v))
            for p, v in sorted(fact.values.items())
        )

    return SummaryText(
        headline=t(
            "ballot.headline",
            sentence=across(summary.headline, "ballot.headline_first", "ballot.headline_next"),
        ),
        options=per_plan,
        none_of_these=t("ballot.none_sentence") if none else None,
        what_if=t(
            "ballot.what_if",
            share=f"{100 * share:.1f}",
            half=f"{50 * share:.1f}",
            double=f"{200 * share:.1f}",
            half_values=values(summary.what_if_half),
            double_values=values(summary.what_if_double),
        ),
    )


def decision_line(t: Translator, ballot: BallotOut) -> str:
    tally = ballot.tally
    if tally is None:
        return ""
    if tally.decision is not None:
        option = ballot.options[tally.decision]
        if option.none_of_these:
            return t("result.decided_none")
        return t("result.decided", plan=label(t, option))
    if not tally.participation_met:
        return t("result.no_quorum")
    return t("result.no_majority")


def _ballot_context(t: Translator, ballot: BallotOut, compound: Compound) -> dict[str, Any]:
    summary = ballots.summary(ballot)
    return {
        "ballot": ballot,
        "labels": {o.position: label(t, o) for o in ballot.options},
        "figures": {
            f.position: f for f in (ballot.simulation.options if ballot.simulation else [])
        },
        "summary": summary_text(t, ballot, summary) if summary else None,
        "opens": in_compound_time(compound, ballot.opens_at),
        "closes": in_compound_time(compound, ballot.closes_at),
        "decision": decision_line(t, ballot),
        "about": about,
    }


# --- residents -----------------------------------------------------------------------------


@residents.get("/ballots")
def my_ballots(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentDep,
    key: BallotKeyDep,
    now: NowDep,
) -> Response:
    compound = session.get_one(Compound, household.compound_id)
    items = ballots.my_ballots(session=session, household=household, key=key, now=now)
    return render(
        request,
        t,
        "ballots.html",
        items=[
            (b, in_compound_time(compound, b.opens_at), in_compound_time(compound, b.closes_at))
            for b in items
        ],
        done=done_message(t, request),
    )


def _my_ballot_page(
    request: Request,
    t: Translator,
    session: Session,
    household: Household,
    ballot_id: int,
    key: bytes | None,
    now: datetime,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    compound = session.get_one(Compound, household.compound_id)
    ballot = ballots.my_ballot(
        session=session, household=household, ballot_id=ballot_id, key=key, now=now
    )
    checked, check_errors = None, []
    typed = request.query_params.get("receipt", "").strip()[:40]
    if typed:
        try:
            checked = ballots.check_receipt(
                session=session, household=household, ballot_id=ballot_id, receipt=typed
            )
        except DomainError as error:
            check_errors = error_lines(t, error)
    return render(
        request,
        t,
        "ballot.html",
        status_code,
        **_ballot_context(t, ballot, compound),
        checked=checked,
        check_errors=check_errors,
        typed_receipt=normal_receipt(typed) if typed else "",
        errors=errors or [],
        done=done_message(t, request),
    )


@residents.get("/ballots/{ballot_id}")
def my_ballot(
    request: Request,
    ballot_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentDep,
    key: BallotKeyDep,
    now: NowDep,
) -> Response:
    return _my_ballot_page(request, t, session, household, ballot_id, key, now)


def _attempt(
    change: Callable[[], object],
    page: Callable[[list[str], int], Response],
    session: Session,
    t: Translator,
) -> Response | None:
    try:
        change()
    except REFUSALS as error:
        session.rollback()
        return page(error_lines(t, error), status_of(error))
    return None


@residents.post("/ballots/{ballot_id}/vote")
def cast_vote(
    request: Request,
    ballot_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    key: BallotKeyDep,
    now: NowDep,
    option: Annotated[int, Form(ge=0, le=4)],
) -> Response:
    refused = _attempt(
        lambda: ballots.vote(
            session=session,
            household=household,
            ballot_id=ballot_id,
            body=VoteIn(option=option),
            key=key,
            now=now,
        ),
        lambda errors, code: _my_ballot_page(
            request, t, session, household, ballot_id, key, now, errors, code
        ),
        session,
        t,
    )
    return refused or done(f"/ballots/{ballot_id}", "ballot.voted")


# --- staff ---------------------------------------------------------------------------------

CUSTOM = "custom"
NONE = "none"


def _local_input(compound: Compound, moment: datetime) -> str:
    return in_compound_time(compound, moment).strftime("%Y-%m-%dT%H:%M")


def _staff_list_page(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    key: bytes | None,
    now: datetime,
    errors: list[str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    items = ballots.list_ballots(session=session, compound=compound, key=key, now=now, staff=True)
    policy = policy_in_force(session, compound, current_evening(compound.timezone, now))
    windows = policy.get("windows", {})
    start = now.replace(second=0, microsecond=0)
    return render(
        request,
        t,
        "staff_ballots.html",
        status_code,
        items=[
            (b, in_compound_time(compound, b.opens_at), in_compound_time(compound, b.closes_at))
            for b in items
        ],
        plans={
            stem: plan.name_zh if t.language == "zh" and plan.name_zh else plan.name
            for stem, plan in ballots.bundled_plans().items()
        },
        form={
            "opens_at": _local_input(compound, start),
            "closes_at": _local_input(compound, start + timedelta(days=14)),
            "rule": "majority",
            "options": ["laiyang-voted", "earlier-hours", NONE, "", ""],
            "rented": ", ".join(windows.get("rented", [])),
            "street": ", ".join(windows.get("street", [])),
            "seed": 1,
        }
        | (form or {}),
        errors=errors or [],
        done=done_message(t, request),
    )


@staff.get("/ballots")
def staff_ballots(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffDep,
    key: BallotKeyDep,
    now: NowDep,
) -> Response:
    return _staff_list_page(request, t, session, compound, key, now)


def _custom_plan(
    session: Session,
    compound: Compound,
    now: datetime,
    name: str,
    rented: str,
    street: str,
    street_spaces: str,
) -> dict[str, Any]:
    """A plan made on the page: the plan in force with the hours and street spaces typed."""
    policy = dict(policy_in_force(session, compound, current_evening(compound.timezone, now)))
    windows = dict(policy.get("windows", {}))
    for kind, text in (("rented", rented), ("street", street)):
        hours = [part.strip() for part in text.split(",") if part.strip()]
        if hours:
            windows[kind] = hours
        else:
            windows.pop(kind, None)
    policy["windows"] = windows
    chinese, english = MESSAGES["ballots.custom"]
    plan: dict[str, Any] = {
        "name": name.strip() or english,
        "name_zh": name.strip() or chinese,
        "policy": policy,
    }
    if street_spaces.strip():
        plan["pools"] = {"street": {"spaces": street_spaces.strip()}}
    return plan


@staff.post("/ballots")
def create_ballot(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    sessions: SessionsDep,
    compound: StaffPostDep,
    account: PostedDep,
    key: BallotKeyDep,
    jobs: JobsDep,
    now: NowDep,
    question: Annotated[str, Form(max_length=500)],
    opens_at: Annotated[str, Form(max_length=20)],
    closes_at: Annotated[str, Form(max_length=20)],
    rule: Annotated[str, Form(max_length=20)] = "majority",
    options: Annotated[list[str], Form(max_length=5)] = [],  # noqa: B006 (FastAPI copies form defaults)
    custom_name: Annotated[str, Form(max_length=80)] = "",
    rented: Annotated[str, Form(max_length=200)] = "",
    street: Annotated[str, Form(max_length=200)] = "",
    street_spaces: Annotated[str, Form(max_length=10)] = "",
    seed: Annotated[str, Form(max_length=10)] = "1",
) -> Response:
    form = {
        "question": question,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "rule": rule,
        "options": options + [""] * (5 - len(options)),
        "custom_name": custom_name,
        "rented": rented,
        "street": street,
        "street_spaces": street_spaces,
        "seed": seed,
    }
    made: list[BallotOut] = []

    def make() -> None:
        chosen = [o for o in options if o]
        body = BallotIn.model_validate(
            {
                "question": question,
                "rule": rule,
                "opens_at": opens_at,
                "closes_at": closes_at,
                "seed": seed or 1,
                "options": [
                    {"kind": "none"}
                    if o == NONE
                    else {
                        "plan": _custom_plan(
                            session, compound, now, custom_name, rented, street, street_spaces
                        )
                    }
                    if o == CUSTOM
                    else {"bundled": o}
                    for o in chosen
                ],
            }
        )
        made.append(
            ballots.create_ballot(
                session=session, compound=compound, body=body, account=account, now=now
            )
        )

    refused = _attempt(
        make,
        lambda errors, code: _staff_list_page(
            request, t, session, compound, key, now, errors, form, code
        ),
        session,
        t,
    )
    if refused:
        return refused
    ballot = made[0]
    job_id = ballots.job_of(session=session, compound=compound, ballot_id=ballot.id)
    jobs.submit(ballots.run_simulation, sessions=sessions, job_id=job_id, clock=clock_from(now))
    return done(f"/staff/ballots/{ballot.id}", "ballot.created")


def _staff_ballot_page(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    ballot_id: int,
    key: bytes | None,
    now: datetime,
    errors: list[str] | None = None,
    status_code: int = 200,
    receipt: str | None = None,
) -> Response:
    ballot = ballots.read_ballot(
        session=session, compound=compound, ballot_id=ballot_id, key=key, now=now
    )
    current = current_evening(compound.timezone, now)
    return render(
        request,
        t,
        "staff_ballot.html",
        status_code,
        **_ballot_context(t, ballot, compound),
        first_evening=current + timedelta(days=1),
        paper_receipt=receipt,
        errors=errors or [],
        done=done_message(t, request),
    )


@staff.get("/ballots/{ballot_id}")
def staff_ballot(
    request: Request,
    ballot_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffDep,
    key: BallotKeyDep,
    now: NowDep,
) -> Response:
    return _staff_ballot_page(request, t, session, compound, ballot_id, key, now)


@staff.post("/ballots/{ballot_id}/close")
def close_ballot(
    request: Request,
    ballot_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    key: BallotKeyDep,
    now: NowDep,
) -> Response:
    refused = _attempt(
        lambda: ballots.close_ballot(
            session=session,
            compound=compound,
            ballot_id=ballot_id,
            account=account,
            key=key,
            now=now,
        ),
        lambda errors, code: _staff_ballot_page(
            request, t, session, compound, ballot_id, key, now, errors, code
        ),
        session,
        t,
    )
    return refused or done(f"/staff/ballots/{ballot_id}", "ballot.closed")


@staff.post("/ballots/{ballot_id}/paper")
def paper_vote(
    request: Request,
    ballot_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    key: BallotKeyDep,
    now: NowDep,
    household: Annotated[str, Form(max_length=40)],
    option: Annotated[int, Form(ge=0, le=4)],
) -> Response:
    entered: list[str] = []

    def enter() -> None:
        body = PaperVoteIn(household=household.strip(), option=option)
        entered.append(
            ballots.paper_vote(
                session=session,
                compound=compound,
                ballot_id=ballot_id,
                body=body,
                account=account,
                key=key,
                now=now,
            ).receipt
        )

    refused = _attempt(
        enter,
        lambda errors, code: _staff_ballot_page(
            request, t, session, compound, ballot_id, key, now, errors, code
        ),
        session,
        t,
    )
    # The receipt is shown once, on the page the post returns, for the household's slip.
    return refused or _staff_ballot_page(
        request, t, session, compound, ballot_id, key, now, status_code=201, receipt=entered[0]
    )


@staff.post("/ballots/{ballot_id}/adopt")
def adopt_plan(
    request: Request,
    ballot_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    key: BallotKeyDep,
    now: NowDep,
    first_evening: FormEvening,
) -> Response:
    refused = _attempt(
        lambda: ballots.adopt_plan(
            session=session,
            compound=compound,
            ballot_id=ballot_id,
            body=AdoptIn(first_evening=first_evening),
            account=account,
            now=now,
        ),
        lambda errors, code: _staff_ballot_page(
            request, t, session, compound, ballot_id, key, now, errors, code
        ),
        session,
        t,
    )
    return refused or done(f"/staff/ballots/{ballot_id}", "ballot.adopted")


@staff.get("/ballots/{ballot_id}/notice")
def notice(
    request: Request,
    ballot_id: PathId,
    session: SessionDep,
    compound: StaffDep,
    key: BallotKeyDep,
    now: NowDep,
) -> Response:
    """The posted result (公示) on A4, in Chinese, with the figures and the rule."""
    chinese = Translator("zh")
    ballot = ballots.read_ballot(
        session=session, compound=compound, ballot_id=ballot_id, key=key, now=now
    )
    return render(
        request,
        chinese,
        "notice.html",
        **_ballot_context(chinese, ballot, compound),
        compound=compound,
        printed=in_compound_time(compound, now),
    )
