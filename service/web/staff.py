"""Staff pages, desk first: the night (figures, site map, stays, pins, run and publish), the gate
list for printing, the morning round, households and spaces. They read and change through the
application layer, as the API does."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from service.actions import compound as compound_actions
from service.actions import staff as actions
from service.actions.calendar import current_evening, in_compound_time
from service.actions.errors import DomainError, FieldProblem, InvalidInput
from service.actions.policies import plan_in_force
from service.actions.residents import is_charge_point
from service.deps import (
    JobsDep,
    NowDep,
    PathId,
    SessionDep,
    SessionsDep,
    SettingsDep,
    clock_from,
)
from service.models import Compound
from service.ordering import natural_key
from service.schemas import (
    AuditOut,
    Evening,
    HouseholdCreatedOut,
    HouseholdIn,
    ImportJobOut,
    OverstaysIn,
    PinIn,
    SpaceChangeIn,
    SpaceIn,
    UrgentRequestIn,
    WithdrawReleaseIn,
)
from service.statuses import status_of
from service.web.common import (
    REFUSALS,
    FormId,
    done,
    done_message,
    error_lines,
    evening_param,
    field_error,
    level_labels,
    listing,
    problem_line,
    render,
)
from service.web.i18n import Translator
from service.web.session import PostedDep, StaffDep, StaffPostDep, TranslatorDep
from service.web.sitemap import SpaceState, compound_map

router = APIRouter(prefix="/staff", include_in_schema=False)


def _night_url(evening: date, space: str | None = None) -> str:
    return f"/staff/night?evening={evening.isoformat()}" + (f"&space={space}" if space else "")


def _in_reading_order(board: actions.Board) -> actions.Board:
    """The board's lists as people look things up in them: by space or household code, numbers
    as numbers (1-103 before 10-102); a household's own rows keep their order (sorted is stable)."""
    return replace(
        board,
        spaces=sorted(board.spaces, key=lambda s: natural_key(s.code)),
        refused=sorted(board.refused, key=lambda r: natural_key(r.household)),
        requests=sorted(board.requests, key=lambda r: natural_key(r.household)),
    )


