"""Staff of a compound: its spaces and households (with activation codes), and the nights."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from service.actions import compound as compound_actions
from service.actions import inbox, staff
from service.actions.errors import Conflict
from service.deps import (
    AccountDep,
    JobsDep,
    NowDep,
    PathCode,
    PathId,
    SessionDep,
    SessionsDep,
    SettingsDep,
    StaffCompoundDep,
    clock_from,
)
from service.schemas import (
    AuditOut,
    CompoundOut,
    DeliveriesOut,
    Evening,
    HouseholdChangeIn,
    HouseholdCreatedOut,
    HouseholdIn,
    HouseholdListOut,
    ImportJobOut,
    MessageIn,
    MessageOut,
    NightOut,
    NotificationOut,
    OverstaysIn,
    PinIn,
    ReportCloseIn,
    ReportOut,
    SpaceChangeIn,
    SpaceIn,
    SpaceOut,
    UrgentRequestIn,
    WithdrawReleaseIn,
    problems,
)

router = APIRouter(
    prefix="/api/v1/compounds/{compound_id}", tags=["staff"], responses=problems(401, 403, 404, 409)
)


@router.get("", response_model=CompoundOut)
def read_compound(compound: StaffCompoundDep, session: SessionDep, now: NowDep) -> CompoundOut:
    return compound_actions.read_compound(session=session, compound=compound, now=now)


@router.get("/spaces", response_model=list[SpaceOut])
def list_spaces(compound: StaffCompoundDep, session: SessionDep) -> list[SpaceOut]:
    return compound_actions.list_spaces(session=session, compound=compound)


@router.post("/spaces", response_model=SpaceOut, status_code=status.HTTP_201_CREATED)
def create_space(
    body: SpaceIn, compound: StaffCompoundDep, session: SessionDep, account: AccountDep, now: NowDep
) -> SpaceOut:
    return compound_actions.create_space(
        session=session, compound=compound, body=body, account=account, now=now
    )


@router.patch("/spaces/{space_code}", response_model=SpaceOut)
def change_space(
    space_code: PathCode,
    body: SpaceChangeIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> SpaceOut:
    """Change a space; only the fields sent change. Nights already run keep their snapshot."""
    return compound_actions.change_space(
        session=session,
        compound=compound,
        space_code=space_code,
        body=body,
        account=account,
        now=now,
    )


@router.patch("/households/{household_code}", response_model=HouseholdListOut)
def change_household(
    household_code: PathCode,
    body: HouseholdChangeIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> HouseholdListOut:
    return compound_actions.change_household(
        session=session,
        compound=compound,
        household_code=household_code,
        body=body,
        account=account,
        now=now,
    )


@router.get("/households", response_model=list[HouseholdListOut])
def list_households(compound: StaffCompoundDep, session: SessionDep) -> list[HouseholdListOut]:
    return compound_actions.list_households(session=session, compound=compound)


@router.post("/households", response_model=HouseholdCreatedOut, status_code=status.HTTP_201_CREATED)
def create_household(
    body: HouseholdIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> HouseholdCreatedOut:
    """A household and its resident account; hand the activation code to the resident."""
    return compound_actions.create_household(
        session=session, compound=compound, body=body, account=account, now=now
    )


@router.post("/households/{household_code}/activation", response_model=HouseholdCreatedOut)
def new_activation_code(
    household_code: PathCode,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> HouseholdCreatedOut:
    return compound_actions.new_activation_code(
        session=session, compound=compound, household_code=household_code, account=account, now=now
    )


@router.post(
    "/households/import",
    response_model=ImportJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={422: {"description": "a bad file: every bad line named, nothing stored"}},
)
async def import_households(
    file: UploadFile,
    compound: StaffCompoundDep,
    session: SessionDep,
    sessions: SessionsDep,
    account: AccountDep,
    now: NowDep,
    jobs: JobsDep,
    response: Response,
) -> ImportJobOut:
    """Households from a CSV file (columns code, x, y, tags separated by ';', has_space), each with
    an activation code; UTF-8, or GBK as Excel saves it on Chinese Windows. Every line is checked
    at once: any bad line gives 422 listing every bad line, and nothing is stored. A good file is
    imported in the background (hashing each code takes a while): follow the job at the Location
    given; once done it lists the activation codes, one time."""
    content = await file.read()
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
    jobs.submit(
        compound_actions.run_import, sessions=sessions, job_id=job.id, clock=clock_from(now)
    )
    response.headers["Location"] = f"/api/v1/compounds/{compound.id}/households/imports/{job.id}"
    return job


@router.get("/households/imports/{job_id}", response_model=ImportJobOut)
def import_progress(
    job_id: PathId, compound: StaffCompoundDep, session: SessionDep, now: NowDep
) -> ImportJobOut:
    """How far an import is; once it is done, the households with their activation codes, shown
    this one time (only their digests are kept)."""
    return compound_actions.import_progress(
        session=session, compound=compound, job_id=job_id, now=now
    )


@router.get("/nights/{evening}", response_model=NightOut)
def read_night(
    evening: Evening, compound: StaffCompoundDep, session: SessionDep, now: NowDep
) -> NightOut:
    return staff.read_night(session=session, compound=compound, evening=evening, now=now)


@router.post("/nights/{evening}/run", response_model=NightOut, status_code=status.HTTP_201_CREATED)
def run(
    evening: Evening,
    compound: StaffCompoundDep,
    session: SessionDep,
    sessions: SessionsDep,
    account: AccountDep,
    settings: SettingsDep,
    now: NowDep,
) -> NightOut:
    """Allocate the night as a draft (again, if need be); 409 while another run of it goes on."""
    return staff.run(
        sessions=sessions,
        session=session,
        compound=compound,
        evening=evening,
        account=account,
        settings=settings,
        now=now,
    )


@router.post(
    "/nights/{evening}/reoptimise", response_model=NightOut, status_code=status.HTTP_201_CREATED
)
def reoptimise(
    evening: Evening,
    compound: StaffCompoundDep,
    session: SessionDep,
    sessions: SessionsDep,
    account: AccountDep,
    settings: SettingsDep,
    now: NowDep,
) -> NightOut:
    """After a late change to a published night: a new draft keeping every published assignment
    that is still possible, with the list of who it moves; publish it to apply."""
    return staff.run(
        sessions=sessions,
        session=session,
        compound=compound,
        evening=evening,
        account=account,
        settings=settings,
        now=now,
        after_publishing=True,
    )


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
    return staff.add_pin(
        session=session, compound=compound, evening=evening, body=body, account=account, now=now
    )


@router.delete("/nights/{evening}/pins/{pin_id}", response_model=NightOut)
def remove_pin(
    evening: Evening,
    pin_id: PathId,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> NightOut:
    return staff.remove_pin(
        session=session, compound=compound, evening=evening, pin_id=pin_id, account=account, now=now
    )


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
    return staff.add_urgent_request(
        session=session, compound=compound, evening=evening, body=body, account=account, now=now
    )


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
    return staff.withdraw_release(
        session=session, compound=compound, evening=evening, body=body, account=account, now=now
    )


@router.post("/nights/{evening}/publish", response_model=NightOut)
def publish_night(
    evening: Evening,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
    settings: SettingsDep,
) -> NightOut:
    return staff.publish_night(
        session=session,
        compound=compound,
        evening=evening,
        account=account,
        now=now,
        reminder_minutes=settings.reminder_minutes,
    )


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
    return staff.record_overstays(
        session=session, compound=compound, evening=evening, body=body, account=account, now=now
    )


@router.get("/audit", response_model=list[AuditOut])
def audit_log(
    compound: StaffCompoundDep, session: SessionDep, limit: int = Query(100, ge=1, le=1000)
) -> list[AuditOut]:
    """The compound's log, newest first: runs, publishing, pins, imports, cancellations, urgent
    requests, withdrawn releases, overstays, with who and why."""
    return staff.audit_log(session=session, compound=compound, limit=limit)


GATE_HEADER = ["space", "kind", "plate", "household", "from", "until"]


@router.get(
    "/nights/{evening}/gate-list.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def gate_list(
    evening: Evening,
    compound: StaffCompoundDep,
    session: SessionDep,
    masked: bool = False,
    phones: bool = False,
) -> Response:
    """The published night for the gate: one row per car with a space. `masked=true` for a list
    posted in public; `phones=true` adds the households' phone numbers (not with `masked`)."""
    rows = staff.gate_rows(session=session, compound=compound, evening=evening, phones=phones)
    session.commit()
    if rows is None:
        raise Conflict("not_published", f"the night of {evening} is not published yet")
    return Response(
        staff.gate_csv(rows, GATE_HEADER, str, masked, "phone" if phones else None),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gate-{compound.id}-{evening}.csv"'},
    )


