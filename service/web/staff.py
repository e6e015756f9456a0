"""Staff pages, desk first: the night (figures, site map, stays, pins, run and publish), the gate
list for printing, the morning round, households and spaces. Changes go through the API's route
functions, as on the residents' pages."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from service.deps import NowDep, SessionDep, SettingsDep
from service.models import Car, Household, Night, ParkingRequest, Release, Run, Space
from service.nightly import InvalidField, current_evening, cutoff_of, night_of
from service.routes import staff as api
from service.schemas import (
    Evening,
    HouseholdIn,
    OverstaysIn,
    PathId,
    PinIn,
    SpaceChangeIn,
    SpaceIn,
    UrgentRequestIn,
    WithdrawReleaseIn,
)
from service.web.common import (
    REFUSALS,
    FormId,
    done,
    done_message,
    error_lines,
    evening_param,
    field_error,
    in_compound_time,
    listing,
    render,
)
from service.web.session import PostedDep, StaffDep, StaffPostDep, TranslatorDep
from service.web.sitemap import SpaceState, compound_map

router = APIRouter(prefix="/staff", include_in_schema=False)


def _night_url(evening: date, space: str | None = None) -> str:
    return f"/staff/night?evening={evening.isoformat()}" + (f"&space={space}" if space else "")


def _shown_run(session, night: Night) -> Run | None:
    """The run staff are looking at: the draft under review, else what is published."""
    run_id = night.draft_run_id or night.published_run_id
    return session.get(Run, run_id) if run_id else None


def _night_page(
    request: Request,
    t,
    session,
    compound,
    now,
    evening: date,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    summary = api.read_night(evening, compound, session, now)
    night = night_of(session, compound.id, evening)
    spaces = session.scalars(
        select(Space).where(Space.compound_id == compound.id).order_by(Space.code)
    ).all()
    released = set(
        session.scalars(
            select(Release.space_id)
            .join(Space)
            .where(
                Space.compound_id == compound.id,
                Release.first_evening <= evening,
                Release.last_evening >= evening,
            )
        )
    )
    shared = {s.code for s in spaces if s.renter_id is None or s.id in released}
    run = _shown_run(session, night)
    asked = {r["id"]: r for r in run.snapshot["requests"]} if run else {}
    refused = [
        u
        | {
            "household": asked[u["request"]]["household"],
            "plate": asked[u["request"]]["plate"],
            "start": asked[u["request"]]["arrive"][11:16],
            "end": asked[u["request"]]["depart"][11:16],
        }
        for u in (run.result["unassigned"] if run else ())
    ]
    stays: dict[str, list[dict]] = {}
    for a in run.result["assignments"] if run else ():
        stays.setdefault(a["space"], []).append(a | {"plate": asked[a["request"]]["plate"]})
    states = {
        s.code: SpaceState.USED
        if s.code in stays
        else SpaceState.FREE
        if s.code in shared
        else SpaceState.PRIVATE
        for s in spaces
    }
    households = session.execute(
        select(Household.id, Household.code, Household.x, Household.y).where(
            Household.compound_id == compound.id
        )
    ).all()
    selected = request.query_params.get("space")
    chosen = next((s for s in spaces if s.code == selected), None)
    renters = {h.id: h.code for h in households}
    night_requests = session.execute(
        select(ParkingRequest, Car, Household.code)
        .join(Car, ParkingRequest.car_id == Car.id)
        .join(Household, ParkingRequest.household_id == Household.id)
        .where(ParkingRequest.night_id == night.id)
        .order_by(Household.code)
    ).all()
    # Pins name the request as people know it: household and plate.
    pin_labels = {r.id: f"{code} {car.plate}" for r, car, code in night_requests}
    session.commit()
    return render(
        request,
        t,
        "night.html",
        status_code,
        evening=evening,
        previous=evening - timedelta(days=1),
        following=evening + timedelta(days=1),
        night=summary,
        cutoff=in_compound_time(compound, cutoff_of(compound, evening)),
        released=sum(1 for s in spaces if s.renter_id is not None and s.code in shared),
        street=sum(1 for s in spaces if s.renter_id is None),
        site=compound_map(
            [(s.code, s.x, s.y) for s in spaces],
            [(h.code, h.x, h.y) for h in households],
            states,
            f"{_night_url(evening)}&space=",
            selected,
        ),
        state_of=states,
        chosen=chosen,
        renter=renters.get(chosen.renter_id) if chosen else None,
        stays=stays.get(selected, []),
        released_tonight=chosen is not None
        and chosen.renter_id is not None
        and chosen.code in shared,
        night_requests=night_requests,
        refused=refused,
        pin_labels=pin_labels,
        zoomed=request.query_params.get("zoom") == "1",
        errors=errors or [],
        done=done_message(t, request),
    )


@router.get("")
def staff_home() -> Response:
    return RedirectResponse("/staff/night", status_code=303)


@router.get("/night")
def night_page(
    request: Request, t: TranslatorDep, session: SessionDep, compound: StaffDep, now: NowDep
) -> Response:
    evening = evening_param(
        request.query_params.get("evening"), current_evening(compound.timezone, now)
    )
    return _night_page(request, t, session, compound, now, evening)


def _night_action(
    request: Request,
    t,
    session,
    compound,
    now,
    evening: date,
    action,
    success: str,
    space: str | None = None,
    known: dict | None = None,
) -> Response:
    try:
        action()
    except REFUSALS as error:
        session.rollback()
        status_code = 422 if isinstance(error, (InvalidField, ValidationError)) else 409
        return _night_page(
            request, t, session, compound, now, evening, error_lines(t, error, known), status_code
        )
    return done(_night_url(evening, space), success)


@router.post("/night/{evening}/run")
def run(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    return _night_action(
        request,
        t,
        session,
        compound,
        now,
        evening,
        lambda: api.run(evening, compound, session, account, settings, request, now),
        "night.ran",
    )


@router.post("/night/{evening}/reoptimise")
def reoptimise(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    return _night_action(
        request,
        t,
        session,
        compound,
        now,
        evening,
        lambda: api.reoptimise(evening, compound, session, account, settings, request, now),
        "night.ran",
    )


@router.post("/night/{evening}/publish")
def publish(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
) -> Response:
    return _night_action(
        request,
        t,
        session,
        compound,
        now,
        evening,
        lambda: api.publish_night(evening, compound, session, account, now),
        "night.published_done",
    )


@router.post("/night/{evening}/pins")
def add_pin(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    request_id: FormId,
    space: Annotated[str, Form(max_length=40)],
    action: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    return _night_action(
        request,
        t,
        session,
        compound,
        now,
        evening,
        lambda: api.add_pin(
            evening,
            PinIn(request_id=request_id, space=space, action=action, reason=reason),
            compound,
            session,
            account,
            now,
        ),
        "pin.saved",
        space,
        {409: "error.pin_exists"},
    )


@router.post("/night/{evening}/pins/{pin_id}/remove")
def remove_pin(
    request: Request,
    evening: Evening,
    pin_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
) -> Response:
    return _night_action(
        request,
        t,
        session,
        compound,
        now,
        evening,
        lambda: api.remove_pin(evening, pin_id, compound, session, account, now),
        "pin.removed",
    )


@router.post("/night/{evening}/urgent")
def add_urgent_request(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    household: Annotated[str, Form(max_length=40)],
    plate: Annotated[str, Form(max_length=20)],
    arrive: Annotated[str, Form(max_length=10)],
    depart: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    """A request taken at the desk: the car is named by its household and plate, as people give it."""
    car = session.scalar(
        select(Car)
        .join(Household, Car.household_id == Household.id)
        .where(
            Household.compound_id == compound.id,
            Household.code == household.strip(),
            Car.plate == plate.strip(),
        )
    )
    if car is None:
        return _night_page(
            request, t, session, compound, now, evening, [t("error.no_such_car")], 422
        )
    body = lambda: UrgentRequestIn(
        household=household.strip(), car_id=car.id, arrive=arrive, depart=depart, reason=reason
    )
    return _night_action(
        request,
        t,
        session,
        compound,
        now,
        evening,
        lambda: api.add_urgent_request(evening, body(), compound, session, account, now),
        "urgent.saved",
    )


@router.post("/night/{evening}/withdraw-release")
def withdraw_release(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    space: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    body = lambda: WithdrawReleaseIn(space=space, reason=reason)  # noqa: E731
    return _night_action(
        request,
        t,
        session,
        compound,
        now,
        evening,
        lambda: api.withdraw_release(evening, body(), compound, session, account, now),
        "withdraw.saved",
        space,
        {404: "error.not_released"},
    )


@router.get("/audit")
def audit(request: Request, t: TranslatorDep, session: SessionDep, compound: StaffDep) -> Response:
    entries = [
        (
            in_compound_time(
                compound, entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
            ),
            entry,
        )
        for entry in api.audit_log(compound, session, 200)
    ]
    return render(request, t, "audit.html", entries=entries)


def _published_rows(session, compound, evening: date) -> list[dict] | None:
    """The published night, one row per car with a space, in the order of the spaces; None before publishing."""
    night = night_of(session, compound.id, evening)
    if night.published_run_id is None:
        return None
    run = session.get(Run, night.published_run_id)
    plates = {r["id"]: r["plate"] for r in run.snapshot["requests"]}
    kinds = {s["id"]: s["kind"] for s in run.snapshot["spaces"]}
    return [
        a
        | {
            "plate": plates[a["request"]],
            "kind": kinds[a["space"]],
            "from": a["start"][11:16],
            "until": a["end"][11:16],
        }
        for a in sorted(run.result["assignments"], key=lambda a: (a["space"], a["start"]))
    ]


@router.get("/night/{evening}/gate")
def gate(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffDep,
    now: NowDep,
) -> Response:
    rows = _published_rows(session, compound, evening)
    session.commit()
    return render(
        request, t, "gate.html", evening=evening, rows=rows, printed=in_compound_time(compound, now)
    )


@router.get("/night/{evening}/gate.csv")
def gate_csv(
    request: Request, evening: Evening, t: TranslatorDep, session: SessionDep, compound: StaffDep
) -> Response:
    """The gate list in the reader's language, with a byte-order mark so that Excel reads it as UTF-8."""
    rows = _published_rows(session, compound, evening)
    session.commit()
    if rows is None:
        return render(request, t, "refused.html", 409, message_key="gate.not_published")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([t(key) for key in GATE_COLUMNS])
    writer.writerows(
        [r["space"], t.known("kind.", r["kind"]), r["plate"], r["household"], r["from"], r["until"]]
        for r in rows
    )
    name = f"gate-{compound.id}-{evening.isoformat()}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