def _night_page(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    now: datetime,
    evening: date,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    board = _in_reading_order(
        actions.board(session=session, compound=compound, evening=evening, now=now)
    )
    states = {
        s.code: SpaceState.USED
        if s.code in board.stays
        else SpaceState.FREE
        if s.code in board.shared
        else SpaceState.PRIVATE
        for s in board.spaces
    }
    selected = request.query_params.get("space")
    chosen = next((s for s in board.spaces if s.code == selected), None)
    zoomed = request.query_params.get("zoom") == "1"
    plan = plan_in_force(session, compound, evening)
    chargers = frozenset(
        s.code for s in board.spaces if is_charge_point(s, plan.charging_only_kinds)
    )
    return render(
        request,
        t,
        "night.html",
        status_code,
        evening=evening,
        previous=evening - timedelta(days=1),
        following=evening + timedelta(days=1),
        board=board,
        night=board.night,
        cutoff=in_compound_time(compound, board.cutoff),
        site=compound_map(
            [(s.code, s.x, s.y) for s in board.spaces],
            board.households,
            states,
            # A space chosen on the enlarged map keeps it enlarged.
            f"{_night_url(evening)}{'&zoom=1' if zoomed else ''}&space=",
            selected,
            chargers,
        ),
        chargers=chargers,
        state_of=states,
        levels=level_labels(t, plan),
        chosen=chosen,
        renter=board.renters.get(chosen.renter_id) if chosen and chosen.renter_id else None,
        stays=board.stays.get(selected or "", []),
        released_tonight=chosen is not None
        and chosen.renter_id is not None
        and chosen.code in board.shared,
        zoomed=zoomed,
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
    t: Translator,
    session: Session,
    compound: Compound,
    now: datetime,
    evening: date,
    action: Callable[[], object],
    success: str,
    space: str | None = None,
) -> Response:
    """Do the action, then back to the night (post, redirect, get); a refusal is said on it."""
    try:
        action()
    except REFUSALS as error:
        session.rollback()
        return _night_page(
            request, t, session, compound, now, evening, error_lines(t, error), status_of(error)
        )
    return done(_night_url(evening, space), success)


@router.post("/night/{evening}/run")
def run(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    sessions: SessionsDep,
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
        lambda: actions.run(
            sessions=sessions,
            session=session,
            compound=compound,
            evening=evening,
            account=account,
            settings=settings,
            now=now,
        ),
        "night.ran",
    )


@router.post("/night/{evening}/reoptimise")
def reoptimise(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    sessions: SessionsDep,
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
        lambda: actions.run(
            sessions=sessions,
            session=session,
            compound=compound,
            evening=evening,
            account=account,
            settings=settings,
            now=now,
            after_publishing=True,
        ),
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
        lambda: actions.publish_night(
            session=session,
            compound=compound,
            evening=evening,
            account=account,
            now=now,
            reminder_minutes=request.app.state.settings.reminder_minutes,
        ),
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
    def pin() -> object:
        body = PinIn.model_validate(
            {"request_id": request_id, "space": space, "action": action, "reason": reason}
        )
        return actions.add_pin(
            session=session, compound=compound, evening=evening, body=body, account=account, now=now
        )

    return _night_action(request, t, session, compound, now, evening, pin, "pin.saved", space)


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
        lambda: actions.remove_pin(
            session=session,
            compound=compound,
            evening=evening,
            pin_id=pin_id,
            account=account,
            now=now,
        ),
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
    """A request taken at the desk: the car named by its household and plate, as people give it."""

    def take() -> object:
        car = actions.desk_car(
            session=session, compound=compound, household=household.strip(), plate=plate.strip()
        )
        body = UrgentRequestIn(
            household=household.strip(), car_id=car.id, arrive=arrive, depart=depart, reason=reason
        )
        return actions.add_urgent_request(
            session=session, compound=compound, evening=evening, body=body, account=account, now=now
        )

    return _night_action(request, t, session, compound, now, evening, take, "urgent.saved")


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
    def withdraw() -> object:
        body = WithdrawReleaseIn(space=space, reason=reason)
        return actions.withdraw_release(
            session=session, compound=compound, evening=evening, body=body, account=account, now=now
        )

    return _night_action(
        request, t, session, compound, now, evening, withdraw, "withdraw.saved", space
    )


def audit_detail(t: Translator, entry: AuditOut) -> str:
    """An entry's detail in the reader's language; entries older than their parameters (and
    actions this page does not know) as stored."""
    key = f"audit.detail.{entry.action}"
    if entry.params is None or not t.has(key):
        return entry.detail
    labels = "households." if entry.action == "change household" else "spaces."
    said: dict[str, str | int] = {}
    for name, value in entry.params.items():
        if name == "evening" and isinstance(value, str):
            said[name] = t.date(date.fromisoformat(value), "medium")
        elif name == "evenings" and isinstance(value, list):
            said[name] = t.listing(t.date(date.fromisoformat(day), "medium") for day in value)
        elif name == "to" and entry.action == "message night" and isinstance(value, str):
            said[name] = t.known("messages.to_", value)
        elif name == "status" and isinstance(value, str):
            said[name] = t.known("status.", value)
        elif name == "fields" and isinstance(value, list):
            said[name] = t.listing(t.known(labels, field) for field in value)
        elif isinstance(value, list):
            said[name] = t.listing(value)
        else:
            said[name] = value
    return t(key, **said)


@router.get("/audit")
def audit(request: Request, t: TranslatorDep, session: SessionDep, compound: StaffDep) -> Response:
    entries = [
        (in_compound_time(compound, entry.at), entry, audit_detail(t, entry))
        for entry in actions.audit_log(session=session, compound=compound, limit=200)
    ]
    return render(request, t, "audit.html", entries=entries)


GATE_COLUMNS = (
    "gate.space",
    "gate.kind",
    "gate.plate",
    "gate.household",
    "gate.from",
    "gate.until",
)


@router.get("/night/{evening}/gate.csv")
def gate_csv(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffDep,
    phones: bool = False,
) -> Response:
    """The gate list in the reader's language, with a byte-order mark so that Excel reads it as
    UTF-8; `phones=true` adds the households' phone numbers."""
    rows = actions.gate_rows(session=session, compound=compound, evening=evening, phones=phones)
    session.commit()
    if rows is None:
        return render(request, t, "refused.html", 409, message_key="gate.not_published")
    text = actions.gate_csv(
        rows,
        [t(key) for key in GATE_COLUMNS],
        lambda kind: t.known("kind.", kind),
        masked=False,
        phone_header=t("gate.phone") if phones else None,
    )
    name = f"gate-{compound.id}-{evening.isoformat()}.csv"
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _morning_page(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    evening: date,
    now: datetime,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    rows = actions.gate_rows(session=session, compound=compound, evening=evening)
    night = actions.read_night(session=session, compound=compound, evening=evening, now=now)
    opens = actions.round_opens(compound, evening, rows)
    round_ = actions.morning_round(rows or [], now)
    return render(
        request,
        t,
        "morning.html",
        status_code,
        evening=evening,
        rows=rows,
        night=night,
        opens_at=opens if opens is not None and now < opens else None,
        groups=round_.groups,
        counts=round_,
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
    try:
        actions.record_overstays(
            session=session,
            compound=compound,
            evening=evening,
            body=OverstaysIn(spaces=spaces),
            account=account,
            now=now,
        )
    except REFUSALS as error:
        session.rollback()
        return _morning_page(
            request, t, session, compound, evening, now, error_lines(t, error), status_of(error)
        )
    return done(f"/staff/night/{evening.isoformat()}/morning", "morning.saved")


# The tags the bundled plans' priority rules read; offered as boxes so that they are spelt as the
# rules expect.
KNOWN_TAGS = ("disabled", "elderly", "new_resident")


def _households_page(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    errors: list[str] | None = None,
    codes: list[HouseholdCreatedOut] | None = None,
    status_code: int = 200,
    job: ImportJobOut | None = None,
) -> Response:
    return render(
        request,
        t,
        "households.html",
        status_code,
        listing=listing(
            request, compound_actions.list_households(session=session, compound=compound)
        ),
        known_tags=KNOWN_TAGS,
        errors=errors or [],
        codes=codes or (job.created if job else []),
        job=job,
        done=done_message(t, request),
    )


@router.get("/households")
def households(
    request: Request, t: TranslatorDep, session: SessionDep, compound: StaffDep, now: NowDep
) -> Response:
    """The households; with ?import=, how far that import is (the page reloads itself while it
    runs) and, once it is done, its activation codes, shown this one time."""
    job_id = request.query_params.get("import", "")
    job = None
    if job_id.isdigit() and len(job_id) < 10:
        try:
            job = compound_actions.import_progress(
                session=session, compound=compound, job_id=int(job_id), now=now
            )
        except DomainError as error:
            return _households_page(request, t, session, compound, error_lines(t, error), None, 404)
    return _households_page(request, t, session, compound, job=job)


def _created_or_refused(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    create: Callable[[], list[HouseholdCreatedOut]],
    created_status: int,
) -> Response:
    """The households page with the new activation codes, or with why nothing was stored."""
    try:
        created = create()
    except REFUSALS as error:
        session.rollback()
        lines = _import_errors(t, error)
        return _households_page(request, t, session, compound, lines, status_code=status_of(error))
    return _households_page(
        request, t, session, compound, codes=created, status_code=created_status
    )


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

    def create() -> list[HouseholdCreatedOut]:
        body = HouseholdIn.model_validate(
            {
                "code": code.strip(),
                "x": x,
                "y": y,
                "tags": sorted(set(known_tags) & set(KNOWN_TAGS)) + typed,
                "has_space": has_space,
            }
        )
        return [
            compound_actions.create_household(
                session=session, compound=compound, body=body, account=account, now=now
            )
        ]

    return _created_or_refused(request, t, session, compound, create, 201)


@router.post("/households/import")
async def import_households(
    request: Request,
    file: UploadFile,
    t: TranslatorDep,
    session: SessionDep,
    sessions: SessionsDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    jobs: JobsDep,
) -> Response:
    """Check the file now (every bad line named, nothing stored); import a good one in the
    background and follow it on the households page."""
    content = await file.read()
    try:
        job = await run_in_threadpool(
            lambda: compound_actions.start_import(
                session=session,
                compound=compound,
                content=content,
                filename=file.filename or "",
                account=account,
                now=now,
            )
        )
    except REFUSALS as error:
        session.rollback()
        return _households_page(
            request, t, session, compound, _import_errors(t, error), status_code=status_of(error)
        )
    jobs.submit(
        compound_actions.run_import, sessions=sessions, job_id=job.id, clock=clock_from(now)
    )
    return RedirectResponse(f"/staff/households?import={job.id}", status_code=303)


def _import_errors(t: Translator, error: DomainError | ValidationError) -> list[str]:
    """A CSV import's problems row by row ('Line 4, x: ...'); other refusals as everywhere."""
    if not isinstance(error, InvalidInput) or not all(
        p.location[0] == "file" for p in error.problems
    ):
        return error_lines(t, error)
    return [_import_line(t, problem) for problem in error.problems]


def _import_line(t: Translator, problem: FieldProblem) -> str:
    where = [str(part) for part in problem.location[1:]]
    # A whole line's problem (unknown columns) is said as the line's, not its number's.
    message = (
        problem_line(t, problem) if len(where) != 2 else field_error(t, "line", problem.message)
    )
    if len(where) >= 2 and where[0] == "line":
        return t(
            "households.error_line",
            line=where[1],
            field=".".join(where[2:]) or "-",
            message=message,
        )
    return t("households.error_file", field=".".join(where) or "file", message=message)


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
    return _created_or_refused(
        request,
        t,
        session,
        compound,
        lambda: [
            compound_actions.new_activation_code(
                session=session, compound=compound, household_code=code, account=account, now=now
            )
        ],
        200,
    )


def _spaces_page(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    spaces = compound_actions.list_spaces(session=session, compound=compound)
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


def _space_change(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    change: Callable[[], object],
    code: str,
    success: str,
) -> Response:
    try:
        change()
    except REFUSALS as error:
        session.rollback()
        return _spaces_page(request, t, session, compound, error_lines(t, error), status_of(error))
    return done(f"/staff/spaces?{urlencode({'space': code})}", success)


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
    def create() -> object:
        body = SpaceIn.model_validate(
            {
                "code": code.strip(),
                "kind": kind,
                "size": size,
                "x": x,
                "y": y,
                "windows": _windows(windows),
                "renter": renter.strip() or None,
                "features": _features(ev_charger, accessible),
            }
        )
        return compound_actions.create_space(
            session=session, compound=compound, body=body, account=account, now=now
        )

    return _space_change(request, t, session, compound, create, code.strip(), "spaces.added")


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
    def change() -> object:
        kept = compound_actions.read_space(session=session, compound=compound, code=code).features
        body = SpaceChangeIn.model_validate(
            {
                "size": size,
                "windows": _windows(windows),
                "renter": renter.strip() or None,
                "features": _features(ev_charger, accessible, kept),
            }
        )
        return compound_actions.change_space(
            session=session, compound=compound, space_code=code, body=body, account=account, now=now
        )

    return _space_change(request, t, session, compound, change, code, "spaces.saved")
