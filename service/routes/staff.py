"""Staff of a compound: households and their activation codes, and the nights."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from fastapi import APIRouter, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import func, select

from scenarios.mapping import window_from_text
from service.compounds import issue_activation
from service.deps import AccountDep, NowDep, SessionDep, SettingsDep, StaffCompoundDep
from service.models import (
    Account,
    AuditEntry,
    Car,
    Household,
    Night,
    NightState,
    ParkingRequest,
    Release,
    Run,
    Space,
    StaffPin,
)
from service.nightly import (
    ANY_EVENING,
    InvalidField,
    changes,
    commit_request,
    cutoff_of,
    night_of,
    open_night,
    publish,
    release_without,
    run_night,
    stay_minutes,
)
from service.schemas import (
    AuditOut,
    ChangesOut,
    CompoundOut,
    Evening,
    HouseholdChangeIn,
    HouseholdCreatedOut,
    HouseholdIn,
    HouseholdListOut,
    NightOut,
    OverstaysIn,
    PathId,
    PinIn,
    PinOut,
    RunOut,
    SpaceChangeIn,
    SpaceIn,
    SpaceOut,
    UrgentRequestIn,
    WithdrawReleaseIn,
    problems,
)
from service.security import masked_plate

router = APIRouter(
    prefix="/api/v1/compounds/{compound_id}", tags=["staff"], responses=problems(401, 403, 404, 409)
)


@router.get("", response_model=CompoundOut)
def read_compound(compound: StaffCompoundDep, session: SessionDep) -> CompoundOut:
    count = lambda model: session.scalar(
        select(func.count()).select_from(model).where(model.compound_id == compound.id)
    )
    return CompoundOut(
        id=compound.id,
        name=compound.name,
        timezone=compound.timezone,
        cutoff=compound.cutoff,
        policy=compound.policy,
        spaces=count(Space),
        households=count(Household),
    )


def _space_out(space: Space, renters: dict[int, str]) -> SpaceOut:
    return SpaceOut(
        code=space.code,
        kind=space.kind,
        size=space.size,
        features=space.features,
        x=space.x,
        y=space.y,
        windows=space.windows,
        renter=renters.get(space.renter_id),
    )


@router.get("/spaces", response_model=list[SpaceOut])
def list_spaces(compound: StaffCompoundDep, session: SessionDep) -> list[SpaceOut]:
    renters = {
        row.id: row.code
        for row in session.execute(
            select(Household.id, Household.code).where(Household.compound_id == compound.id)
        )
    }
    return [
        _space_out(space, renters)
        for space in session.scalars(
            select(Space).where(Space.compound_id == compound.id).order_by(Space.code)
        )
    ]


@router.post("/spaces", response_model=SpaceOut, status_code=status.HTTP_201_CREATED)
def create_space(
    body: SpaceIn, compound: StaffCompoundDep, session: SessionDep, account: AccountDep, now: NowDep
) -> SpaceOut:
    if (
        session.scalar(
            select(Space).where(Space.compound_id == compound.id, Space.code == body.code)
        )
        is not None
    ):
        raise HTTPException(status.HTTP_409_CONFLICT, f"space {body.code} already exists")
    renter = _checked_space(session, compound, body.kind, body.windows, body.renter)
    space = Space(
        compound_id=compound.id,
        code=body.code,
        kind=body.kind,
        size=body.size,
        features=body.features,
        x=body.x,
        y=body.y,
        windows=body.windows,
        renter_id=renter.id if renter else None,
    )
    session.add(space)
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="create space",
            detail=body.code,
        )
    )
    session.commit()
    return _space_out(space, {renter.id: renter.code} if renter else {})


def _checked_space(
    session, compound, kind: str, windows: list[str] | None, renter_code: str | None
) -> Household | None:
    """The renter (if any), once the space's hours and renter are known to be usable."""
    renter = None
    if renter_code is not None:
        renter = session.scalar(
            select(Household).where(
                Household.compound_id == compound.id, Household.code == renter_code
            )
        )
        if renter is None:
            raise InvalidField("renter", f"no household {renter_code!r} in this compound")
    for i, text in enumerate(windows or ()):
        try:
            window_from_text(text, ANY_EVENING)
        except ValueError as error:
            raise InvalidField(f"windows[{i}]", str(error)) from None
    if windows is None and kind not in compound.policy.get("windows", {}):
        raise InvalidField(
            "windows", f"the plan gives no hours for {kind!r} spaces; give this space its windows"
        )
    return renter


