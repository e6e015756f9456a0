"""Residents' pages, phone first: tonight (request, my space or why not), releasing a rented space,
and the last weeks. Every change goes through the API's own route functions, so the pages and the
API keep one set of rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from service.deps import NowDep, SessionDep
from service.models import Car, Compound, Release, Space
from service.nightly import current_evening, cutoff_of, published_run, published_runs
from service.routes import me
from service.schemas import CarIn, PathId, ReleaseIn, RequestIn, StandingRequestIn
from service.web.common import (
    LOOK_AHEAD_DAYS,
    REFUSALS,
    FormEvening,
    FormId,
    done,
    done_message,
    error_lines,
    evening_param,
    in_compound_time,
    is_open,
    next_open_evening,
    render,
)
from service.web.session import ResidentDep, ResidentPostDep, TranslatorDep
from service.web.sitemap import way_map

router = APIRouter(include_in_schema=False)
HISTORY_DAYS = 28


def _asked(run, outcome) -> dict:
    """The request as the run saw it."""
    return next(r for r in run.snapshot["requests"] if r["id"] == f"q{outcome.request_id}")


def _my_space(run, outcome) -> dict:
    """What the 'my space' card shows for one served request: the outcome and the way to it."""
    spaces = [(s["id"], s["x"], s["y"]) for s in run.snapshot["spaces"]]
    kind = next(s["kind"] for s in run.snapshot["spaces"] if s["id"] == outcome.space)
    request = _asked(run, outcome)
    home = next(h for h in run.snapshot["households"] if h["id"] == request["household"])
    building = home["id"].split("-")[0]
    return {
        "outcome": outcome,
        "kind": kind,
        "building": building,
        "map": way_map(spaces, (building, home["x"], home["y"]), outcome.space),
    }


def _refusal(run, outcome) -> dict:
    request = _asked(run, outcome)
    return {"outcome": outcome, "start": request["arrive"][11:16], "end": request["depart"][11:16]}


def _tonight(
    request: Request,
    t,
    session,
    household,
    now: datetime,
    errors: list[str] | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    compound = session.get(Compound, household.compound_id)
    evening = evening_param(
        request.query_params.get("evening") or (form or {}).get("evening"),
        current_evening(compound.timezone, now),
    )
    evening_open = is_open(session, compound, evening, now)
    # The form asks for the night shown when it still takes requests, else the next one that does.
    open_evening = evening if evening_open else next_open_evening(session, compound, now)
    run = published_run(session, compound.id, evening)
    outcomes = me.outcomes_of(run, household.code) if run else []
    cutoff = cutoff_of(compound, evening)
    served = [_my_space(run, o) for o in outcomes if o.space]
    refused = [_refusal(run, o) for o in outcomes if not o.space]
    mine = me.my_household(session, household)
    return render(
        request,
        t,
        "tonight.html",
        status_code,
        household=mine,
        evening=evening,
        cutoff=in_compound_time(compound, cutoff),
        evening_open=evening_open,
        closed_early=not evening_open and now < cutoff,
        published=run is not None,
        served=served,
        refused=refused,
        requests=me.my_requests(evening, session, household),
        open_evening=open_evening,
        open_requests=me.my_requests(open_evening, session, household)
        if open_evening and open_evening != evening
        else [],
        open_cutoff=in_compound_time(compound, cutoff_of(compound, open_evening))
        if open_evening
        else None,
        standing=me.my_standing_requests(session, household),
        cars={c.id: c for c in mine.cars},
        penalty_nights=int(compound.policy.get("overstay_penalty", {}).get("nights", 0)),
        errors=errors or [],
        form=form or {},
        done=done_message(t, request),
    )


@router.get("/tonight")
def tonight(
    request: Request, t: TranslatorDep, session: SessionDep, household: ResidentDep, now: NowDep
) -> Response:
    return _tonight(request, t, session, household, now)


@router.post("/requests")
def send_request(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
    evening: FormEvening,
    car_id: FormId,
    arrive: Annotated[str, Form(max_length=10)],
    depart: Annotated[str, Form(max_length=10)],
    needs: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
    needs_for: Annotated[int | None, Form()] = None,
) -> Response:
    form = {
        "evening": evening.isoformat(),
        "car_id": car_id,
        "arrive": arrive,
        "depart": depart,
        "needs": needs,
    }
    try:
        stay_needs = _stay_needs(session.get(Car, car_id), set(needs), needs_for)
        me.submit_request(
            evening,
            RequestIn(car_id=car_id, arrive=arrive, depart=depart, needs=stay_needs),
            session,
            household,
            now,
        )
    except REFUSALS as error:
        session.rollback()
        return _tonight(request, t, session, household, now, error_lines(t, error), form, 422)
    return done(f"/tonight?evening={evening.isoformat()}", "request.saved")


OFFERED_NEEDS = {"ev_charger", "accessible"}


def _stay_needs(car: Car | None, ticked: set[str], ticked_for: int | None) -> list[str] | None:
    """What the stay needs: the car's own needs (None) unless the resident changed the boxes shown
    for this very car; needs the form does not offer (e.g. covered) are kept either way."""
    if car is None or ticked_for != car.id:
        return None  # the boxes were filled for another car (no JavaScript to refill them)
    own = set(car.needs)
    ticked &= OFFERED_NEEDS
    return None if ticked == own & OFFERED_NEEDS else sorted((own - OFFERED_NEEDS) | ticked)


@router.post("/requests/{request_id}/cancel")
def cancel_request(
    request: Request,
    request_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
    evening: FormEvening,
) -> Response:
    try:
        me.cancel_request(request_id, session, household, now)
    except REFUSALS as error:
        session.rollback()
        return _tonight(
            request,
            t,
            session,
            household,
            now,
            error_lines(t, error),
            {"evening": evening.isoformat()},
            409,
        )
    return done(f"/tonight?evening={evening.isoformat()}", "request.cancelled")


@router.post("/standing-requests")
def add_standing(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
    car_id: FormId,
    arrive: Annotated[str, Form(max_length=10)],
    depart: Annotated[str, Form(max_length=10)],
    weekdays: Annotated[list[int], Form()] = [],  # noqa: B006
) -> Response:
    if not weekdays:
        return _tonight(
            request,
            t,
            session,
            household,
            now,
            [t("error.field.weekdays")],
            {"standing_car": car_id},
            422,
        )
    try:
        me.add_standing_request(
            StandingRequestIn(car_id=car_id, weekdays=weekdays, arrive=arrive, depart=depart),
            session,
            household,
        )
    except REFUSALS as error:
        session.rollback()
        return _tonight(
            request,
            t,
            session,
            household,
            now,
            error_lines(t, error),
            {"standing_car": car_id, "weekdays": weekdays},
            422,
        )
    return done("/tonight", "standing.saved")


@router.post("/standing-requests/{standing_id}/remove")
def remove_standing(
    request: Request,
    standing_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
) -> Response:
    try:
        me.remove_standing_request(standing_id, session, household)
    except REFUSALS as error:
        return _tonight(request, t, session, household, now, error_lines(t, error), None, 404)
    return done("/tonight", "standing.removed")


def _cars_page(
    request: Request,
    t,
    session,
    household,
    errors: list[str] | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        t,
        "cars.html",
        status_code,
        cars=me.my_household(session, household).cars,
        errors=errors or [],
        form=form or {},
        done=done_message(t, request),
    )


@router.get("/cars")
def cars(
    request: Request, t: TranslatorDep, session: SessionDep, household: ResidentDep
) -> Response:
    return _cars_page(request, t, session, household)


@router.post("/cars")
def add_car(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    plate: Annotated[str, Form(max_length=20)],
    size: Annotated[str, Form(max_length=10)],
    needs: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    try:
        me.add_car(CarIn(plate=plate.strip().upper(), size=size, needs=needs), session, household)
    except REFUSALS as error:
        session.rollback()
        return _cars_page(
            request,
            t,
            session,
            household,
            error_lines(t, error, {409: "error.car_exists"}),
            {"plate": plate, "size": size, "needs": needs},
            422,
        )
    return done("/cars", "cars.saved")


def _release_page(
    request: Request,
    t,
    session,
    household,
    now: datetime,
    errors: list[str] | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    compound = session.get(Compound, household.compound_id)
    current = current_evening(compound.timezone, now)
    spaces = session.scalars(
        select(Space).where(Space.renter_id == household.id).order_by(Space.code)
    ).all()
    releases = session.execute(
        select(Release, Space.code)
        .join(Space)
        .where(Space.renter_id == household.id, Release.last_evening >= current)
        .order_by(Release.first_evening)
    ).all()
    published = published_runs(
        session, compound.id, current - timedelta(days=1), current + timedelta(days=14)
    )
    users = [
        (evening, use) for evening, run in published for use in me.space_users(run, household.code)
    ]
    hours = {
        s.code: ", ".join(s.windows or compound.policy.get("windows", {}).get(s.kind, []))
        for s in spaces
    }
    first = next_open_evening(session, compound, now) or current + timedelta(days=1)
    return render(
        request,
        t,
        "release.html",
        status_code,
        spaces=spaces,
        hours=hours,
        releases=releases,
        users=users,
        form={"first": first.isoformat(), "last": first.isoformat()} | (form or {}),
        errors=errors or [],
        done=done_message(t, request),
    )


@router.get("/release")
def release_page(
    request: Request, t: TranslatorDep, session: SessionDep, household: ResidentDep, now: NowDep
) -> Response:
    return _release_page(request, t, session, household, now)


@router.post("/release")
def release(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
    space: Annotated[str, Form(max_length=40)],
    first: FormEvening,
    last: FormEvening,
) -> Response:
    form = {"space": space, "first": first.isoformat(), "last": last.isoformat()}
    if last < first:
        return _release_page(
            request, t, session, household, now, [t("error.release_order")], form, 422
        )
    try:
        me.release_space(
            ReleaseIn(space=space, first_evening=first, last_evening=last), session, household, now
        )
    except REFUSALS as error:
        session.rollback()
        return _release_page(request, t, session, household, now, error_lines(t, error), form, 422)
    return done("/release", "release.saved")


@router.post("/release/{release_id}/take-back")
def take_back_release(
    request: Request,
    release_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
) -> Response:
    try:
        me.take_back_release(release_id, session, household, now)
    except REFUSALS as error:
        session.rollback()
        return _release_page(request, t, session, household, now, error_lines(t, error), None, 409)
    return done("/release", "release.taken_back")


@router.get("/history")
def history(
    request: Request, t: TranslatorDep, session: SessionDep, household: ResidentDep, now: NowDep
) -> Response:
    compound = session.get(Compound, household.compound_id)
    current = current_evening(compound.timezone, now)
    # Nights already published ahead of the current one count too (staff may run early).
    published = published_runs(
        session,
        compound.id,
        current - timedelta(days=HISTORY_DAYS),
        current + timedelta(days=LOOK_AHEAD_DAYS),
    )
    rows = [
        (evening, outcome)
        for evening, run in reversed(published)
        for outcome in me.outcomes_of(run, household.code)
    ]
    served = len({evening for evening, outcome in rows if outcome.space})
    refused = len({evening for evening, _ in rows}) - served
    return render(request, t, "history.html", rows=rows, served=served, refused=refused)
