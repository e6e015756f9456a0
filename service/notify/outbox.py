"""The outbox: notifications written in the same transaction as the event that causes them, one
named function per event, each with an idempotency key so that writing one event twice adds
nothing. Each notification gets one delivery row per channel the household chose (e-mail, the
compound's webhook); the worker (`service.notify.worker`) sends them. The inbox is the
notifications themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scenarios.schema import AssignmentRecord, RefusalRecord, ResultFile, ScenarioFile
from service.actions.policies import plan_in_force
from service.models import Compound, Delivery, DeliveryState, Household, Notification
from service.security import masked_plate
from service.words import sentence

REMINDER_MINUTES = 30
"""The leave-by reminder's lead, unless the caller gives another (`PARKING_REMINDER_MINUTES`)."""


@dataclass
class Outbox:
    """Notifications gathered for one event, written together by `write`."""

    compound_id: str
    now: datetime
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        *,
        key: str,
        household_id: int | None,
        kind: str,
        params: dict[str, Any],
        due_at: datetime | None = None,
    ) -> None:
        self.rows.append(
            {
                "key": key,
                "compound_id": self.compound_id,
                "household_id": household_id,
                "kind": kind,
                "params": params,
                "created_at": self.now,
                "due_at": due_at or self.now,
            }
        )


def write(session: Session, outbox: Outbox) -> int:
    """Store the outbox's notifications and their deliveries in the caller's transaction; a key
    already stored is left as it is. Returns how many notifications were new."""
    if not outbox.rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added: dict[str, int] = {}
    # In slices: a statement's parameters are bounded (SQLite: 32,766).
    for start in range(0, len(outbox.rows), 2000):
        chunk = outbox.rows[start : start + 2000]
        statement = (
            insert(Notification)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Notification.id, Notification.key)
        )
        added.update({key: id_ for id_, key in session.execute(statement, chunk)})
    households = {r["household_id"] for r in outbox.rows if r["key"] in added}
    choices = {
        h.id: h
        for h in session.scalars(select(Household).where(Household.id.in_(households - {None})))
    }
    deliveries = []
    for row in outbox.rows:
        if row["key"] not in added:
            continue
        household = choices.get(row["household_id"])
        channels = (
            ["webhook"]  # the staff's: the compound's bridge
            if row["household_id"] is None
            else [
                channel
                for channel, chosen in (
                    ("email", household is not None and household.notify_email),
                    ("webhook", household is not None and household.notify_webhook),
                )
                if chosen
            ]
        )
        deliveries += [
            {
                "notification_id": added[row["key"]],
                "compound_id": outbox.compound_id,
                "channel": channel,
                "state": DeliveryState.PENDING.value,
                "attempts": 0,
                "next_attempt_at": row["due_at"],
            }
            for channel in channels
        ]
    for start in range(0, len(deliveries), 2000):
        session.execute(insert(Delivery), deliveries[start : start + 2000])
    return len(added)


def _hours(start: datetime, end: datetime) -> tuple[str, str]:
    return f"{start:%H:%M}", f"{end:%H:%M}"


def _reason(refusal: RefusalRecord | None) -> list[str]:
    """The engine's sentence for a refusal, [zh, en]."""
    if refusal is None:
        return ["", ""]
    return [
        sentence(refusal.message_zh or refusal.message, "zh"),
        sentence(refusal.message, "en"),
    ]


def _served(
    outbox: Outbox,
    run_id: int,
    night_id: int,
    evening: date,
    household_id: int,
    assignment: AssignmentRecord,
    plate: str,
    reminder_minutes: int,
    zone: ZoneInfo,
    *,
    kind: str = "served",
    before: str | None = None,
) -> None:
    arrive, depart = _hours(assignment.start, assignment.end)
    params = {
        "evening": evening.isoformat(),
        "plate": plate,
        "space": assignment.space,
        "kind": assignment.kind,
        "arrive": arrive,
        "depart": depart,
    } | ({"before": before} if before else {})
    outbox.add(
        key=f"{kind}:{run_id}:{assignment.request}",
        household_id=household_id,
        kind=kind,
        params=params,
    )
    if reminder_minutes:
        # Stored results hold the compound's local times; the database holds UTC.
        ends = assignment.end.replace(tzinfo=zone).astimezone(UTC)
        outbox.add(
            # One per request and night: a re-optimisation withdraws it and writes it anew.
            key=f"leave_by:{night_id}:{assignment.request}",
            household_id=household_id,
            kind="leave_by",
            params=params | {"ends_at": ends.isoformat()},
            due_at=ends - timedelta(minutes=reminder_minutes),
        )


def _space_used(
    outbox: Outbox,
    run_id: int,
    evening: date,
    renters: dict[str, int],
    assignment: AssignmentRecord,
    plate: str,
) -> None:
    renter = renters.get(assignment.space)
    if renter is None:
        return
    arrive, depart = _hours(assignment.start, assignment.end)
    outbox.add(
        key=f"space_used:{run_id}:{assignment.request}",
        household_id=renter,
        kind="space_used",
        params={
            "evening": evening.isoformat(),
            "space": assignment.space,
            "plate": masked_plate(plate),
            "arrive": arrive,
            "depart": depart,
        },
    )