def _by_code(session, model, compound, code: str, noun: str):
    found = session.scalar(
        select(model).where(model.compound_id == compound.id, model.code == code)
    )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {noun} {code!r}")
    return found


def _not_null(given: dict, names) -> None:
    for name in names:
        if name in given and given[name] is None:
            raise InvalidField(name, "must not be null")


@router.patch("/spaces/{space_code}", response_model=SpaceOut)
def change_space(
    space_code: str,
    body: SpaceChangeIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> SpaceOut:
    """Change a space; only the fields sent change. Nights already run keep their snapshot."""
    space = _by_code(session, Space, compound, space_code, "space")
    given = body.model_dump(exclude_unset=True)
    _not_null(given, ("kind", "size", "features", "x", "y"))
    current = session.get(Household, space.renter_id) if space.renter_id else None
    renter_code = given["renter"] if "renter" in given else current and current.code
    renter = _checked_space(
        session,
        compound,
        given.get("kind", space.kind),
        given.get("windows", space.windows),
        renter_code,
    )
    for name in ("kind", "size", "features", "x", "y", "windows"):
        if name in given:
            setattr(space, name, given[name])
    if (renter.id if renter else None) != space.renter_id:
        # Releases were the old renter's to give; they end with the rental.
        for release in session.scalars(select(Release).where(Release.space_id == space.id)):
            session.delete(release)
    space.renter_id = renter.id if renter else None
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="change space",
            detail=f"{space_code}: {sorted(given)}",
        )
    )
    session.commit()
    return _space_out(space, {renter.id: renter.code} if renter else {})


@router.patch("/households/{household_code}", response_model=HouseholdListOut)
def change_household(
    household_code: str,
    body: HouseholdChangeIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> HouseholdListOut:
    household = _by_code(session, Household, compound, household_code, "household")
    given = body.model_dump(exclude_unset=True)
    _not_null(given, given)
    for name, value in given.items():
        setattr(household, name, value)
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="change household",
            detail=f"{household_code}: {sorted(given)}",
        )
    )
    session.commit()
    activated = (
        session.scalar(select(Account.password_hash).where(Account.household_id == household.id))
        is not None
    )
    return HouseholdListOut(
        code=household.code,
        x=household.x,
        y=household.y,
        tags=household.tags,
        has_space=household.has_space,
        activated=activated,
    )


@router.get("/households", response_model=list[HouseholdListOut])
def list_households(compound: StaffCompoundDep, session: SessionDep) -> list[HouseholdListOut]:
    rows = session.execute(
        select(Household, Account.password_hash)
        .outerjoin(Account, Account.household_id == Household.id)
        .where(Household.compound_id == compound.id)
        .order_by(Household.code)
    ).all()
    return [
        HouseholdListOut(
            code=h.code,
            x=h.x,
            y=h.y,
            tags=h.tags,
            has_space=h.has_space,
            activated=password is not None,
        )
        for h, password in rows
    ]


@router.post("/households", response_model=HouseholdCreatedOut, status_code=status.HTTP_201_CREATED)
def create_household(
    body: HouseholdIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> HouseholdCreatedOut:
    """A household and its resident account; hand the activation code to the resident."""
    if (
        session.scalar(
            select(Household).where(
                Household.compound_id == compound.id, Household.code == body.code
            )
        )
        is not None
    ):
        raise HTTPException(status.HTTP_409_CONFLICT, f"household {body.code} already exists")
    household = Household(
        compound_id=compound.id,
        code=body.code,
        x=body.x,
        y=body.y,
        tags=body.tags,
        has_space=body.has_space,
    )
    session.add(household)
    session.flush()
    code = issue_activation(session, household)
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="create household",
            detail=body.code,
        )
    )
    session.commit()
    return HouseholdCreatedOut(
        household=household.code, username=f"{compound.id}/{household.code}", activation_code=code
    )


@router.post("/households/{household_code}/activation", response_model=HouseholdCreatedOut)
def new_activation_code(
    household_code: str,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> HouseholdCreatedOut:
    household = _by_code(session, Household, compound, household_code, "household")
    code = issue_activation(session, household)
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="activation code",
            detail=household_code,
        )
    )
    session.commit()
    return HouseholdCreatedOut(
        household=household.code, username=f"{compound.id}/{household.code}", activation_code=code
    )


CSV_FIELDS = ("code", "x", "y", "tags", "has_space")


