"""API bodies: separate input (…In) and output (…Out) models; clock times as "HH:MM"."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from scenarios.schema import SizeName

# What every text of a request may not hold: NUL, which PostgreSQL cannot store (it answered 500),
# and lone surrogates, which no encoding can (escaped in JSON as "\ud800").
NO_NUL = r"^[^\x00]*$"


def clean_text(value: str) -> str:
    """A text the databases can store, or ValueError saying why not."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be Unicode text (it holds a lone surrogate)") from None
    return value


# Every text of every input schema is a Text (the pattern tells the OpenAPI document).
Text = Annotated[str, Field(json_schema_extra={"pattern": NO_NUL}), AfterValidator(clean_text)]
# One item of a list: a feature, a need, a tag, a space's code or hours (its bounds come before the
# check, so that pydantic says them as a text's).
Item = Annotated[
    str,
    Field(min_length=1, max_length=40, json_schema_extra={"pattern": NO_NUL}),
    AfterValidator(clean_text),
]
Clock = Field(
    pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
    examples=["22:10"],
    description="HH:MM; before 12:00 means the next morning",
)
# Row ids fit the databases' 32-bit integers; evenings stay where dates and the morning after exist.
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
FIRST_EVENING, LAST_EVENING = date(2000, 1, 1), date(2099, 12, 31)
# The OpenAPI document says the years in the pattern, which generators of test data read.
EVENING_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def plain_date(value: object) -> object:
    """A date as YYYY-MM-DD only: no time, no offset, no timestamp (pydantic takes all three)."""
    if isinstance(value, datetime) or not isinstance(value, str | date):
        raise ValueError("must be a date written YYYY-MM-DD")
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD, without a time or an offset")
    return value


def service_year(value: date) -> date:
    """An evening the service takes: within them every date and the morning after exist."""
    if not FIRST_EVENING <= value <= LAST_EVENING:
        raise ValueError(f"must be from {FIRST_EVENING} to {LAST_EVENING}")
    return value


