"""A resident's own household: cars, tonight's requests, releases of a rented space, and outcomes.

Every object is looked up within the caller's household, so another household's gives 404.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from service.actions import inbox, residents
from service.actions.errors import DomainError
from service.actions.guidance import guidance_out
from service.actions.residents import SignedSubmission
from service.arrival import ArrivedDep
from service.deps import (
    BearerDep,
    HouseholdDep,
    NowDep,
    PathId,
    SessionDep,
    SubmissionsDep,
)
from service.schemas import (
    AllocationOut,
    CarIn,
    CarOut,
    ContactIn,
    ContactOut,
    Evening,
    GuidanceOut,
    HouseholdOut,
    InboxOut,
    ReleaseIn,
    ReleaseOut,
    ReportIn,
    ReportOut,
    RequestIn,
    RequestOut,
    SpaceUseOut,
    StandingRequestIn,
    StandingRequestOut,
    problems,
)

router = APIRouter(prefix="/api/v1/me", tags=["resident"], responses=problems(401, 403, 404, 409))


@router.get("", response_model=HouseholdOut)
def my_household(session: SessionDep, household: HouseholdDep) -> HouseholdOut:
    return residents.my_household(session=session, household=household)


@router.post("/cars", response_model=CarOut, status_code=status.HTTP_201_CREATED)
def add_car(body: CarIn, session: SessionDep, household: HouseholdDep) -> CarOut:
    return residents.add_car(session=session, household=household, body=body)


@router.get("/nights/{evening}/requests", response_model=list[RequestOut])
def my_requests(evening: Evening, session: SessionDep, household: HouseholdDep) -> list[RequestOut]:
    return residents.my_requests(session=session, household=household, evening=evening)


@router.post(
    "/nights/{evening}/requests", response_model=RequestOut, status_code=status.HTTP_201_CREATED
)
async def submit_request(
    evening: Evening,
    body: RequestIn,
    clock: NowDep,
    credentials: BearerDep,
    now: ArrivedDep,
    submissions: SubmissionsDep,
) -> RequestOut:
    # The busiest route at the cutoff: taken in batches with those that come beside it (the
    # caller read from its token there too), in a transaction per batch (service.batching).
    token = credentials.credentials if credentials is not None else None
    outcome = await submissions.put(SignedSubmission(token, clock, evening, body, now))
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


@router.post("/nights/{evening}/requests/check", response_model=GuidanceOut)
def check_request(
    evening: Evening, body: RequestIn, session: SessionDep, household: HouseholdDep
) -> GuidanceOut:
    """What this request would meet, without storing it: whether any space of the night could
    take it (and, if none, the nearest hours that would), its priority level, and how requests
    like it fared on the last published nights."""
    return guidance_out(
        residents.check_request(session=session, household=household, evening=evening, body=body)
    )


@router.put("/requests/{request_id}", response_model=RequestOut)
def change_request(
    request_id: PathId,
    body: RequestIn,
    session: SessionDep,
    household: HouseholdDep,
    now: ArrivedDep,
) -> RequestOut:
    return residents.change_request(
        session=session, household=household, request_id=request_id, body=body, now=now
    )


@router.delete("/requests/{request_id}", status_code=status.HTTP_204_NO_CONTENT)
def cancel_request(
    request_id: PathId, session: SessionDep, household: HouseholdDep, now: ArrivedDep
) -> None:
    residents.cancel_request(session=session, household=household, request_id=request_id, now=now)


@router.get("/standing-requests", response_model=list[StandingRequestOut])
def my_standing_requests(session: SessionDep, household: HouseholdDep) -> list[StandingRequestOut]:
    return residents.my_standing_requests(session=session, household=household)


@router.post(
    "/standing-requests", response_model=StandingRequestOut, status_code=status.HTTP_201_CREATED
)
def add_standing_request(
    body: StandingRequestIn, session: SessionDep, household: HouseholdDep
) -> StandingRequestOut:
    """A request that repeats on the given evenings; it becomes that night's request for the car
    when the night is allocated, unless the household asked for the car that night itself."""
    return residents.add_standing_request(session=session, household=household, body=body)


@router.delete("/standing-requests/{standing_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_standing_request(
    standing_id: PathId, session: SessionDep, household: HouseholdDep
) -> None:
    residents.remove_standing_request(session=session, household=household, standing_id=standing_id)


@router.post("/releases", response_model=ReleaseOut, status_code=status.HTTP_201_CREATED)
def release_space(
    body: ReleaseIn, session: SessionDep, household: HouseholdDep, now: ArrivedDep
) -> ReleaseOut:
    """Leave the space free on every evening from first_evening to last_evening (away Mon-Fri)."""
    return residents.release_space(session=session, household=household, body=body, now=now)


@router.delete("/releases/{release_id}", response_model=list[ReleaseOut])
def take_back_release(
    release_id: PathId, session: SessionDep, household: HouseholdDep, now: ArrivedDep
) -> list[ReleaseOut]:
    """Take the space back for every evening of a release that can still change: before its
    cutoff, not allocated, not being allocated. The others stay released; the answer lists what
    remains (empty: the whole release is gone). 409 when no evening of it can change any more."""
    return residents.take_back_release(
        session=session, household=household, release_id=release_id, now=now
    )


@router.get("/nights/{evening}/allocation", response_model=AllocationOut)
def my_allocation(evening: Evening, session: SessionDep, household: HouseholdDep) -> AllocationOut:
    """My space that night, or why there is none; empty until staff publish the night."""
    return residents.my_allocation(session=session, household=household, evening=evening)


@router.get("/nights/{evening}/my-space-users", response_model=list[SpaceUseOut])
def who_uses_my_space(
    evening: Evening, session: SessionDep, household: HouseholdDep
) -> list[SpaceUseOut]:
    """For a renter who released a space: who may use it that night and when (plates masked)."""
    return residents.who_uses_my_space(session=session, household=household, evening=evening)


@router.get("/notifications", response_model=InboxOut)
def my_inbox(session: SessionDep, household: HouseholdDep, now: NowDep) -> InboxOut:
    """The household's messages that are due, newest first, each in both languages."""
    return inbox.my_inbox(session=session, household=household, now=now)


@router.post("/notifications/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_all_read(session: SessionDep, household: HouseholdDep, now: NowDep) -> None:
    inbox.mark_read(session=session, household=household, now=now)


@router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_read(
    notification_id: PathId, session: SessionDep, household: HouseholdDep, now: NowDep
) -> None:
    inbox.mark_read(session=session, household=household, now=now, notification_id=notification_id)


@router.get("/contact", response_model=ContactOut)
def my_contact(household: HouseholdDep) -> ContactOut:
    """How the household is told (inbox always; e-mail, the compound's webhook), its language,
    its quiet hours, and its phone number (shown to the compound's staff only)."""
    return inbox.my_contact(household=household)


@router.put("/contact", response_model=ContactOut)
def change_contact(body: ContactIn, session: SessionDep, household: HouseholdDep) -> ContactOut:
    return inbox.change_contact(session=session, household=household, body=body)


@router.post(
    "/nights/{evening}/reports", response_model=ReportOut, status_code=status.HTTP_201_CREATED
)
def report_taken_space(
    evening: Evening, body: ReportIn, session: SessionDep, household: HouseholdDep, now: NowDep
) -> ReportOut:
    """ "My space is taken": the household's rented space, or its space that night, has another
    car on it; staff are told at once."""
    return inbox.report_taken_space(
        session=session, household=household, evening=evening, body=body, now=now
    )