@router.post(
    "/households/import",
    response_model=list[HouseholdCreatedOut],
    status_code=status.HTTP_201_CREATED,
)
async def import_households(
    file: UploadFile,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> list[HouseholdCreatedOut]:
    """Households from a CSV file (columns code, x, y, tags separated by ';', has_space), each with
    an activation code; UTF-8, or GBK as Excel saves it on Chinese Windows. All or nothing: any bad
    row gives 422 listing every bad row, and nothing is stored."""
    content = await file.read()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves CSV in GBK, which GB18030 contains.
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                [
                    {
                        "loc": ["file"],
                        "msg": "is neither UTF-8 nor GBK (GB18030) text",
                        "type": "value_error",
                    }
                ],
            ) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in ("code", "x", "y") if name not in (reader.fieldnames or ())]
    if missing:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["file", "header"],
                    "msg": f"missing columns {', '.join(missing)} (expected {', '.join(CSV_FIELDS)})",
                    "type": "value_error",
                }
            ],
        )
    existing = set(
        session.scalars(select(Household.code).where(Household.compound_id == compound.id))
    )
    rows: list[HouseholdIn] = []
    errors: list[dict] = []
    for line, row in enumerate(reader, start=2):
        unknown = sorted(set(row) - set(CSV_FIELDS) - {None})
        if unknown or None in row:
            errors.append(
                {
                    "loc": ["file", "line", line],
                    "msg": f"unknown or extra columns {unknown or 'beyond the header'}",
                    "type": "value_error",
                }
            )
            continue
        values = {
            "code": (row["code"] or "").strip(),
            "x": row["x"],
            "y": row["y"],
            "tags": [t for t in (row.get("tags") or "").split(";") if t.strip()],
        }
        if (row.get("has_space") or "").strip():
            # yes/no, true/false, 1/0, and as a Chinese spreadsheet says it: 是/否.
            values["has_space"] = {"是": "true", "否": "false"}.get(
                row["has_space"].strip(), row["has_space"].strip().lower()
            )
        try:
            household = HouseholdIn.model_validate(values)
        except ValidationError as error:
            errors.extend(
                {"loc": ["file", "line", line, *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in error.errors()
            )
            continue
        if household.code in existing:
            errors.append(
                {
                    "loc": ["file", "line", line, "code"],
                    "msg": f"household {household.code} already exists",
                    "type": "duplicate",
                }
            )
            continue
        existing.add(household.code)
        rows.append(household)
    if errors:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors)
    created = []
    for body in rows:
        household = Household(
            compound_id=compound.id,
            code=body.code,
            x=body.x,
            y=body.y,
            tags=body.tags,
            has_space=body.has_space,
        )
        session.add(household)
        session.flush()
        created.append(
            HouseholdCreatedOut(
                household=household.code,
                username=f"{compound.id}/{household.code}",
                activation_code=issue_activation(session, household),
            )
        )
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="import households",
            detail=f"{len(created)} from {file.filename}",
        )
    )
    session.commit()
    return created


def _run_out(run: Run | None) -> RunOut | None:
    if run is None:
        return None
    result = run.result
    return RunOut(
        id=run.id,
        started_at=run.started_at,
        status=result["status"],
        proven_optimal=result["proven_optimal"],
        served_by_priority=result["served_by_priority"],
        refused_by_priority=result["refused_by_priority"],
        solve_seconds=result["solve_seconds"],
    )


def _night_out(session, compound, night: Night, now: datetime) -> NightOut:
    requests = session.scalar(
        select(func.count()).select_from(ParkingRequest).where(ParkingRequest.night_id == night.id)
    )
    cutoff = cutoff_of(compound, night.evening)
    # Past the cutoff an open night is locked: no resident can change it any more.
    state = (
        NightState.LOCKED.value
        if night.state == NightState.OPEN.value and now >= cutoff
        else night.state
    )
    return NightOut(
        compound=compound.id,
        evening=night.evening,
        state=state,
        cutoff=cutoff.isoformat(timespec="minutes"),
        requests=requests,
        draft=_run_out(session.get(Run, night.draft_run_id) if night.draft_run_id else None),
        published=_run_out(
            session.get(Run, night.published_run_id) if night.published_run_id else None
        ),
        overstays=night.overstays or [],
        pins=[
            PinOut(
                id=p.id,
                request_id=p.request_id,
                space=p.space_code,
                action=p.action,
                reason=p.reason,
            )
            for p in session.scalars(
                select(StaffPin).where(StaffPin.night_id == night.id).order_by(StaffPin.id)
            )
        ],
        changes=(
            ChangesOut.model_validate(
                changes(
                    session.get(Run, night.published_run_id), session.get(Run, night.draft_run_id)
                )
            )
            if night.published_run_id
            and night.draft_run_id
            and night.draft_run_id != night.published_run_id
            else None
        ),
    )