Evening = Annotated[
    date,
    BeforeValidator(plain_date),
    AfterValidator(service_year),
    Field(
        description="an evening, YYYY-MM-DD, from 2000-01-01 to 2099-12-31",
        json_schema_extra={"pattern": EVENING_PATTERN},
    ),
]
Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[\w][\w./-]*$",
        description="letters, digits, - . / _",
    ),
]
# Metres on the compound's map.
Coordinate = Annotated[float, Field(ge=-1_000_000, le=1_000_000)]
# A flat's floor area (专有部分面积) in m², which ballots count.
FloorArea = Annotated[
    float,
    Field(gt=0, le=10_000, description="the flat's floor area in m² (专有部分面积), as registered"),
]
# A space's hours, e.g. 18:00-08:00.
Windows = Annotated[list[Item], Field(min_length=1, max_length=10)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    username: Text = Field(min_length=1, max_length=80)
    password: Text = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    role: str


class ActivateIn(_In):
    username: Text = Field(min_length=1, max_length=80)
    code: Text = Field(min_length=1, max_length=40)
    password: Text = Field(min_length=8, max_length=200)


class CarIn(_In):
    plate: Text = Field(
        min_length=1,
        max_length=20,
        description="as typed: 沪A·12345, 沪a12345 (stored as 沪A12345)",
    )
    size: SizeName = "standard"
    needs: list[Item] = Field(default_factory=list, max_length=10)


class CarOut(BaseModel):
    id: int
    plate: str
    size: str
    needs: list[str]


class HouseholdOut(BaseModel):
    compound: str
    household: str
    tags: list[str]
    has_space: bool
    cars: list[CarOut]
    spaces: list[str]


class RequestIn(_In):
    car_id: Id
    arrive: str = Clock
    depart: str = Clock
    needs: list[Item] | None = Field(
        None,
        max_length=10,
        description=(
            "what this stay needs (ev_charger, accessible, ...); omitted: the car's own needs"
        ),
    )
    charging: bool = Field(
        False,
        description=(
            "a charging session at a charge point (needs ev_charger), not a parking stay: a car "
            "may have one of each a night"
        ),
    )


class StayOut(BaseModel):
    """A stay some space of `kind` would take, the nearest to the one asked for."""

    kind: str
    arrive: str
    depart: str
    change_minutes: int = Field(description="minutes moved, at both ends together")


class FitOut(BaseModel):
    """Whether any space of the night could take the stay (the other requests aside)."""

    fits: bool
    fitting_spaces: int = Field(description="spaces that take the stay as asked")
    kinds: list[str] = Field(description="the kinds of those spaces")
    reasons: list[str] = Field(
        description="when nothing fits, the rules that exclude spaces: pool, compound, "
        "charging_only, window, size, features, walk, forbidden"
    )
    no_household_space: bool = Field(
        description="the plan gives households no shared space (for a charging session: no "
        "charging session)"
    )
    message: str = Field(description="when nothing fits, why (English); else empty")
    message_zh: str = Field(description="the same in Simplified Chinese")
    suggestions: list[StayOut] = Field(
        description="when nothing fits, per kind the nearest stay one of its spaces takes"
    )


class ChanceOut(BaseModel):
    """Requests like this one on the last published nights: same level, similar hours."""

    served: int
    similar: int
    nights: int = Field(description="published nights looked at")
    similar_minutes: int = Field(description="arrival and departure each within this")


class GuidanceOut(BaseModel):
    """What a stay would meet: the fit, the priority level, the chance (null: too little
    history)."""

    fit: FitOut
    priority: int
    priority_penalised: bool = Field(description="the level is the overstay penalty's")
    chance: ChanceOut | None


class RequestOut(BaseModel):
    id: int
    evening: date
    car_id: Id
    plate: str
    arrive: str
    depart: str
    needs: list[str]
    charging: bool = Field(description="a charging session, not a parking stay")
    fit: FitOut | None = Field(
        None, description="on submitting or changing: whether any space could take it"
    )


class StandingRequestIn(_In):
    car_id: Id
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        min_length=1,
        max_length=7,
        description="evenings it repeats, each once: 0 = Monday ... 6 = Sunday",
        json_schema_extra={"uniqueItems": True},
    )
    arrive: str = Clock
    depart: str = Clock


class StandingRequestOut(BaseModel):
    id: int
    car_id: Id
    weekdays: list[int]
    arrive: str
    depart: str


class ReleaseIn(_In):
    space: Text = Field(
        min_length=1, max_length=40, description="the code of a space the household rents"
    )
    first_evening: Evening
    last_evening: Evening


class ReleaseOut(BaseModel):
    id: int
    space: str
    first_evening: date
    last_evening: date


class MyOutcome(BaseModel):
    request_id: Id
    plate: str
    charging: bool = Field(False, description="a charging session, not a parking stay")
    arrive: str = Field(description="the hours asked for, HH:MM")
    depart: str
    space: str | None
    kind: str | None
    start: str | None
    end: str | None
    walk_m: int | None
    reason: str | None
    message: str | None
    message_zh: str | None = Field(
        None,
        description=(
            "the same sentence in Simplified Chinese "
            "(runs made before the Chinese phrasebook have none)"
        ),
    )


class AllocationOut(BaseModel):
    evening: date
    published: bool
    outcomes: list[MyOutcome]


class SpaceUseOut(BaseModel):
    space: str
    plate: str = Field(description="masked, e.g. 沪A1**45")
    start: str
    end: str


class AuditOut(BaseModel):
    at: datetime
    account: str | None
    action: str
    detail: str = Field(description="In English.")
    params: dict[str, str | int | list[str]] | None = Field(
        default=None,
        description="What the detail is made of (evening, space, plate, reason, ...); "
        "null on entries written before they were kept.",
    )


class CompoundOut(BaseModel):
    id: str
    name: str
    timezone: str
    cutoff: str
    policy: dict
    spaces: int
    households: int


