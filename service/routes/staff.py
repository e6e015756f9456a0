"""Staff of a compound: households and their activation codes, and the nights."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy import func, select

from service.compounds import issue_activation
from service.deps import AccountDep, NowDep, SessionDep, SettingsDep, StaffCompoundDep
from service.models import AuditEntry, Household, Night, ParkingRequest, Run
from service.nightly import cutoff_of, night_of, publish, run_night
from service.schemas import problems, HouseholdCreatedOut, HouseholdIn, NightOut, RunOut
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
