"""A published night as it is lived: the gate, check-in by a space's code, no-shows and the
waiting list (service/actions/live.py holds the rules)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from service.actions import live
from service.deps import (
    AccountDep,
    HouseholdDep,
    NowDep,
    PathCode,
    PathId,
    SessionDep,
    StaffCompoundDep,
)
from service.schemas import (
    Evening,
    GateAnswerOut,
    LiveNightOut,
    LiveStayOut,
    OfferedOut,
    OfferOut,
    SpaceTonightOut,
    StayRefIn,
    SweepOut,
    UnauthorisedIn,
    problems,
)

staff = APIRouter(
    prefix="/api/v1/compounds/{compound_id}/nights/{evening}",
    tags=["staff"],
    responses=problems(401, 403, 404, 409),
)
compound = APIRouter(
    prefix="/api/v1/compounds/{compound_id}", tags=["staff"], responses=problems(401, 403, 404, 409)
)
residents = APIRouter(
    prefix="/api/v1/me", tags=["resident"], responses=problems(401, 403, 404, 409)
)


def _offered(made: list[live.Offered]) -> list[OfferedOut]:
    return [
        OfferedOut(
            request_id=o.request_id,
            household=o.household,
            plate=o.plate,
            space=o.space,
            position=o.position,
        )
        for o in made
    ]


@staff.get("/live", response_model=LiveNightOut)
def read_live_night(
    evening: Evening, compound: StaffCompoundDep, session: SessionDep, now: NowDep
) -> LiveNightOut:
    """Every stay of the published night as it stands now, and tonight's waiting list."""
    return live.read_live_night(session=session, compound=compound, evening=evening, now=now)


@staff.get("/gate", response_model=GateAnswerOut)
def gate_lookup(
    evening: Evening,
    plate: Annotated[str, Query(min_length=1, max_length=20)],
    compound: StaffCompoundDep,
    session: SessionDep,
) -> GateAnswerOut:
    """May a car park tonight: `plate` is the whole plate or part of it, typed any way."""
    return live.gate_lookup(session=session, compound=compound, evening=evening, query=plate).out()


@staff.post("/check-ins", response_model=LiveStayOut, status_code=status.HTTP_201_CREATED)
def gate_check_in(
    evening: Evening,
    body: StayRefIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> LiveStayOut:
    return live.stay_out(
        live.gate_check_in(
            session=session,
            compound=compound,
            evening=evening,
            request_id=body.request_id,
            account=account,
            now=now,
        )
    )


@staff.post("/no-shows", response_model=list[OfferedOut], status_code=status.HTTP_201_CREATED)
def mark_no_show(
    evening: Evening,
    body: StayRefIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> list[OfferedOut]:
    """The car did not come: its space is offered to the waiting list at once (the offers made)."""
    return _offered(
        live.mark_no_show(
            session=session,
            compound=compound,
            evening=evening,
            request_id=body.request_id,
            account=account,
            now=now,
        )
    )


@staff.post("/unauthorised", status_code=status.HTTP_204_NO_CONTENT)
def report_unauthorised(
    evening: Evening,
    body: UnauthorisedIn,
    compound: StaffCompoundDep,
    session: SessionDep,
    account: AccountDep,
    now: NowDep,
) -> None:
    """A car with no stay tonight was found: recorded in the log."""
    live.report_unauthorised(
        session=session,
        compound=compound,
        evening=evening,
        plate=body.plate,
        space=body.space,
        note=body.note,
        account=account,
        now=now,
    )


@staff.post("/sweep", response_model=SweepOut)
def sweep_night(
    evening: Evening, compound: StaffCompoundDep, session: SessionDep, now: NowDep
) -> SweepOut:
    """Run the night's clock now (the delivery worker runs it every few seconds anyway)."""
    done = live.sweep_night(session=session, compound=compound, evening=evening, now=now)
    return SweepOut(no_shows=done.no_shows, expired=done.expired, offered=done.offered)


@residents.get("/spaces/{space}/tonight", response_model=SpaceTonightOut)
def space_tonight(
    space: PathCode, session: SessionDep, household: HouseholdDep, now: NowDep
) -> SpaceTonightOut:
    """Whose space it is tonight (other households' plates masked)."""
    return live.scan_space(
        session=session, household=household, space=space, now=now, check_in=False
    ).out()


@residents.post("/spaces/{space}/check-in", response_model=SpaceTonightOut)
def check_in(
    space: PathCode, session: SessionDep, household: HouseholdDep, now: NowDep
) -> SpaceTonightOut:
    """The household's car is on `space`, its space tonight (what scanning its code does)."""
    return live.scan_space(
        session=session, household=household, space=space, now=now, check_in=True
    ).out()


@residents.post("/spaces/{space}/left", response_model=LiveStayOut)
def record_leaving(
    space: PathCode, session: SessionDep, household: HouseholdDep, now: NowDep
) -> LiveStayOut:
    """The household's car has left `space` (optional; the morning round then skips it)."""
    return live.stay_out(
        live.record_leaving(session=session, household=household, space=space, now=now)
    )


@residents.post("/spaces/{space}/release-tonight", status_code=status.HTTP_204_NO_CONTENT)
def release_tonight(
    space: PathCode, session: SessionDep, household: HouseholdDep, now: NowDep
) -> None:
    """The renter is away tonight after all, the night already published: the rented space is
    released for this evening and offered to the waiting list at once."""
    live.release_tonight(session=session, household=household, space=space, now=now)


@residents.post("/requests/{request_id}/give-back", status_code=status.HTTP_204_NO_CONTENT)
def give_back(
    request_id: PathId, session: SessionDep, household: HouseholdDep, now: NowDep
) -> None:
    """The household will not use tonight's space after all: it goes to the waiting list."""
    live.give_back(session=session, household=household, request_id=request_id, now=now)


@residents.post("/offers/{offer_id}/accept", response_model=OfferOut)
def accept_offer(
    offer_id: PathId, session: SessionDep, household: HouseholdDep, now: NowDep
) -> OfferOut:
    return live.offer_out(
        live.answer_offer(
            session=session, household=household, offer_id=offer_id, accept=True, now=now
        )
    )


@residents.post("/offers/{offer_id}/pass", response_model=OfferOut)
def pass_offer(
    offer_id: PathId, session: SessionDep, household: HouseholdDep, now: NowDep
) -> OfferOut:
    """Let the offered space pass on to the next on the waiting list."""
    return live.offer_out(
        live.answer_offer(
            session=session, household=household, offer_id=offer_id, accept=False, now=now
        )
    )


@compound.get(
    "/sessions.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "calibration sessions"}},
)
def sessions_csv(
    first: Annotated[date, Query(description="first evening")],
    last: Annotated[date, Query(description="last evening (at most 366 evenings)")],
    compound_: StaffCompoundDep,
    session: SessionDep,
    charging: Annotated[
        bool, Query(description="the charging sessions asked for, for `parking chargers --data`")
    ] = False,
) -> Response:
    """The stays that checked in and said they left, as sessions for `python -m
    scenarios.calibration` (the Trondheim layout: `;`-separated, day.month.year times); with
    `charging=true`, the charging sessions asked for, served or not, for `parking chargers`."""
    text = live.sessions_csv(
        session=session, compound=compound_, first=first, last=last, charging=charging
    )
    name = f"sessions-{compound_.id}-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