class SpaceIn(_In):
    code: Code
    kind: Text = Field(min_length=1, max_length=40, description="rented, street, ...")
    size: SizeName = "standard"
    features: list[Item] = Field(default_factory=list, max_length=20)
    x: float = Field(ge=-1_000_000, le=1_000_000)
    y: float = Field(ge=-1_000_000, le=1_000_000)
    windows: Windows | None = Field(
        None, description="e.g. ['18:00-08:00']; absent: the plan's hours for the kind"
    )
    renter: Text | None = Field(
        None, max_length=40, description="code of the household renting it monthly"
    )


def _never_null(schema: dict[str, Any]) -> None:
    """The JSON schema of a field that may be left out but not sent as null: its value's."""
    branches = schema.pop("anyOf", [])
    schema.update(next((b for b in branches if b.get("type") != "null"), {}))
    schema.pop("default", None)


# A field of a change: left out, it stays as it is; null is refused (the document says so).
Unchanged = Field(None, json_schema_extra=_never_null)


class SpaceChangeIn(_In):
    """Only the fields given change; `renter: null` ends a rental, `windows: null` gives the space
    the plan's hours. The others may be left out but not null."""

    kind: Annotated[Text, Field(min_length=1, max_length=40)] | None = Unchanged
    size: SizeName | None = Unchanged
    features: Annotated[list[Item], Field(max_length=20)] | None = Unchanged
    x: Coordinate | None = Unchanged
    y: Coordinate | None = Unchanged
    windows: Windows | None = None
    renter: Annotated[Text, Field(max_length=40)] | None = None


class HouseholdChangeIn(_In):
    """Only the fields given change; none may be null."""

    x: Coordinate | None = Unchanged
    y: Coordinate | None = Unchanged
    tags: Annotated[list[Item], Field(max_length=20)] | None = Unchanged
    has_space: bool | None = Unchanged
    # null clears a recorded area.
    floor_area: FloorArea | None = None


class SpaceOut(BaseModel):
    code: str
    kind: str
    size: str
    features: list[str]
    x: float
    y: float
    windows: list[str] | None
    renter: str | None


class HouseholdListOut(BaseModel):
    code: str
    x: float
    y: float
    tags: list[str]
    has_space: bool
    floor_area: float | None
    activated: bool


class HouseholdIn(_In):
    code: Code
    x: float = Field(ge=-1_000_000, le=1_000_000)
    y: float = Field(ge=-1_000_000, le=1_000_000)
    tags: list[Item] = Field(default_factory=list, max_length=20)
    has_space: bool = False
    floor_area: FloorArea | None = None


class HouseholdCreatedOut(BaseModel):
    household: str
    username: str
    activation_code: str


class ImportJobOut(BaseModel):
    """A households import: queued, running (done of total codes made), done or failed."""

    id: int
    filename: str
    state: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    error: str | None = None
    created: list[HouseholdCreatedOut] = Field(
        default_factory=list,
        description="once done: each household with its activation code, shown this one time",
    )


class RunOut(BaseModel):
    id: int
    started_at: datetime
    status: str
    proven_optimal: bool
    served_by_priority: dict[str, int]
    refused_by_priority: dict[str, int]
    solve_seconds: float


class PinIn(_In):
    request_id: Id
    space: Text = Field(min_length=1, max_length=40)
    action: Literal["force", "forbid"]
    reason: Text = Field(
        min_length=3,
        max_length=500,
        description="why, for the log (e.g. 'elderly, agreed at the desk')",
    )


class PinOut(BaseModel):
    id: int
    request_id: Id
    space: str
    action: str
    reason: str


class Change(BaseModel):
    request: str
    household: str
    from_: str | None = Field(None, alias="from")
    to: str | None = None

    model_config = ConfigDict(populate_by_name=True)


class ChangesOut(BaseModel):
    moved: list[Change]
    newly_served: list[Change]
    no_longer_served: list[Change]


