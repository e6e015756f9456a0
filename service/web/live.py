"""The night as it is lived, on a phone: a space's code scanned (`/s/{space}`), the gate, offers
from the waiting list, a stay given back, and the printable sheet of the spaces' codes. The
rules are in service/actions/live.py, which the API calls too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.actions import live
from service.actions.calendar import current_evening, in_compound_time
from service.actions.staff import gate_rows
from service.deps import NowDep, PathCode, SessionDep, SettingsDep
from service.models import Compound, Household, Space
from service.ordering import natural_key
from service.schemas import Evening
from service.web.common import attempt, done, done_message, render
from service.web.i18n import Translator
from service.web.session import (
    PostedDep,
    ResidentDep,
    ResidentPostDep,
    StaffDep,
    StaffPostDep,
    TranslatorDep,
)

router = APIRouter(include_in_schema=False)

# ---------------------------------------------------------------------------------------------
# Residents: a space's code, offers, giving a stay back


def _space_page(
    request: Request,
    t: Translator,
    session: Session,
    household: Household,
    space: str,
    now: datetime,
    errors: list[str] | None = None,
    status_code: int = 200,
    checked_in_now: bool = False,
) -> Response:
    view = live.scan_space(
        session=session, household=household, space=space, now=now, check_in=False
    )
    compound = session.get_one(Compound, household.compound_id)
    return render(
        request,
        t,
        "space.html",
        status_code,
        view=view,
        zone=compound.timezone,
        errors=errors or [],
        checked_in_now=checked_in_now or request.query_params.get("done") == "scan.checked_in",
        done=done_message(t, request),
    )


@router.get("/s/{space}")
def space_code(
    request: Request,
    space: PathCode,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentDep,
    now: NowDep,
) -> Response:
    """Where a space's printed code leads. Opening it changes nothing (link previews and
    prefetchers open links too): checking in is the one button on it."""
    return _space_page(request, t, session, household, space, now)


@router.post("/s/{space}/check-in")
def check_in(
    request: Request,
    space: PathCode,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
) -> Response:
    refused = attempt(
        lambda: live.scan_space(
            session=session, household=household, space=space, now=now, check_in=True
        ),
        lambda errors, code: _space_page(request, t, session, household, space, now, errors, code),
        session,
        t,
    )
    return refused or done(f"/s/{quote(space, safe='')}", "scan.checked_in")


@router.post("/s/{space}/left")
def record_leaving(
    request: Request,
    space: PathCode,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
) -> Response:
    refused = attempt(
        lambda: live.record_leaving(session=session, household=household, space=space, now=now),
        lambda errors, code: _space_page(request, t, session, household, space, now, errors, code),
        session,
        t,
    )
    return refused or done(f"/s/{quote(space, safe='')}", "scan.left_saved")


# ---------------------------------------------------------------------------------------------
# Staff: the gate, and the spaces' codes


@router.get("/staff/gate")
def gate_tonight(compound: StaffDep, now: NowDep) -> Response:
    """The gate page of the night under way (a bookmark for the guard's phone)."""
    evening = current_evening(compound.timezone, now)
    return RedirectResponse(f"/staff/night/{evening.isoformat()}/gate", status_code=303)


def _gate_page(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    evening: date,
    now: datetime,
    query: str = "",
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    rows = gate_rows(session=session, compound=compound, evening=evening)
    answer = (
        live.gate_lookup(session=session, compound=compound, evening=evening, query=query)
        if query.strip() and rows is not None
        else None
    )
    session.commit()
    return render(
        request,
        t,
        "gate.html",
        status_code,
        evening=evening,
        rows=rows,
        query=query,
        answer=answer,
        now=now,
        printed=in_compound_time(compound, now),
        errors=errors or [],
        done=done_message(t, request),
    )


@router.get("/staff/night/{evening}/gate")
def gate(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffDep,
    now: NowDep,
    plate: str = "",
) -> Response:
    return _gate_page(request, t, session, compound, evening, now, plate[:20])


def _at_gate(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    evening: date,
    now: datetime,
    plate: str,
    change: Callable[[], object],
    key: str,
) -> Response:
    """A change made at the gate, then back to the gate's answer for the same plate (or the page
    again with why not)."""
    refused = attempt(
        change,
        lambda errors, code: _gate_page(
            request, t, session, compound, evening, now, plate, errors, code
        ),
        session,
        t,
    )
    url = f"/staff/night/{evening.isoformat()}/gate?plate={quote(plate)}"
    return refused or done(url, key)


RequestId = Annotated[int, Form(ge=1, le=2**31 - 1)]
TypedPlate = Annotated[str, Form(max_length=20)]


@router.post("/staff/night/{evening}/check-in")
def gate_check_in(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    request_id: RequestId,
    plate: TypedPlate = "",
) -> Response:
    def change() -> object:
        return live.gate_check_in(
            session=session,
            compound=compound,
            evening=evening,
            request_id=request_id,
            account=account,
            now=now,
        )

    return _at_gate(
        request, t, session, compound, evening, now, plate, change, "gate.checked_in_saved"
    )


@router.post("/staff/night/{evening}/no-show")
def mark_no_show(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    request_id: RequestId,
    plate: TypedPlate = "",
) -> Response:
    def change() -> object:
        return live.mark_no_show(
            session=session,
            compound=compound,
            evening=evening,
            request_id=request_id,
            account=account,
            now=now,
        )

    return _at_gate(
        request, t, session, compound, evening, now, plate, change, "gate.no_show_saved"
    )


@router.post("/staff/night/{evening}/unauthorised")
def report_unauthorised(
    request: Request,
    evening: Evening,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    plate: TypedPlate = "",
    space: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    def change() -> None:
        live.report_unauthorised(
            session=session,
            compound=compound,
            evening=evening,
            plate=plate,
            space=space,
            note=note,
            account=account,
            now=now,
        )

    return _at_gate(
        request, t, session, compound, evening, now, plate, change, "gate.unauthorised_saved"
    )


def public_address(request: Request, configured: str | None) -> str:
    """The compound's address as residents' phones reach it: PARKING_PUBLIC_URL, else the one
    this page was asked at."""
    return (configured or str(request.base_url)).rstrip("/")


@router.get("/staff/codes")
def space_codes(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffDep,
    settings: SettingsDep,
) -> Response:
    """One label per space: its code (QR) to `/s/{space}`, its id and the compound's name, on A4
    sheets to print and stick at each space."""
    address = public_address(request, settings.public_url)
    spaces = sorted(
        session.scalars(select(Space.code).where(Space.compound_id == compound.id)),
        key=natural_key,
    )
    labels = [
        (
            code,
            f"{address}/s/{quote(code, safe='')}",
            segno.make_qr(f"{address}/s/{quote(code, safe='')}", error="m").svg_inline(
                scale=4, border=2, omitsize=True
            ),
        )
        for code in spaces
    ]
    session.commit()
    return render(request, t, "codes.html", compound=compound, labels=labels, address=address)
