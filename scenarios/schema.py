"""The scenario file format: one night of one or several compounds, as YAML or JSON.

These pydantic models check shape and types and reject unknown keys; `scenarios.loader` then checks
what needs the whole file (unique ids, references, clock times) and `scenarios.mapping` turns the
result into the engine's dataclasses.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from engine.model import Policy

SizeName = Literal["small", "standard", "large"]
# The plan's defaults are the engine's: a file that leaves a key out gets what the engine assumes.
_ENGINE = Policy()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# Generous limits that keep every number far inside what the solvers' 64-bit arithmetic can take.
Priority = Annotated[int, Field(ge=-1000, le=1000)]
Weight = Annotated[int, Field(ge=0, le=1000)]
Metres = Annotated[float, Field(ge=-1_000_000, le=1_000_000)]


class PriorityCondition(_Strict):
    """All given conditions must hold; an empty condition matches every request."""

    has_space: bool | None = Field(None, description="the household rents a marked space")
    tags_any: list[str] = Field(
        default_factory=list, description="the household has at least one of these tags"
    )
    first_car: bool | None = Field(
        None, description="the request is the household's first of the night (file order)"
    )


class PriorityRuleModel(_Strict):
    label: str = Field("", description="shown to residents, e.g. 'households without a space'")
    label_zh: str = Field("", max_length=80, description="the same in Chinese, e.g. '无车位住户'")
    priority: Priority
    when: PriorityCondition = Field(default_factory=PriorityCondition)


class FairnessModel(_Strict):
    window_nights: int = Field(
        _ENGINE.fairness_window_nights,
        ge=0,
        le=3650,
        description="refusals older than this many nights are forgotten",
    )
    weight: Weight = Field(
        _ENGINE.fairness_weight,
        description="points per refused night; 0 turns the fairness term off",
    )
    no_show_forfeit_nights: int = Field(
        _ENGINE.no_show_forfeit_nights,
        ge=0,
        le=3650,
        description="refused nights of credit one no-show within the window takes away; 0: none",
    )


class NoShowModel(_Strict):
    """How a published night meets the cars that do not come (the service applies it; the
    fairness cost of a no-show is `fairness.no_show_forfeit_nights`)."""

    after_minutes: int | None = Field(
        None,
        ge=1,
        le=720,
        description=(
            "minutes after its arrival time a car given a space that has not checked in counts "
            "as a no-show and its space goes to the waiting list; absent: never (compounds "
            "that print no check-in codes)"
        ),
    )
    offer_minutes: int = Field(
        15,
        ge=0,
        le=240,
        description=(
            "minutes a household has to accept a space offered from the waiting list before "
            "it passes on; 0: the space is given at once, without asking"
        ),
    )


class OverstayPenaltyModel(_Strict):
    nights: int = Field(
        _ENGINE.overstay_penalty_nights,
        ge=0,
        le=3650,
        description="nights the penalty lasts after an overstay; 0 turns it off",
    )
    priority: Priority = Field(
        _ENGINE.overstay_penalty_priority,
        description="the household's requests drop to at most this priority meanwhile",
    )


class PolicyModel(_Strict):
    windows: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "default availability per space kind, "
            "e.g. {rented: ['22:00-09:00'], street: ['19:00-07:00']}"
        ),
    )
    turnover_minutes: int = Field(
        _ENGINE.turnover_minutes,
        ge=0,
        le=24 * 60,
        description="minimum gap between two cars on one space",
    )
    max_walk_m: int | None = Field(
        _ENGINE.max_walk_m,
        ge=0,
        le=100_000,
        description="farthest a household may be sent, straight-line metres",
    )
    priority_rules: list[PriorityRuleModel] = Field(
        default_factory=list, description="first matching rule wins"
    )
    default_priority: Priority = _ENGINE.default_priority
    household_cap: int | None = Field(
        _ENGINE.household_cap,
        ge=0,
        le=1000,
        description="most shared spaces one household may take per night (charging not counted)",
    )
    charging_cap: int | None = Field(
        _ENGINE.charging_cap,
        ge=0,
        le=1000,
        description="most charging sessions one household may book per night",
    )
    charging_only_kinds: list[str] = Field(
        default_factory=list,
        description="kinds of space kept for charging sessions, e.g. [charger]",
    )
    fairness: FairnessModel = Field(default_factory=FairnessModel)
    walk_weight: Weight = Field(_ENGINE.walk_weight, description="0 turns the walking term off")
    stability_weight: Weight = Field(
        _ENGINE.stability_weight, description="0 turns the same-space-as-last-night term off"
    )
    overstay_penalty: OverstayPenaltyModel = Field(default_factory=OverstayPenaltyModel)
    no_show: NoShowModel = Field(default_factory=NoShowModel)


class ChargerModel(_Strict):
    """A charge point on the space: residents book it for a charging session, several a night."""

    socket: Literal["ev", "ebike"] = Field(
        "ev", description="ev: a car charger (feature ev_charger); ebike: an e-bike socket"
    )
    power_kw: float = Field(
        gt=0,
        le=400,
        description="its power; from 22 kW it also has the feature fast_charger",
    )


class SpaceModel(_Strict):
    id: str = Field(min_length=1)
    kind: str = Field(min_length=1, description="a label: rented, street, community, visitor, ...")
    size: SizeName = "standard"
    features: list[str] = Field(
        default_factory=list, description="e.g. ev_charger, accessible, covered"
    )
    charger: ChargerModel | None = Field(
        None, description="a charge point: its socket and power give the space its features"
    )
    x: Metres = Field(description="metres east on the site plan")
    y: Metres = Field(description="metres north on the site plan")
    windows: list[str] | None = Field(
        None, description="overrides the policy's windows for this kind"
    )
    renter: str | None = Field(None, description="household renting this space monthly")
    released: bool = Field(
        False, description="the renter leaves it free tonight (only then is it shared)"
    )
    compounds: list[str] = Field(
        default_factory=list,
        description=(
            "compounds whose residents may use it (a street may serve several); absent: all"
        ),
    )


class CarModel(_Strict):
    plate: str = Field(min_length=1)
    size: SizeName = "standard"
    needs: list[str] = Field(
        default_factory=list, description="features its space must have, e.g. ev_charger"
    )


class HouseholdModel(_Strict):
    id: str = Field(min_length=1, description="e.g. 12-302 (building-flat)")
    x: Metres
    y: Metres
    tags: list[str] = Field(
        default_factory=list, description="e.g. elderly, disabled, new_resident"
    )
    has_space: bool | None = Field(
        None, description="absent: true when the household rents a space in this file"
    )
    compound: str | None = None
    cars: list[CarModel] = Field(
        default_factory=list,
        description=(
            "the household's cars, first those parked on its own rented spaces; "
            "the simulator draws the others' nightly requests"
        ),
    )


class RequestModel(_Strict):
    id: str = Field(min_length=1)
    household: str
    plate: str = ""
    arrive: str = Field(
        description="'HH:MM' (before day_start means the next morning) or an ISO date-time"
    )
    depart: str
    size: SizeName = "standard"
    needs: list[str] = Field(default_factory=list, description="features the space must have")
    priority: Priority | None = Field(
        None, description="absent: the policy's priority rules decide; higher is served first"
    )
    charging: bool = Field(
        False,
        description="a charging session: counts towards charging_cap, may use charging-only kinds",
    )


class HistoryModel(_Strict):
    household: str
    refused: list[date] = Field(
        default_factory=list, description="recent nights this household was refused"
    )
    last_space: str | None = Field(None, description="the space it had last night")
    overstayed: list[date] = Field(
        default_factory=list, description="recent nights its car stayed after the window closed"
    )
    no_shows: list[date] = Field(
        default_factory=list, description="recent nights its car was given a space and never came"
    )


class PinModel(_Strict):
    request: str
    space: str
    action: Literal["force", "forbid"]
    reason: str = ""


Share = Annotated[float, Field(ge=0.0, le=1.0)]


class DemandSection(_Strict):
    """How residents behave night by night, for `parking simulate`; absent values: defaults."""

    need_share_without_space: Share = Field(
        0.9, description="share of nights a car of a household without a space needs one"
    )
    need_share_second_car: Share = Field(0.8, description="the same for a renter's second car")
    weekday_factor: list[Annotated[float, Field(ge=0.0, le=10.0)]] | None = Field(
        None,
        min_length=7,
        max_length=7,
        description="Monday..Sunday evenings, multiplies the need shares; absent: calibrated",
    )
    habit_share: Share | None = Field(
        None, description="chance a car keeps its habitual times; absent: calibrated"
    )
    renter_away_share: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.125, description="share of nights a renter is away and releases the space"
    )
    away_spell_nights: Annotated[float, Field(ge=1.0, le=365.0)] = Field(
        2.0, description="mean length of a renter's spell away"
    )
    plan_aware_share: Share = Field(
        0.9, description="residents who ask only for the hours the plan's spaces offer"
    )
    overstay_share: Share = Field(
        0.05, description="share of served cars that leave later than they asked"
    )
    overstay_mean_minutes: Annotated[float, Field(gt=0.0, le=24 * 60)] = Field(
        30.0, description="how late, on average"
    )
    renter_return_within_minutes: int = Field(
        180,
        ge=0,
        le=24 * 60,
        description="a returning renter arrives up to this long after the window ends",
    )
    no_show_share: Share = Field(
        0.0,
        description=(
            "share of cars given a space that do not come that night (no-shows); "
            "`parking simulate --no-show-share` overrides it"
        ),
    )

    @model_validator(mode="after")
    def _spells_can_be_that_common(self) -> DemandSection:
        # Away on a share s of nights in spells of mean length L needs s / (1 - s) / L <= 1.
        if self.renter_away_share / (1 - self.renter_away_share) / self.away_spell_nights > 1:
            raise ValueError(
                f"renter_away_share {self.renter_away_share} cannot be reached "
                f"with spells of {self.away_spell_nights} nights; "
                "lower it or lengthen away_spell_nights"
            )
        return self


class ScenarioFile(_Strict):
    """One night: the plan, the spaces, the households and tonight's requests."""

    name: str = Field(min_length=1)
    night: date = Field(description="the evening's date")
    day_start: str = Field(
        "12:00", description="clock times before this belong to the next morning"
    )
    policy: PolicyModel = Field(default_factory=PolicyModel)
    spaces: list[SpaceModel]
    households: list[HouseholdModel]
    requests: list[RequestModel] = Field(default_factory=list)
    history: list[HistoryModel] = Field(default_factory=list)
    pins: list[PinModel] = Field(default_factory=list)
    demand: DemandSection = Field(
        default_factory=DemandSection,
        description="residents' behaviour, read only by `parking simulate`",
    )