class UrgentRequestIn(_In):
    household: Text = Field(min_length=1, max_length=40)
    car_id: Id
    arrive: str = Clock
    depart: str = Clock
    reason: Text = Field(min_length=3, max_length=500)


class WithdrawReleaseIn(_In):
    space: Text = Field(min_length=1, max_length=40)
    reason: Text = Field(min_length=3, max_length=500, description="e.g. 'renter came home early'")


class OverstaysIn(_In):
    spaces: list[Item] = Field(
        max_length=10_000,
        description="shared spaces with a car still on them after their window closed",
    )


class NightOut(BaseModel):
    compound: str
    evening: date
    state: str
    cutoff: str
    requests: int
    draft: RunOut | None
    published: RunOut | None
    overstays: list[str] = Field(
        default_factory=list,
        description="households recorded as overstaying, once the night is closed",
    )
    pins: list[PinOut] = Field(default_factory=list)
    changes: ChangesOut | None = Field(
        None,
        description="after a re-optimisation: what the draft changes against the published night",
    )


class Problem(BaseModel):
    detail: str


def problems(*codes: int) -> dict[int | str, dict]:
    """OpenAPI entries for the error statuses a router's routes can answer."""
    meaning = {
        401: "not signed in, or the token expired",
        403: "signed in, but this route is for another role",
        404: "no such object here (another household's or compound's looks the same)",
        409: "the night's state does not allow it; the sentence says why",
        429: "too many failed sign-ins",
    }
    return {code: {"model": Problem, "description": meaning[code]} for code in codes}


class SaidOut(BaseModel):
    title: str
    text: str


class NotificationOut(BaseModel):
    """A message in the household's inbox, in both languages."""

    id: int
    kind: str = Field(
        description="served, refused, moved, no_longer_served, space_used, leave_by, overstay, "
        "closed_early, message"
    )
    at: datetime = Field(description="when it was due (a reminder: its time)")
    read: bool
    zh: SaidOut
    en: SaidOut
    params: dict[str, Any]


class InboxOut(BaseModel):
    unread: int
    notifications: list[NotificationOut]


Quiet = Annotated[
    str,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["23:00"], description="HH:MM"),
]


class ContactIn(_In):
    """How the household is told, and its phone number (shown to the compound's staff only)."""

    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = (
        None
    )
    notify_email: bool = False
    notify_webhook: bool = Field(
        False, description="through the compound's bridge (WeChat, SMS) when it has one"
    )
    language: Literal["zh", "en"] = "zh"
    quiet_from: Quiet | None = None
    quiet_until: Quiet | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9][0-9 -]{4,18}[0-9]$")] | None = None


class ContactOut(BaseModel):
    email: str | None
    notify_email: bool
    notify_webhook: bool
    language: str
    quiet_from: str | None
    quiet_until: str | None
    phone: str | None


class ReportIn(_In):
    """ "My space is taken": the space, and the plate seen on it if it could be read."""

    space: Code
    plate: Annotated[str, Field(max_length=20)] = ""
    note: Annotated[Text, Field(max_length=500)] = ""


class ReportOut(BaseModel):
    id: int
    evening: date
    space: str
    plate: str
    note: str
    household: str
    phone: str | None = Field(description="in full for staff; masked for the household itself")
    stay: str = Field(description="tonight's published stay on the space, or empty")
    created_at: datetime
    closed_at: datetime | None
    closing_note: str


class ReportCloseIn(_In):
    note: Annotated[Text, Field(min_length=1, max_length=500)]


class MessageIn(_In):
    """A message from staff: to one household, or to everyone served or refused on `evening`."""

    text: Annotated[Text, Field(min_length=1, max_length=1000)]
    to: Literal["household", "served", "refused"]
    household: Code | None = None
    evening: Evening | None = None


class MessageOut(BaseModel):
    households: int


class DeliveryCountOut(BaseModel):
    channel: str
    state: str
    count: int