@router.get("/nights/{evening}", response_model=NightOut)
def read_night(
    evening: Evening, compound: StaffCompoundDep, session: SessionDep, now: NowDep
) -> NightOut:
    night = night_of(session, compound.id, evening)
    session.commit()
    return _night_out(session, compound, night, now)


@router.post("/nights/{evening}/run", response_model=NightOut, status_code=status.HTTP_201_CREATED)
def run(
    evening: Evening,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    settings: SettingsDep,
    request: Request,
    now: NowDep,
) -> NightOut:
    """Allocate the night as a draft (again, if need be); 409 while another run of it is going on."""
    run_night(
        request.app.state.sessions,
        compound.id,
        evening,
        account.id,
        settings.solver_seconds,
        timedelta(minutes=settings.run_lock_minutes),
    )
    session.expire_all()
    return _night_out(session, compound, night_of(session, compound.id, evening), now)


@router.post(
    "/nights/{evening}/reoptimise", response_model=NightOut, status_code=status.HTTP_201_CREATED
)
def reoptimise(
    evening: Evening,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    settings: SettingsDep,
    request: Request,
    now: NowDep,
) -> NightOut:
    """After a late change to a published night: a new draft keeping every published assignment that
    is still possible, with the list of who it moves; publish it to apply."""
    run_night(
        request.app.state.sessions,
        compound.id,
        evening,
        account.id,
        settings.solver_seconds,
        timedelta(minutes=settings.run_lock_minutes),
        after_publishing=True,
    )
    session.expire_all()
    return _night_out(session, compound, night_of(session, compound.id, evening), now)


def _night_request(session, night: Night, request_id: int) -> ParkingRequest:
    parking_request = session.get(ParkingRequest, request_id)
    if parking_request is None or parking_request.night_id != night.id:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no request {request_id} for the night of {night.evening}"
        )
    return parking_request


@router.post("/nights/{evening}/pins", response_model=NightOut, status_code=status.HTTP_201_CREATED)
def add_pin(
    evening: Evening,
    body: PinIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> NightOut:
    """Force or forbid a space for a request; takes effect at the next run."""
    night = open_night(session, compound.id, evening)
    _night_request(session, night, body.request_id)
    if (
        session.scalar(
            select(Space).where(Space.compound_id == compound.id, Space.code == body.space)
        )
        is None
    ):
        raise InvalidField("space", f"no space {body.space!r} in this compound")
    if (
        session.scalar(
            select(StaffPin).where(
                StaffPin.night_id == night.id,
                StaffPin.request_id == body.request_id,
                StaffPin.space_code == body.space,
            )
        )
        is not None
    ):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"request {body.request_id} is already pinned to {body.space}; remove that pin first",
        )
    session.add(
        StaffPin(
            night_id=night.id,
            request_id=body.request_id,
            space_code=body.space,
            action=body.action,
            reason=body.reason,
            account_id=account.id,
            created_at=now,
        )
    )
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action=f"pin {body.action}",
            detail=f"night {evening}: request {body.request_id} {body.space}: {body.reason}",
        )
    )
    session.commit()
    return _night_out(session, compound, night, now)


@router.delete("/nights/{evening}/pins/{pin_id}", response_model=NightOut)
def remove_pin(
    evening: Evening,
    pin_id: PathId,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> NightOut:
    night = night_of(session, compound.id, evening)
    pin = session.get(StaffPin, pin_id)
    if pin is None or pin.night_id != night.id:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no pin {pin_id} for the night of {evening}"
        )
    session.delete(pin)
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="unpin",
            detail=f"night {evening}: pin {pin_id}",
        )
    )
    session.commit()
    return _night_out(session, compound, night, now)


@router.post(
    "/nights/{evening}/requests", response_model=NightOut, status_code=status.HTTP_201_CREATED
)
def add_urgent_request(
    evening: Evening,
    body: UrgentRequestIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> NightOut:
    """A request taken at the desk, at any time (an urgent case after the cutoff); re-run or
    re-optimise for it to count."""
    household = session.scalar(
        select(Household).where(
            Household.compound_id == compound.id, Household.code == body.household
        )
    )
    car = session.get(Car, body.car_id)
    if household is None or car is None or car.household_id != household.id:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no car {body.car_id} of household {body.household!r}"
        )
    night = open_night(session, compound.id, evening)
    arrive, depart = stay_minutes(body.arrive, body.depart, evening)
    session.add(
        ParkingRequest(
            night_id=night.id,
            household_id=household.id,
            car_id=car.id,
            arrive=arrive,
            depart=depart,
            created_at=now,
        )
    )
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="urgent request",
            detail=f"night {evening}: {body.household} {car.plate}: {body.reason}",
        )
    )
    commit_request(session, car.plate, evening)
    return _night_out(session, compound, night, now)