GATE_COLUMNS = (
    "gate.space",
    "gate.kind",
    "gate.plate",
    "gate.household",
    "gate.from",
    "gate.until",
)


def _round_opens(
    compound, evening: date, rows: list[dict] | None, now: datetime
) -> datetime | None:
    """When the morning round may be recorded, if not yet: once the first stay has ended, since
    before that no car can have overstayed (and recording closes the night); with no stays, at
    noon the day after."""
    if rows is None:
        return None
    zone = ZoneInfo(compound.timezone)
    opens = min(
        (_ends(r, zone) for r in rows),
        default=datetime.combine(evening + timedelta(days=1), time(12), zone),
    )
    return opens if now < opens else None


def _ends(row: dict, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(row["end"]).replace(tzinfo=zone)


def _morning_page(
    request: Request,
    t,
    session,
    compound,
    evening: date,
    now: datetime,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    rows = _published_rows(session, compound, evening)
    night = night_of(session, compound.id, evening)
    session.commit()
    zone = ZoneInfo(compound.timezone)
    return render(
        request,
        t,
        "morning.html",
        status_code,
        evening=evening,
        rows=rows,
        night=night,
        opens_at=_round_opens(compound, evening, rows, now),
        ended={r["space"] for r in rows or () if _ends(r, zone) <= now},
        errors=errors or [],
        done=done_message(t, request),
    )


@router.get("/night/{evening}/morning")
def morning(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffDep,
    now: NowDep,
) -> Response:
    return _morning_page(request, t, session, compound, evening, now)


@router.post("/night/{evening}/morning")
def record_morning(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    spaces: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    opens = _round_opens(compound, evening, _published_rows(session, compound, evening), now)
    if opens is not None:
        return _morning_page(
            request,
            t,
            session,
            compound,
            evening,
            now,
            [t("morning.opens", moment=t.moment(opens))],
            409,
        )
    try:
        api.record_overstays(evening, OverstaysIn(spaces=spaces), compound, session, account, now)
    except REFUSALS as error:
        session.rollback()
        return _morning_page(
            request,
            t,
            session,
            compound,
            evening,
            now,
            error_lines(t, error, {409: "error.not_published"}),
            409,
        )
    return done(f"/staff/night/{evening.isoformat()}/morning", "morning.saved")


# The tags the bundled plans' priority rules read; offered as boxes so that they are spelt as the rules expect.
KNOWN_TAGS = ("disabled", "elderly", "new_resident")


def _households_page(
    request: Request,
    t,
    session,
    compound,
    errors: list[str] | None = None,
    codes: list | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        t,
        "households.html",
        status_code,
        listing=listing(request, api.list_households(compound, session)),
        known_tags=KNOWN_TAGS,
        errors=errors or [],
        codes=codes or [],
        done=done_message(t, request),
    )


@router.get("/households")
def households(
    request: Request, t: TranslatorDep, session: SessionDep, compound: StaffDep
) -> Response:
    return _households_page(request, t, session, compound)


@router.post("/households")
def add_household(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    code: Annotated[str, Form(max_length=40)],
    x: Annotated[str, Form(max_length=40)],
    y: Annotated[str, Form(max_length=40)],
    tags: Annotated[str, Form(max_length=400)] = "",
    has_space: Annotated[bool, Form()] = False,
    known_tags: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    typed = [tag.strip() for tag in tags.split(";") if tag.strip()]
    try:
        body = HouseholdIn(
            code=code.strip(),
            x=x,
            y=y,
            tags=sorted(set(known_tags) & set(KNOWN_TAGS)) + typed,
            has_space=has_space,
        )
        created = api.create_household(body, compound, session, account, now)
    except REFUSALS as error:
        session.rollback()
        return _households_page(
            request,
            t,
            session,
            compound,
            error_lines(t, error, {409: "error.household_exists"}),
            status_code=422,
        )
    return _households_page(request, t, session, compound, codes=[created], status_code=201)


@router.post("/households/import")
async def import_households(
    request: Request,
    file: UploadFile,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
) -> Response:
    try:
        created = await api.import_households(file, compound, session, account, now)
    except REFUSALS as error:
        session.rollback()
        return _households_page(
            request, t, session, compound, _import_errors(t, error), status_code=422
        )
    return _households_page(request, t, session, compound, codes=created, status_code=201)


def _import_errors(t, error: Exception) -> list[str]:
    """Row by row: 'Line 4, x: ...' for the CSV import's list of problems."""
    detail = getattr(error, "detail", None)
    if not isinstance(detail, list):
        return error_lines(t, error)
    lines = []
    for problem in detail:
        where = [str(part) for part in problem["loc"][1:]]
        field = where[-1] if len(where) != 2 else "line"
        message = (
            t("error.household_exists")
            if problem["type"] == "duplicate"
            else field_error(t, field, problem["msg"])
        )
        if len(where) >= 2 and where[0] == "line":
            lines.append(
                t(
                    "households.error_line",
                    line=where[1],
                    field=".".join(where[2:]) or "-",
                    message=message,
                )
            )
        else:
            lines.append(
                t("households.error_file", field=".".join(where) or "file", message=message)
            )
    return lines


@router.post("/households/{code:path}/activation")
def new_code(
    request: Request,
    code: str,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
) -> Response:
    try:
        created = api.new_activation_code(code, compound, session, account, now)
    except REFUSALS as error:
        session.rollback()
        return _households_page(
            request, t, session, compound, error_lines(t, error), status_code=404
        )
    return _households_page(request, t, session, compound, codes=[created])


def _spaces_page(
    request: Request, t, session, compound, errors: list[str] | None = None, status_code: int = 200
) -> Response:
    spaces = api.list_spaces(compound, session)
    selected = request.query_params.get("space")
    return render(
        request,
        t,
        "spaces.html",
        status_code,
        listing=listing(request, spaces),
        chosen=next((s for s in spaces if s.code == selected), None),
        errors=errors or [],
        done=done_message(t, request),
    )


@router.get("/spaces")
def spaces(request: Request, t: TranslatorDep, session: SessionDep, compound: StaffDep) -> Response:
    return _spaces_page(request, t, session, compound)


def _windows(text: str) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] or None


def _features(ev_charger: bool, accessible: bool, kept: Iterable[str] = ()) -> list[str]:
    """The ticked features, with those the form does not offer (e.g. covered) kept as they were."""
    ticked = {
        name
        for name, present in (("accessible", accessible), ("ev_charger", ev_charger))
        if present
    }
    return sorted(ticked | (set(kept) - {"accessible", "ev_charger"}))


@router.post("/spaces")
def add_space(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    code: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    size: Annotated[str, Form()],
    x: Annotated[str, Form()],
    y: Annotated[str, Form()],
    windows: Annotated[str, Form()] = "",
    renter: Annotated[str, Form()] = "",
    ev_charger: Annotated[bool, Form()] = False,
    accessible: Annotated[bool, Form()] = False,
) -> Response:
    try:
        body = SpaceIn(
            code=code.strip(),
            kind=kind,
            size=size,
            x=x,
            y=y,
            windows=_windows(windows),
            renter=renter.strip() or None,
            features=_features(ev_charger, accessible),
        )
        api.create_space(body, compound, session, account, now)
    except REFUSALS as error:
        session.rollback()
        return _spaces_page(
            request, t, session, compound, error_lines(t, error, {409: "error.space_exists"}), 422
        )
    return done(f"/staff/spaces?{urlencode({'space': body.code})}", "spaces.added")


@router.post("/spaces/{code:path}")
def change_space(
    request: Request,
    code: str,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    size: Annotated[str, Form()],
    windows: Annotated[str, Form()] = "",
    renter: Annotated[str, Form()] = "",
    ev_charger: Annotated[bool, Form()] = False,
    accessible: Annotated[bool, Form()] = False,
) -> Response:
    try:
        space = session.scalar(
            select(Space).where(Space.compound_id == compound.id, Space.code == code)
        )
        body = SpaceChangeIn(
            size=size,
            windows=_windows(windows),
            renter=renter.strip() or None,
            features=_features(ev_charger, accessible, space.features if space else ()),
        )
        api.change_space(code, body, compound, session, account, now)
    except REFUSALS as error:
        session.rollback()
        return _spaces_page(request, t, session, compound, error_lines(t, error), 422)
    return done(f"/staff/spaces?{urlencode({'space': code})}", "spaces.saved")