def _refused(
    outbox: Outbox,
    night_id: int,
    evening: date,
    household_id: int,
    refusal: RefusalRecord,
    plate: str,
    kind: str = "refused",
) -> None:
    nearest = refusal.nearest
    outbox.add(
        # Once per request and night: a re-publication tells only those not told yet.
        key=f"refused:{night_id}:{refusal.request}",
        household_id=household_id,
        kind=kind,
        params={"evening": evening.isoformat(), "plate": plate, "reason": _reason(refusal)}
        | (
            {"suggested_hours": f"{nearest.arrive:%H:%M}–{nearest.depart:%H:%M}"}
            if nearest is not None
            else {}
        ),
    )


def night_published(
    session: Session,
    *,
    compound: Compound,
    night_id: int,
    evening: date,
    scenario: ScenarioFile,
    result: ResultFile,
    run_id: int,
    before: ResultFile | None,
    now: datetime,
    reminder_minutes: int = REMINDER_MINUTES,
) -> int:
    """The night is published. First time: every served car's space (and a leave-by reminder),
    every refused car's reason (and, for hours no space takes, the nearest that some space
    would), each renter whose released space is used. Again after a re-optimisation: who is
    moved, newly served, no longer served or newly refused; the reminders of changed stays are
    withdrawn and written anew."""
    households = dict(
        session.execute(
            select(Household.code, Household.id).where(Household.compound_id == compound.id)
        ).all()
    )
    plates = {r.id: r.plate for r in scenario.requests}
    owners = {r.id: r.household for r in scenario.requests}
    charging = {r.id for r in scenario.requests if r.charging}
    renters = {
        s.id: households[s.renter]
        for s in scenario.spaces
        if s.renter is not None and s.released and s.renter in households
    }
    refusals = {u.request: u for u in result.unassigned}
    zone = ZoneInfo(compound.timezone)
    outbox = Outbox(compound.id, now)
    old = {a.request: a for a in before.assignments} if before is not None else {}
    changed = []
    for a in result.assignments:
        was = old.get(a.request)
        if was is not None and (was.space, was.start, was.end) == (a.space, a.start, a.end):
            continue
        changed.append(a.request)
        moved = was is not None and was.space != a.space
        _served(
            outbox,
            run_id,
            night_id,
            evening,
            households[a.household],
            a,
            plates[a.request],
            reminder_minutes,
            zone,
            kind="moved" if moved else "charging_served" if a.request in charging else "served",
            before=was.space if moved and was is not None else None,
        )
        _space_used(outbox, run_id, evening, renters, a, plates[a.request])
    for request in sorted(old.keys() - {a.request for a in result.assignments}):
        changed.append(request)
        outbox.add(
            key=f"no_longer_served:{run_id}:{request}",
            household_id=households[old[request].household],
            kind="no_longer_served",
            params={
                "evening": evening.isoformat(),
                "plate": plates.get(request, ""),
                "space": old[request].space,
                "reason": _reason(refusals.get(request)),
            },
        )
    for refusal in result.unassigned:
        if refusal.request not in old:  # the no longer served were told just above
            _refused(
                outbox,
                night_id,
                evening,
                households[owners[refusal.request]],
                refusal,
                plates[refusal.request],
                "charging_refused" if refusal.request in charging else "refused",
            )
    if before is not None and changed:
        _withdraw(session, [f"leave_by:{night_id}:{request}" for request in changed], now)
    return write(session, outbox)


def _withdraw(session: Session, keys: Iterable[str], now: datetime) -> None:
    """Remove notifications not yet due (and their deliveries): a reminder for a stay that
    changed."""
    for chunk_start in range(0, len(keys := list(keys)), 2000):
        chunk = keys[chunk_start : chunk_start + 2000]
        ids = list(
            session.scalars(
                select(Notification.id).where(
                    Notification.key.in_(chunk), Notification.due_at > now
                )
            )
        )
        if ids:
            session.execute(delete(Delivery).where(Delivery.notification_id.in_(ids)))
            session.execute(delete(Notification).where(Notification.id.in_(ids)))


def overstays_recorded(
    session: Session,
    *,
    compound: Compound,
    night_id: int,
    evening: date,
    spaces_by_household: dict[str, list[str]],
    now: datetime,
) -> int:
    """The morning round recorded these households' overstays: each is told, with the penalty."""
    plan = plan_in_force(session, compound, evening)  # the plan in use that night
    households = dict(
        session.execute(
            select(Household.code, Household.id).where(
                Household.compound_id == compound.id,
                Household.code.in_(list(spaces_by_household)),
            )
        ).all()
    )
    outbox = Outbox(compound.id, now)
    for code, spaces in sorted(spaces_by_household.items()):
        outbox.add(
            key=f"overstay:{night_id}:{code}",
            household_id=households[code],
            kind="overstay",
            params={
                "evening": evening.isoformat(),
                "space": ", ".join(sorted(spaces)),
                "nights": plan.overstay_penalty.nights,
                "level": plan.overstay_penalty.priority,
            },
        )
    return write(session, outbox)