@router.get("/notifications", response_model=list[NotificationOut])
def staff_inbox(
    compound: StaffCompoundDep, session: SessionDep, now: NowDep
) -> list[NotificationOut]:
    """The staff's messages: reports of taken spaces, newest first."""
    return inbox.staff_inbox(session=session, compound=compound, now=now)


@router.get("/reports", response_model=list[ReportOut])
def reports(
    compound: StaffCompoundDep, session: SessionDep, open_only: bool = False
) -> list[ReportOut]:
    """Reports of taken spaces, open first, with the night's stay on the space and the
    household's phone."""
    return inbox.reports(session=session, compound=compound, open_only=open_only)


@router.post("/reports/{report_id}/close", response_model=ReportOut)
def close_report(
    report_id: PathId,
    body: ReportCloseIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> ReportOut:
    return inbox.close_report(
        session=session, compound=compound, account=account, report_id=report_id, body=body, now=now
    )


@router.post("/messages", response_model=MessageOut, status_code=status.HTTP_201_CREATED)
def send_message(
    body: MessageIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=80, pattern=r"^[\w.:-]+$")] = None,
) -> MessageOut:
    """A message to one household, or to everyone served or refused on an evening (inbox, and
    each household's chosen channels). Send an `Idempotency-Key` header to make a retry safe:
    the same key writes nothing more."""
    return inbox.send_message(
        session=session,
        compound=compound,
        account=account,
        body=body,
        now=now,
        key=f"api.{idempotency_key}" if idempotency_key else None,
    )


@router.get("/deliveries", response_model=DeliveriesOut)
def deliveries(compound: StaffCompoundDep, session: SessionDep) -> DeliveriesOut:
    """How the notifications' e-mails and webhook calls are going."""
    return inbox.deliveries(session=session, compound=compound)