class DeliveryFailureOut(BaseModel):
    id: int
    channel: str
    kind: str
    household: str | None
    attempts: int
    last_error: str | None


class DeliveriesOut(BaseModel):
    counts: list[DeliveryCountOut]
    failures: list[DeliveryFailureOut]


# Ballots (docs/ballots.md).

BallotRuleName = Literal["majority", "common_parts"]
BallotState = Literal["upcoming", "open", "closed"]


class BallotOptionIn(_In):
    """One option: a bundled plan by its file's name (`laiyang-voted`), a plan document as the
    plan files hold it, or "none of these" (the plan in use stays)."""

    kind: Literal["plan", "none"] = "plan"
    bundled: Annotated[Text, Field(max_length=80)] | None = None
    plan: dict[str, Any] | None = Field(
        None, description="a plan file's document: name, name_zh, summary, policy, pools"
    )


class BallotIn(_In):
    question: Text = Field(min_length=3, max_length=500)
    rule: BallotRuleName = Field(
        "majority",
        description="majority: more than half of the participating area and households approve; "
        "common_parts (changing the use of common parts): at least three quarters of both. "
        "Either way households holding 2/3 of the area and 2/3 of the households take part.",
    )
    opens_at: datetime = Field(description="ISO date-time; without an offset, compound time")
    closes_at: datetime = Field(description="ISO date-time; without an offset, compound time")
    options: list[BallotOptionIn] = Field(min_length=2, max_length=5)
    seed: int = Field(1, ge=0, le=2**31 - 1, description="the simulation's first seed")
    nights: int = Field(30, ge=30, le=365, description="simulated nights per run")
    seeds: int = Field(4, ge=2, le=20, description="runs per option")


class EstimateOut(BaseModel):
    """A simulated figure: its mean and 95 % interval over the seeds (null when not defined)."""

    mean: float | None
    low: float | None
    high: float | None


class OptionFiguresOut(BaseModel):
    """What the simulation says of one plan, each figure over the seeds (docs/simulation.md)."""

    position: int
    requests_per_night: EstimateOut
    served_per_night: EstimateOut
    served_share: EstimateOut
    refused_nights: EstimateOut  # per household that asked, per month
    refused_nights_without_space: EstimateOut  # the same, households without a space of their own
    refused_nights_max: EstimateOut
    refused_gini: EstimateOut
    refused_over_share: EstimateOut
    refused_p95: EstimateOut
    refused_no_fit_month: EstimateOut  # refused: no space offers those hours or needs
    refused_taken_month: EstimateOut  # refused: every fitting space taken
    renter_conflicts_month: EstimateOut
    window_overstays_month: EstimateOut
    walk_m: EstimateOut
    # refused_nights_without_space with renters away half as often, and twice as often.
    without_space_if_away_half: EstimateOut
    without_space_if_away_double: EstimateOut


class SimulationOut(BaseModel):
    state: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    error: str | None = None
    seed: int
    nights: int
    seeds: int
    renter_away_share: float | None = None
    refused_over: int = 5
    options: list[OptionFiguresOut] = Field(default_factory=list)


class BallotOptionOut(BaseModel):
    position: int
    label: str
    label_zh: str
    none_of_these: bool
    plan: dict[str, Any] | None


class OptionTallyOut(BaseModel):
    position: int
    households: int
    area: float
    approved: bool


class TallyOut(BaseModel):
    """The count once the ballot closed: everything a household needs to check the decision."""

    rule: BallotRuleName
    roll_households: int
    roll_area: float
    roll_without_area: int  # households on the roll without a recorded floor area
    households: int  # households that voted
    area: float
    area_counted: bool  # false when no household on the roll has a recorded area
    households_participation_met: bool
    area_participation_met: bool
    participation_met: bool
    options: list[OptionTallyOut]
    decision: int | None  # the approved option's position


