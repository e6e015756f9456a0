"""Residents' pages, phone first: tonight (request, my space or why not), releasing a rented space,
and the last weeks. They read and change through the application layer, as the API does, so the
pages and the API keep one set of rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from engine.clock import format_clock
from service.actions import live, residents
from service.actions.calendar import current_evening, in_compound_time
from service.actions.guidance import Unfit
from service.actions.policies import plan_in_force
from service.arrival import ArrivedDep
from service.deps import NowDep, PathId, SessionDep
from service.models import Household
from service.schemas import CarIn, CarOut, ReleaseIn, RequestIn, StandingRequestIn
from service.statuses import status_of
from service.web.common import (
    REFUSALS,
    FormEvening,
    FormId,
    attempt,
    done,
    done_message,
    error_lines,
    evening_param,
    level_labels,
    render,
)
from service.web.i18n import Translator
from service.web.session import ResidentDep, ResidentPostDep, TranslatorDep
from service.web.sitemap import way_map

router = APIRouter(include_in_schema=False)

Form_ = dict[str, Any]


def _tonight(
    request: Request,
    t: Translator,
    session: Session,
    household: Household,
    now: datetime,
    errors: list[str] | None = None,
    form: Form_ | None = None,
    status_code: int = 200,
    unfit: Unfit | None = None,
) -> Response:
    compound = residents.compound_of(session, household)
    evening = evening_param(
        request.query_params.get("evening") or (form or {}).get("evening"),
        current_evening(compound.timezone, now),
    )
    view = residents.tonight(session=session, household=household, evening=evening, now=now)
    return render(
        request,
        t,
        "tonight.html",
        status_code,
        view=view,
        household=view.household,
        evening=evening,
        cutoff=in_compound_time(compound, view.cutoff),
        open_cutoff=in_compound_time(compound, view.open_cutoff) if view.open_cutoff else None,
        maps_by_request={
            way.outcome.request_id: way_map(
                way.spaces, (way.building, *way.home), way.outcome.space or ""
            )
            for way in view.served
        },
        cars={c.id: c for c in view.household.cars},
        errors=errors or [],
        form=form or {},
        done=done_message(t, request),
        levels=level_labels(t, plan_in_force(session, compound, evening)),
        unfit=unfit,
        clock=format_clock,
        shared_hours=[
            t("request.kind_hours", kind=t.known("kind.", kind), hours=hours.replace("-", "–"))
            for kind, windows in view.shared_hours.items()
            for hours in windows
        ],
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
    now: ArrivedDep,
    evening: FormEvening,
    car_id: FormId,
    arrive: Annotated[str, Form(max_length=10)],
    depart: Annotated[str, Form(max_length=10)],
    needs: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
    needs_for: Annotated[int | None, Form()] = None,
    confirm: Annotated[bool, Form()] = False,
    charging: Annotated[bool, Form()] = False,
) -> Response:
    form = {
        "evening": evening.isoformat(),
        "car_id": car_id,
        "arrive": arrive,
        "depart": depart,
        "needs": needs,
        "needs_for": needs_for,
        "charging": charging,
    }
    cars = residents.my_household(session=session, household=household).cars
    car = next((c for c in cars if c.id == car_id), None)

    def page(errors: list[str], code: int, unfit: Unfit | None = None) -> Response:
        return _tonight(request, t, session, household, now, errors, form, code, unfit)

    try:
        body = RequestIn(
            car_id=car_id,
            arrive=arrive,
            depart=depart,
            needs=_stay_needs(car, set(needs), needs_for),
            charging=charging,
        )
        # Unless the resident has seen why and confirmed, a stay no space could take is not sent
        # (in the rush before the cutoff every request is taken as sent).
        compound = residents.compound_of(session, household)
        if not confirm and not residents.in_rush(compound, evening, now):
            unfit = residents.unfit(
                session=session, household=household, evening=evening, body=body
            )
            if unfit is not None:
                return page([], 200, unfit)
        residents.submit_request(
            session=session, household=household, evening=evening, body=body, now=now
        )
    except REFUSALS as error:
        session.rollback()
        return page(error_lines(t, error), status_of(error))
    saved = "charge.saved" if charging else "request.saved"
    return done(f"/tonight?evening={evening.isoformat()}", saved)


OFFERED_NEEDS = {"ev_charger", "accessible"}


def _stay_needs(car: CarOut | None, ticked: set[str], ticked_for: int | None) -> list[str] | None:
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
    now: ArrivedDep,
    evening: FormEvening,
) -> Response:
    form = {"evening": evening.isoformat()}
    refused = attempt(
        lambda: residents.cancel_request(
            session=session, household=household, request_id=request_id, now=now
        ),
        lambda errors, code: _tonight(request, t, session, household, now, errors, form, code),
        session,
        t,
    )
    return refused or done(f"/tonight?evening={evening.isoformat()}", "request.cancelled")


def _on_tonight(
    request: Request,
    t: Translator,
    session: Session,
    household: Household,
    now: datetime,
    evening: date,
    change: Callable[[], object],
    key: str,
) -> Response:
    """A change to tonight as it is lived, then back to Tonight saying so (or the page again
    with why not)."""
    refused = attempt(
        change,
        lambda errors, code: _tonight(
            request, t, session, household, now, errors, {"evening": evening.isoformat()}, code
        ),
        session,
        t,
    )
    return refused or done(f"/tonight?evening={evening.isoformat()}", key)


@router.post("/offers/{offer_id}/{answer}")
def answer_offer(
    request: Request,
    offer_id: PathId,
    answer: Literal["take", "pass"],
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
    evening: FormEvening,
) -> Response:
    def change() -> object:
        return live.answer_offer(
            session=session,
            household=household,
            offer_id=offer_id,
            accept=answer == "take",
            now=now,
        )

    key = "offer.taken" if answer == "take" else "offer.passed"
    return _on_tonight(request, t, session, household, now, evening, change, key)


@router.post("/requests/{request_id}/give-back")
def give_back(
    request: Request,
    request_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
    evening: FormEvening,
) -> Response:
    def change() -> object:
        return live.give_back(session=session, household=household, request_id=request_id, now=now)

    return _on_tonight(request, t, session, household, now, evening, change, "stay.given_back")


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
    form = {"standing_car": car_id, "weekdays": weekdays}

    def add() -> object:
        body = StandingRequestIn(car_id=car_id, weekdays=weekdays, arrive=arrive, depart=depart)
        return residents.add_standing_request(session=session, household=household, body=body)

    refused = attempt(
        add,
        lambda errors, code: _tonight(request, t, session, household, now, errors, form, code),
        session,
        t,
    )
    return refused or done("/tonight", "standing.saved")


@router.post("/standing-requests/{standing_id}/remove")
def remove_standing(
    request: Request,
    standing_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
) -> Response:
    refused = attempt(
        lambda: residents.remove_standing_request(
            session=session, household=household, standing_id=standing_id
        ),
        lambda errors, code: _tonight(request, t, session, household, now, errors, None, code),
        session,
        t,
    )
    return refused or done("/tonight", "standing.removed")


def _cars_page(
    request: Request,
    t: Translator,
    session: Session,
    household: Household,
    errors: list[str] | None = None,
    form: Form_ | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        t,
        "cars.html",
        status_code,
        cars=residents.my_household(session=session, household=household).cars,
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
    form = {"plate": plate, "size": size, "needs": needs}

    def add() -> object:
        body = CarIn.model_validate({"plate": plate, "size": size, "needs": needs})
        return residents.add_car(session=session, household=household, body=body)

    refused = attempt(
        add,
        lambda errors, code: _cars_page(request, t, session, household, errors, form, code),
        session,
        t,
    )
    return refused or done("/cars", "cars.saved")


def _release_page(
    request: Request,
    t: Translator,
    session: Session,
    household: Household,
    now: datetime,
    errors: list[str] | None = None,
    form: Form_ | None = None,
    status_code: int = 200,
) -> Response:
    view = residents.my_releases(session=session, household=household, now=now)
    first = view.first_open.isoformat()
    return render(
        request,
        t,
        "release.html",
        status_code,
        view=view,
        form={"first": first, "last": first} | (form or {}),
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
    now: ArrivedDep,
    space: Annotated[str, Form(max_length=40)],
    first: FormEvening,
    last: FormEvening,
) -> Response:
    form = {"space": space, "first": first.isoformat(), "last": last.isoformat()}

    def release_it() -> object:
        body = ReleaseIn(space=space, first_evening=first, last_evening=last)
        return residents.release_space(session=session, household=household, body=body, now=now)

    refused = attempt(
        release_it,
        lambda errors, code: _release_page(request, t, session, household, now, errors, form, code),
        session,
        t,
    )
    return refused or done("/release", "release.saved")


@router.post("/release/tonight")
def release_tonight(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
    space: Annotated[str, Form(max_length=40)],
) -> Response:
    refused = attempt(
        lambda: live.release_tonight(session=session, household=household, space=space, now=now),
        lambda errors, code: _release_page(request, t, session, household, now, errors, {}, code),
        session,
        t,
    )
    return refused or done("/release", "release.tonight_saved")


@router.post("/release/{release_id}/take-back")
def take_back_release(
    request: Request,
    release_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: ArrivedDep,
) -> Response:
    refused = attempt(
        lambda: residents.take_back_release(
            session=session, household=household, release_id=release_id, now=now
        ),
        lambda errors, code: _release_page(request, t, session, household, now, errors, None, code),
        session,
        t,
    )
    return refused or done("/release", "release.taken_back")


@router.get("/history")
def history(
    request: Request, t: TranslatorDep, session: SessionDep, household: ResidentDep, now: NowDep
) -> Response:
    view = residents.my_history(session=session, household=household, now=now)
    return render(
        request,
        t,
        "history.html",
        rows=view.rows,
        served=view.nights_served,
        refused=view.nights_refused,
    )