def closed_early(
    session: Session,
    *,
    compound: Compound,
    night_id: int,
    evening: date,
    household_ids: Iterable[int],
    at: datetime,
    now: datetime,
) -> int:
    """Staff ran the night before its cutoff: every household with a request that night is told
    that requests closed early (once per night)."""
    outbox = Outbox(compound.id, now)
    for household_id in sorted(set(household_ids)):
        outbox.add(
            key=f"closed_early:{night_id}:{household_id}",
            household_id=household_id,
            kind="closed_early",
            params={"evening": evening.isoformat(), "at": f"{at:%H:%M}"},
        )
    return write(session, outbox)


@dataclass(frozen=True)
class OfferNote:
    """A freed space offered (or given) to a household from the waiting list."""

    offer_id: int
    household: str
    plate: str
    space: str
    expires_at: datetime | None  # None: given at once


def no_show(
    session: Session,
    *,
    compound: Compound,
    night_id: int,
    evening: date,
    request_id: int,
    household: str,
    plate: str,
    space: str,
    now: datetime,
) -> int:
    """A car given a space did not check in in time (or staff marked it): its household is told
    the space went to the waiting list (and to ask the office if the car is there after all)."""
    household_id = session.scalar(
        select(Household.id).where(
            Household.compound_id == compound.id, Household.code == household
        )
    )
    outbox = Outbox(compound.id, now)
    outbox.add(
        key=f"no_show:{night_id}:{request_id}",
        household_id=household_id,
        kind="no_show",
        params={"evening": evening.isoformat(), "plate": plate, "space": space},
    )
    return write(session, outbox)


def spaces_offered(
    session: Session,
    *,
    compound: Compound,
    night_id: int,
    evening: date,
    offers: list[OfferNote],
    now: datetime,
) -> int:
    """Each household on the waiting list that a freed space went to is told at once: to answer
    by when, or that the space is theirs."""
    households = dict(
        session.execute(
            select(Household.code, Household.id).where(
                Household.compound_id == compound.id,
                Household.code.in_([o.household for o in offers]),
            )
        ).all()
    )
    zone = ZoneInfo(compound.timezone)
    outbox = Outbox(compound.id, now)
    for offer in offers:
        outbox.add(
            key=f"offer:{night_id}:{offer.offer_id}",
            household_id=households[offer.household],
            kind="space_offered" if offer.expires_at else "space_given",
            params={
                "evening": evening.isoformat(),
                "plate": offer.plate,
                "space": offer.space,
            }
            | ({"until": f"{offer.expires_at.astimezone(zone):%H:%M}"} if offer.expires_at else {}),
        )
    return write(session, outbox)


def message(
    session: Session,
    *,
    compound: Compound,
    household_ids: Iterable[int],
    text: str,
    key: str,
    evening: date | None,
    now: datetime,
) -> int:
    """Staff's message to households; `key` (one per message sent) keeps a retried send single."""
    outbox = Outbox(compound.id, now)
    for household_id in sorted(set(household_ids)):
        outbox.add(
            key=f"message:{key}:{household_id}",
            household_id=household_id,
            kind="message",
            params={"text": text} | ({"evening": evening.isoformat()} if evening else {}),
        )
    return write(session, outbox)


def space_reported(
    session: Session,
    *,
    compound: Compound,
    report_id: int,
    evening: date,
    household: str,
    space: str,
    plate: str,
    stay: str,
    note: str,
    phone: str | None,
    now: datetime,
) -> int:
    """A resident reports their space taken: the compound's staff are told at once (the phone
    goes to staff only: their inbox and the compound's own webhook)."""
    outbox = Outbox(compound.id, now)
    outbox.add(
        key=f"space_reported:{report_id}",
        household_id=None,
        kind="space_reported",
        params={
            "evening": evening.isoformat(),
            "household": household,
            "space": space,
            "plate": plate,
            "stay": stay,
            "note": note,
            "phone": phone or "",
        },
    )
    return write(session, outbox)


def ballot_posted(
    session: Session,
    *,
    compound: Compound,
    ballot_id: int,
    question: str,
    household_ids: Iterable[int],
    decision: list[str] | None,
    now: datetime,
) -> int:
    """A ballot is counted and its result posted: every household on its roll is told, with the
    decision ([zh, en] label of the option that passed) or that none passed."""
    outbox = Outbox(compound.id, now)
    for household_id in sorted(set(household_ids)):
        outbox.add(
            key=f"ballot:{ballot_id}:{household_id}",
            household_id=household_id,
            kind="ballot_posted" if decision else "ballot_posted_none",
            params={"ballot": ballot_id, "question": question}
            | ({"decision": decision} if decision else {}),
        )
    return write(session, outbox)