class PoolModel(_Strict):
    spaces: int | None = Field(
        None,
        ge=0,
        le=100_000,
        description=(
            "spaces of this kind under the plan (absent: as the site has); "
            "extra ones copy the site's"
        ),
    )
    shared: bool = Field(True, description="false: this kind is not shared at all under the plan")


class PlanFile(_Strict):
    """A plan to compare in `parking simulate`: a policy and which pools of spaces it shares."""

    name: str = Field(min_length=1, max_length=80)
    name_zh: str = Field("", max_length=80)
    summary: str = Field(
        "", max_length=2000, description="one paragraph for the report, in English"
    )
    summary_zh: str = Field("", max_length=2000, description="the same in Chinese")
    policy: PolicyModel
    pools: dict[str, PoolModel] = Field(
        default_factory=dict, description="per space kind, e.g. {street: {spaces: 60}}"
    )


# Stored and printed as "2026-11-24T22:10", as every result written so far.
Moment = Annotated[datetime, PlainSerializer(lambda moment: moment.isoformat(timespec="minutes"))]
ByLevel = dict[str, int]


class AssignmentRecord(_Strict):
    """A served request: its space and hours (local date-times) and the walk from its building."""

    request: str
    household: str
    space: str
    kind: str
    start: Moment
    end: Moment
    walk_m: int
    priority: int | None = Field(
        None, description="the request's priority level (absent in older results)"
    )