class TurnoutOut(BaseModel):
    """Who has voted so far, as numbers only (staff see this while the ballot is open)."""

    households: int
    area: float
    online: int
    paper: int
    roll_households: int
    roll_area: float
    roll_without_area: int


class AdoptionOut(BaseModel):
    first_evening: date
    adopted_at: datetime


class BallotOut(BaseModel):
    id: int
    question: str
    rule: BallotRuleName
    opens_at: datetime
    closes_at: datetime
    state: BallotState
    options: list[BallotOptionOut]
    simulation: SimulationOut | None
    roll_households: int
    roll_without_area: int
    turnout: TurnoutOut | None = Field(None, description="staff only, while and after it runs")
    tally: TallyOut | None = None
    adopted: AdoptionOut | None = None


class MyVoteOut(BaseModel):
    """A household's vote as it stands: the option, how it was cast and the receipt code that
    checks, once the ballot is counted, that this choice was counted."""

    ballot: int
    position: int
    channel: Literal["online", "paper"]
    receipt: str


class MyBallotOut(BallotOut):
    on_roll: bool
    my_vote: MyVoteOut | None = Field(
        None, description="while the ballot is open (the link is erased when it is counted)"
    )
    voted: bool = False


class VoteIn(_In):
    option: int = Field(ge=0, le=4, description="the option's position")


class PaperVoteIn(_In):
    household: Code
    option: int = Field(ge=0, le=4)


class ReceiptOut(BaseModel):
    ballot: int
    receipt: str
    position: int
    counted: bool = Field(description="true once the ballot is counted: this choice was counted")


class AdoptIn(_In):
    first_evening: Evening


StayState = Literal["expected", "offered", "checked_in", "left", "no_show", "cancelled"]


class LiveStayOut(BaseModel):
    """A stay of a published night as it stands now (published, or given from the waiting list)."""

    request_id: int
    space: str
    kind: str
    plate: str
    household: str
    start: datetime
    end: datetime
    state: StayState
    checked_in_at: datetime | None = None
    left_at: datetime | None = None
    offer_id: int | None = None
    offer_expires_at: datetime | None = None
    charging: bool = Field(False, description="a charging session, not a parking stay")


class WaitingOut(BaseModel):
    """A request on tonight's waiting list, in the engine's order."""

    position: int
    request_id: int
    household: str
    plate: str
    arrive: str = Field(examples=["22:10"])
    depart: str = Field(examples=["07:30"])
    priority: int
    charging: bool = Field(False, description="a charging session, not a parking stay")


class LiveNightOut(BaseModel):
    evening: date
    stays: list[LiveStayOut]
    waiting: list[WaitingOut]


class GateAnswerOut(BaseModel):
    """May a car with this plate (or part of one) park tonight, where, until when."""

    query: str
    may_park: bool
    stays: list[LiveStayOut]
    waiting: list[WaitingOut]


class StayRefIn(_In):
    request_id: int = Field(ge=1, le=2**31 - 1)


class UnauthorisedIn(_In):
    plate: Annotated[Text, Field(min_length=1, max_length=20)]
    space: Annotated[Text, Field(max_length=40)] = ""
    note: Annotated[Text, Field(max_length=500)] = ""


class OfferedOut(BaseModel):
    """A freed space offered (or given) to a request on the waiting list."""

    request_id: int
    household: str
    plate: str
    space: str
    position: int


class OthersStayOut(BaseModel):
    """Another household's stay on a space, as a resident may see it: plate masked."""

    plate: str
    start: datetime
    end: datetime


class SpaceTonightOut(BaseModel):
    """What scanning a space's code says: the caller's stay there, or whose space it is."""

    space: str
    evening: date
    published: bool
    checked_in_now: bool
    mine: LiveStayOut | None
    others: list[OthersStayOut]


class OfferOut(BaseModel):
    id: int
    space: str
    state: Literal["open", "accepted", "given", "passed", "expired"]
    expires_at: datetime | None


class SweepOut(BaseModel):
    no_shows: int
    expired: int
    offered: int