@router.post("/nights/{evening}/withdraw-release", response_model=NightOut)
def withdraw_release(
    evening: Evening,
    body: WithdrawReleaseIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> NightOut:
    """The renter needs the space back this evening after all (came home early): the space leaves
    the pool for this evening only; re-optimise to move whoever had it."""
    night = open_night(session, compound.id, evening)
    space = session.scalar(
        select(Space).where(Space.compound_id == compound.id, Space.code == body.space)
    )
    releases = (
        space
        and session.scalars(
            select(Release).where(
                Release.space_id == space.id,
                Release.first_evening <= evening,
                Release.last_evening >= evening,
            )
        ).all()
    )
    if not releases:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"{body.space} is not released on the evening of {evening}"
        )
    for release in releases:
        release_without(session, release, {evening})
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="withdraw release",
            detail=f"night {evening}: {body.space}: {body.reason}",
        )
    )
    session.commit()
    return _night_out(session, compound, night, now)


@router.post("/nights/{evening}/publish", response_model=NightOut)
def publish_night(
    evening: Evening,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> NightOut:
    night = night_of(session, compound.id, evening)
    publish(session, night, account.id)
    session.commit()
    return _night_out(session, compound, night, now)


@router.post("/nights/{evening}/overstays", response_model=NightOut)
def record_overstays(
    evening: Evening,
    body: OverstaysIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> NightOut:
    """The morning round: the spaces where a car stayed after its window. Their households get the
    plan's overstay penalty on the next nights; the night is closed."""
    night = night_of(session, compound.id, evening)
    if night.published_run_id is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the night of {evening} is not published; there is nobody to record",
        )
    run = session.get(Run, night.published_run_id)
    household_on = {a["space"]: a["household"] for a in run.result["assignments"]}
    unknown = [space for space in body.spaces if space not in household_on]
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["body", "spaces", body.spaces.index(space)],
                    "msg": f"no car was allocated to {space} that night",
                    "type": "value_error",
                }
                for space in unknown
            ],
        )
    night.overstays = sorted({household_on[space] for space in body.spaces})
    night.state = NightState.CLOSED.value
    night.draft_run_id = (
        night.published_run_id
    )  # a pending re-optimisation is dropped with the night
    session.add(
        AuditEntry(
            at=now,
            account_id=account.id,
            compound_id=compound.id,
            action="overstays",
            detail=f"night {evening}: {', '.join(body.spaces) or 'none'}",
        )
    )
    session.commit()
    return _night_out(session, compound, night, now)


@router.get("/audit", response_model=list[AuditOut])
def audit_log(
    compound: StaffCompoundDep, session: SessionDep, limit: int = Query(100, ge=1, le=1000)
) -> list[AuditOut]:
    """The compound's log, newest first: runs, publishing, pins, imports, cancellations, urgent
    requests, withdrawn releases, overstays, with who and why."""
    rows = session.execute(
        select(AuditEntry, Account.username)
        .outerjoin(Account, AuditEntry.account_id == Account.id)
        .where(AuditEntry.compound_id == compound.id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return [
        AuditOut(at=entry.at, account=username, action=entry.action, detail=entry.detail)
        for entry, username in rows
    ]


@router.get(
    "/nights/{evening}/gate-list.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def gate_list(
    evening: Evening, compound: StaffCompoundDep, session: SessionDep, masked: bool = False
) -> Response:
    """The published night for the gate: one row per car with a space. `masked=true` for a list posted in public."""
    night = night_of(session, compound.id, evening)
    if night.published_run_id is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"the night of {evening} is not published yet"
        )
    run = session.get(Run, night.published_run_id)
    plates = {r["id"]: r["plate"] for r in run.snapshot["requests"]}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["space", "kind", "plate", "household", "from", "until"])
    for a in sorted(run.result["assignments"], key=lambda a: a["space"]):
        plate = masked_plate(plates[a["request"]]) if masked else plates[a["request"]]
        writer.writerow(
            [a["space"], a["kind"], plate, a["household"], a["start"][11:16], a["end"][11:16]]
        )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gate-{compound.id}-{evening}.csv"'},
    )
