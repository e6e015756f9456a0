"""Staff of a compound: households and their activation codes, and the nights."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi import APIRouter, HTTPException, Request, UploadFile, status
from pydantic import ValidationError
from fastapi.responses import Response
from sqlalchemy import func, select

from service.compounds import issue_activation
from service.deps import AccountDep, NowDep, SessionDep, SettingsDep, StaffCompoundDep
from service.models import AuditEntry, Household, Night, NightState, ParkingRequest, Run
from service.nightly import cutoff_of, night_of, publish, run_night
from service.schemas import HouseholdCreatedOut, HouseholdIn, NightOut, OverstaysIn, RunOut, problems
from service.security import masked_plate

router = APIRouter(prefix="/api/v1/compounds/{compound_id}", tags=["staff"], responses=problems(401, 403, 404, 409))


@router.post("/households", response_model=HouseholdCreatedOut, status_code=status.HTTP_201_CREATED)
def create_household(body: HouseholdIn, compound: StaffCompoundDep, session: SessionDep, account: AccountDep, now: NowDep) -> HouseholdCreatedOut:
    """A household and its resident account; hand the activation code to the resident."""
    if session.scalar(select(Household).where(Household.compound_id == compound.id, Household.code == body.code)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"household {body.code} already exists")
    household = Household(compound_id=compound.id, code=body.code, x=body.x, y=body.y, tags=body.tags, has_space=body.has_space)
    session.add(household)
    session.flush()
    code = issue_activation(session, household)
    session.add(AuditEntry(at=now, account_id=account.id, compound_id=compound.id, action="create household", detail=body.code))
    session.commit()
    return HouseholdCreatedOut(household=household.code, username=f"{compound.id}/{household.code}", activation_code=code)


@router.post("/households/{household_code}/activation", response_model=HouseholdCreatedOut)
def new_activation_code(household_code: str, compound: StaffCompoundDep, session: SessionDep, account: AccountDep, now: NowDep) -> HouseholdCreatedOut:
    household = session.scalar(select(Household).where(Household.compound_id == compound.id, Household.code == household_code))
    if household is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no household {household_code!r}")
    code = issue_activation(session, household)
    session.add(AuditEntry(at=now, account_id=account.id, compound_id=compound.id, action="activation code", detail=household_code))
    session.commit()
    return HouseholdCreatedOut(household=household.code, username=f"{compound.id}/{household.code}", activation_code=code)


CSV_FIELDS = ("code", "x", "y", "tags", "has_space")


@router.post("/households/import", response_model=list[HouseholdCreatedOut], status_code=status.HTTP_201_CREATED)
async def import_households(file: UploadFile, compound: StaffCompoundDep, session: SessionDep, account: AccountDep, now: NowDep) -> list[HouseholdCreatedOut]:
    """Households from a CSV file (columns code, x, y, tags separated by ';', has_space), each with
    an activation code. All or nothing: any bad row gives 422 listing every bad row, and nothing is
    stored."""
    try:
        text = (await file.read()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": ["file"], "msg": "is not UTF-8 text", "type": "value_error"}]) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in ("code", "x", "y") if name not in (reader.fieldnames or ())]
    if missing:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": ["file", "header"], "msg": f"missing columns {', '.join(missing)} (expected {', '.join(CSV_FIELDS)})", "type": "value_error"}])
    existing = set(session.scalars(select(Household.code).where(Household.compound_id == compound.id)))
    rows: list[HouseholdIn] = []
    errors: list[dict] = []
    for line, row in enumerate(reader, start=2):
        unknown = sorted(set(row) - set(CSV_FIELDS) - {None})
        if unknown or None in row:
            errors.append({"loc": ["file", "line", line], "msg": f"unknown or extra columns {unknown or 'beyond the header'}", "type": "value_error"})
            continue
        values = {"code": row["code"].strip(), "x": row["x"], "y": row["y"], "tags": [t for t in (row.get("tags") or "").split(";") if t.strip()]}
        if (row.get("has_space") or "").strip():
            values["has_space"] = row["has_space"].strip().lower()
        try:
            household = HouseholdIn.model_validate(values)
        except ValidationError as error:
            errors.extend({"loc": ["file", "line", line, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in error.errors())
            continue
        if household.code in existing:
            errors.append({"loc": ["file", "line", line, "code"], "msg": f"household {household.code} already exists", "type": "value_error"})
            continue
        existing.add(household.code)
        rows.append(household)
    if errors:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors)
    created = []
    for body in rows:
        household = Household(compound_id=compound.id, code=body.code, x=body.x, y=body.y, tags=body.tags, has_space=body.has_space)
        session.add(household)
        session.flush()
        created.append(HouseholdCreatedOut(household=household.code, username=f"{compound.id}/{household.code}", activation_code=issue_activation(session, household)))
    session.add(AuditEntry(at=now, account_id=account.id, compound_id=compound.id, action="import households", detail=f"{len(created)} from {file.filename}"))
    session.commit()
    return created


def _run_out(run: Run | None) -> RunOut | None:
    if run is None:
        return None
    result = run.result
    return RunOut(
        id=run.id, started_at=run.started_at, status=result["status"], proven_optimal=result["proven_optimal"],
        served_by_priority=result["served_by_priority"], refused_by_priority=result["refused_by_priority"], solve_seconds=result["solve_seconds"],
    )


def _night_out(session, compound, night: Night) -> NightOut:
    requests = session.scalar(select(func.count()).select_from(ParkingRequest).where(ParkingRequest.night_id == night.id))
    return NightOut(
        compound=compound.id, evening=night.evening, state=night.state, cutoff=cutoff_of(compound, night.evening).isoformat(timespec="minutes"), requests=requests,
        draft=_run_out(session.get(Run, night.draft_run_id) if night.draft_run_id else None),
        published=_run_out(session.get(Run, night.published_run_id) if night.published_run_id else None),
        overstays=night.overstays or [],
    )


@router.get("/nights/{evening}", response_model=NightOut)
def read_night(evening: date, compound: StaffCompoundDep, session: SessionDep) -> NightOut:
    night = night_of(session, compound.id, evening)
    session.commit()
    return _night_out(session, compound, night)


@router.post("/nights/{evening}/run", response_model=NightOut, status_code=status.HTTP_201_CREATED)
def run(evening: date, compound: StaffCompoundDep, session: SessionDep, account: AccountDep, settings: SettingsDep, request: Request) -> NightOut:
    """Allocate the night as a draft (again, if need be); 409 while another run of it is going on."""
    run_night(request.app.state.sessions, compound.id, evening, account.id, settings.solver_seconds, timedelta(minutes=settings.run_lock_minutes))
    session.expire_all()
    return _night_out(session, compound, night_of(session, compound.id, evening))


@router.post("/nights/{evening}/publish", response_model=NightOut)
def publish_night(evening: date, compound: StaffCompoundDep, session: SessionDep, account: AccountDep) -> NightOut:
    night = night_of(session, compound.id, evening)
    publish(session, night, account.id)
    session.commit()
    return _night_out(session, compound, night)


@router.post("/nights/{evening}/overstays", response_model=NightOut)
def record_overstays(evening: date, body: OverstaysIn, compound: StaffCompoundDep, session: SessionDep, account: AccountDep, now: NowDep) -> NightOut:
    """The morning round: the spaces where a car stayed after its window. Their households get the
    plan's overstay penalty on the next nights; the night is closed."""
    night = night_of(session, compound.id, evening)
    if night.published_run_id is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"the night of {evening} is not published; there is nobody to record")
    run = session.get(Run, night.published_run_id)
    household_on = {a["space"]: a["household"] for a in run.result["assignments"]}
    unknown = [space for space in body.spaces if space not in household_on]
    if unknown:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": ["body", "spaces", body.spaces.index(space)], "msg": f"no car was allocated to {space} that night", "type": "value_error"} for space in unknown])
    night.overstays = sorted({household_on[space] for space in body.spaces})
    night.state = NightState.CLOSED.value
    session.add(AuditEntry(at=now, account_id=account.id, compound_id=compound.id, action="overstays", detail=f"night {evening}: {', '.join(body.spaces) or 'none'}"))
    session.commit()
    return _night_out(session, compound, night)


@router.get("/nights/{evening}/gate-list.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def gate_list(evening: date, compound: StaffCompoundDep, session: SessionDep, masked: bool = False) -> Response:
    """The published night for the gate: one row per car with a space. `masked=true` for a list posted in public."""
    night = night_of(session, compound.id, evening)
    if night.published_run_id is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"the night of {evening} is not published yet")
    run = session.get(Run, night.published_run_id)
    plates = {r["id"]: r["plate"] for r in run.snapshot["requests"]}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["space", "kind", "plate", "household", "from", "until"])
    for a in sorted(run.result["assignments"], key=lambda a: a["space"]):
        plate = masked_plate(plates[a["request"]]) if masked else plates[a["request"]]
        writer.writerow([a["space"], a["kind"], plate, a["household"], a["start"][11:16], a["end"][11:16]])
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="gate-{compound.id}-{evening}.csv"'})