class NearestRecord(_Strict):
    """For a stay no space takes: the nearest stay that one of its night's spaces would take."""

    kind: str
    arrive: Moment
    depart: Moment


class RefusalRecord(_Strict):
    """A refused request: its reason code and the engine's sentence (also in Chinese, where
    stored)."""

    request: str
    reason: Literal["no_space_fits", "all_fitting_spaces_taken", "household_cap", "not_allocated"]
    message: str
    message_zh: str | None = Field(
        None, description="the sentence in Simplified Chinese (the service adds it)"
    )
    priority: int | None = Field(
        None, description="the request's priority level (absent in older results)"
    )
    arrive: Moment | None = Field(None, description="the stay asked for (absent in older results)")
    depart: Moment | None = None
    nearest: NearestRecord | None = Field(
        None, description="no_space_fits: the nearest stay some space of the night takes (service)"
    )


class ObjectiveRecord(_Strict):
    served_by_priority: ByLevel
    fairness_points: int
    rotation_points: int
    walk_m: int
    same_space_as_last_night: int


class ResultFile(_Strict):
    """A night's allocation as `parking allocate --format json` writes it and the service stores it.

    Keys as documented in the README ("The JSON result"); levels are keys as strings, highest first.
    """

    scenario: str
    night: date
    status: Literal["optimal", "feasible", "infeasible"]
    proven_optimal: bool
    method: str
    message: str
    served_by_priority: ByLevel
    bound_by_priority: ByLevel
    refused_by_priority: ByLevel
    objective: ObjectiveRecord
    assignments: list[AssignmentRecord]
    unassigned: list[RefusalRecord]
    solve_seconds: float
    stats: dict[str, float | int | str]

    def assignment_of(self, request: str) -> AssignmentRecord | None:
        return next((a for a in self.assignments if a.request == request), None)

    def refusal_of(self, request: str) -> RefusalRecord | None:
        return next((u for u in self.unassigned if u.request == request), None)
