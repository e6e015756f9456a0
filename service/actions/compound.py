"""Staff's compound: its spaces, its households and their activation codes (one by one or from a
CSV file)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from scenarios.mapping import window_from_text
from service import security
from service.actions import accounts, audit, jobs
from service.actions.calendar import ANY_EVENING, current_evening
from service.actions.errors import (
    Conflict,
    FieldProblem,
    InvalidField,
    InvalidInput,
    NotFound,
)
from service.actions.nights import hold_compound
from service.actions.policies import plans_from, policy_in_force
from service.compounds import issue_activation, resident_account
from service.models import (
    Account,
    Compound,
    Household,
    Job,
    Release,
    Space,
)
from service.ordering import natural_key
from service.schemas import (
    CompoundOut,
    HouseholdChangeIn,
    HouseholdCreatedOut,
    HouseholdIn,
    HouseholdListOut,
    ImportJobOut,
    SpaceChangeIn,
    SpaceIn,
    SpaceOut,
)

CSV_FIELDS = ("code", "x", "y", "tags", "has_space", "floor_area")

Coded = TypeVar("Coded", Household, Space)


def read_compound(*, session: Session, compound: Compound, now: datetime) -> CompoundOut:
    """The compound, with the plan in force for the night under way."""

    def count(model: type[Household] | type[Space]) -> int:
        query = select(func.count()).select_from(model).where(model.compound_id == compound.id)
        return session.scalar(query) or 0

    return CompoundOut(
        id=compound.id,
        name=compound.name,
        timezone=compound.timezone,
        cutoff=compound.cutoff,
        policy=policy_in_force(session, compound, current_evening(compound.timezone, now)),
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
        renter=renters.get(space.renter_id) if space.renter_id is not None else None,
    )


def list_spaces(*, session: Session, compound: Compound) -> list[SpaceOut]:
    households = select(Household.id, Household.code).where(Household.compound_id == compound.id)
    renters = dict(session.execute(households).all())
    spaces = session.scalars(select(Space).where(Space.compound_id == compound.id))
    # In reading order (1-103 before 10-102): SQL's ORDER BY would compare the codes as text.
    return [_space_out(s, renters) for s in sorted(spaces, key=lambda s: natural_key(s.code))]


def read_space(*, session: Session, compound: Compound, code: str) -> SpaceOut:
    space = _by_code(session, Space, compound, code)
    if space is None:
        raise NotFound("no_such_space", f"no space {code!r}")
    renter = session.get(Household, space.renter_id) if space.renter_id else None
    return _space_out(space, {renter.id: renter.code} if renter else {})


def _by_code(session: Session, model: type[Coded], compound: Compound, code: str) -> Coded | None:
    return session.scalar(select(model).where(model.compound_id == compound.id, model.code == code))


def _checked_space(
    session: Session,
    compound: Compound,
    kind: str,
    windows: list[str] | None,
    renter_code: str | None,
    now: datetime,
) -> Household | None:
    """The renter (if any), once the space's hours and renter are known to be usable (a space
    without hours of its own takes its kind's from every plan in force from tonight on)."""
    renter = None
    if renter_code is not None:
        renter = _by_code(session, Household, compound, renter_code)
        if renter is None:
            raise InvalidField("renter", f"no household {renter_code!r} in this compound")
    for i, text in enumerate(windows or ()):
        try:
            window_from_text(text, ANY_EVENING)
        except ValueError as error:
            raise InvalidField(f"windows[{i}]", str(error)) from None
    plans = plans_from(session, compound, current_evening(compound.timezone, now))
    if windows is None and any(kind not in plan.windows for plan in plans):
        raise InvalidField(
            "windows", f"the plan gives no hours for {kind!r} spaces; give this space its windows"
        )
    return renter


def create_space(
    *, session: Session, compound: Compound, body: SpaceIn, account: Account, now: datetime
) -> SpaceOut:
    hold_compound(session, compound)
    if _by_code(session, Space, compound, body.code) is not None:
        raise Conflict("space_exists", f"space {body.code} already exists")
    renter = _checked_space(session, compound, body.kind, body.windows, body.renter, now)
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
    audit.record(
        session, **audit.by(compound, account, now), action="create space", space=body.code
    )
    session.commit()
    return _space_out(space, {renter.id: renter.code} if renter else {})


def _not_null(given: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if name in given and given[name] is None:
            raise InvalidField(name, "must not be null")


def change_space(
    *,
    session: Session,
    compound: Compound,
    space_code: str,
    body: SpaceChangeIn,
    account: Account,
    now: datetime,
) -> SpaceOut:
    """Change a space; only the fields sent change. Nights already run keep their snapshot."""
    # A night's run reads the spaces and their releases at once: hold the compound meanwhile.
    hold_compound(session, compound)
    space = _by_code(session, Space, compound, space_code)
    if space is None:
        raise NotFound("no_such_space", f"no space {space_code!r}")
    given = body.model_dump(exclude_unset=True)
    _not_null(given, ("kind", "size", "features", "x", "y"))
    current = session.get(Household, space.renter_id) if space.renter_id else None
    renter_code: str | None = given.get("renter", current.code if current else None)
    renter = _checked_space(
        session,
        compound,
        given.get("kind", space.kind),
        given.get("windows", space.windows),
        renter_code,
        now,
    )
    for name in ("kind", "size", "features", "x", "y", "windows"):
        if name in given:
            setattr(space, name, given[name])
    if (renter.id if renter else None) != space.renter_id:
        # Releases were the old renter's to give; they end with the rental.
        for release in session.scalars(select(Release).where(Release.space_id == space.id)):
            session.delete(release)
    space.renter_id = renter.id if renter else None
    audit.record(
        session,
        **audit.by(compound, account, now),
        action="change space",
        space=space_code,
        fields=sorted(given),
    )
    session.commit()
    return _space_out(space, {renter.id: renter.code} if renter else {})


def _is_activated(session: Session, household: Household) -> bool:
    password = select(Account.password_hash).where(Account.household_id == household.id)
    return session.scalar(password) is not None


def _household_out(household: Household, activated: bool) -> HouseholdListOut:
    return HouseholdListOut(
        code=household.code,
        x=household.x,
        y=household.y,
        tags=household.tags,
        has_space=household.has_space,
        floor_area=household.floor_area,
        activated=activated,
    )


def change_household(
    *,
    session: Session,
    compound: Compound,
    household_code: str,
    body: HouseholdChangeIn,
    account: Account,
    now: datetime,
) -> HouseholdListOut:
    """Change a household; only the fields sent change."""
    household = _household(session, compound, household_code)
    given = body.model_dump(exclude_unset=True)
    _not_null(given, [name for name in given if name != "floor_area"])
    for name, value in given.items():
        setattr(household, name, value)
    audit.record(
        session,
        **audit.by(compound, account, now),
        action="change household",
        household=household_code,
        fields=sorted(given),
    )
    session.commit()
    return _household_out(household, _is_activated(session, household))


def _household(session: Session, compound: Compound, code: str) -> Household:
    household = _by_code(session, Household, compound, code)
    if household is None:
        raise NotFound("no_such_household", f"no household {code!r}")
    return household


def list_households(*, session: Session, compound: Compound) -> list[HouseholdListOut]:
    rows = session.execute(
        select(Household, Account.password_hash)
        .outerjoin(Account, Account.household_id == Household.id)
        .where(Household.compound_id == compound.id)
    )
    return [
        _household_out(h, password is not None)
        for h, password in sorted(rows, key=lambda row: natural_key(row[0].code))
    ]


def _created(compound: Compound, household: Household, code: str) -> HouseholdCreatedOut:
    return HouseholdCreatedOut(
        household=household.code, username=f"{compound.id}/{household.code}", activation_code=code
    )


def create_household(
    *, session: Session, compound: Compound, body: HouseholdIn, account: Account, now: datetime
) -> HouseholdCreatedOut:
    """A household and its resident account; hand the activation code to the resident."""
    if _by_code(session, Household, compound, body.code) is not None:
        raise Conflict("household_exists", f"household {body.code} already exists")
    household = _add_household(session, compound, body)
    code = issue_activation(session, household)
    audit.record(
        session, **audit.by(compound, account, now), action="create household", household=body.code
    )
    session.commit()
    return _created(compound, household, code)


def _add_household(session: Session, compound: Compound, body: HouseholdIn) -> Household:
    household = Household(
        compound_id=compound.id,
        code=body.code,
        x=body.x,
        y=body.y,
        tags=body.tags,
        has_space=body.has_space,
        floor_area=body.floor_area,
    )
    session.add(household)
    session.flush()
    return household


def new_activation_code(
    *, session: Session, compound: Compound, household_code: str, account: Account, now: datetime
) -> HouseholdCreatedOut:
    """A new one-time code for the household's resident (a lost password, a stolen phone): the
    old code, the old password and every session of the account stop working."""
    household = _household(session, compound, household_code)
    code = issue_activation(session, household)
    accounts.reset(session=session, account=resident_account(session, household))
    audit.record(
        session,
        **audit.by(compound, account, now),
        action="activation code",
        household=household_code,
    )
    session.commit()
    return _created(compound, household, code)


def _csv_text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel on Chinese Windows saves CSV in GBK, which GB18030 contains.
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput(
            [FieldProblem(("file",), "is neither UTF-8 nor GBK (GB18030) text")]
        ) from None


def _parsed_csv(session: Session, compound: Compound, content: bytes) -> list[HouseholdIn]:
    """Every row of a households CSV, validated; InvalidInput naming every bad row otherwise."""
    reader = csv.DictReader(io.StringIO(_csv_text(content)))
    missing = [name for name in ("code", "x", "y") if name not in (reader.fieldnames or ())]
    if missing:
        raise InvalidInput(
            [
                FieldProblem(
                    ("file", "header"),
                    f"missing columns {', '.join(missing)} (expected {', '.join(CSV_FIELDS)})",
                )
            ]
        )
    existing = set(
        session.scalars(select(Household.code).where(Household.compound_id == compound.id))
    )
    valid: list[HouseholdIn] = []
    problems: list[FieldProblem] = []
    for line, row in enumerate(reader, start=2):
        unknown = sorted(set(row) - set(CSV_FIELDS) - {None})
        if unknown or None in row:
            problems.append(
                FieldProblem(
                    ("file", "line", line),
                    f"unknown or extra columns {unknown or 'beyond the header'}",
                )
            )
            continue
        values: dict[str, Any] = {
            "code": (row["code"] or "").strip(),
            "x": row["x"],
            "y": row["y"],
            "tags": [t for t in (row.get("tags") or "").split(";") if t.strip()],
        }
        area = (row.get("floor_area") or "").strip()
        if area:
            values["floor_area"] = area
        has_space = (row.get("has_space") or "").strip()
        if has_space:
            # yes/no, true/false, 1/0, and as a Chinese spreadsheet says it: 是/否.
            values["has_space"] = {"是": "true", "否": "false"}.get(has_space, has_space.lower())
        try:
            household = HouseholdIn.model_validate(values)
        except ValidationError as error:
            problems.extend(
                FieldProblem(("file", "line", line, *e["loc"]), e["msg"], e["type"])
                for e in error.errors()
            )
            continue
        if household.code in existing:
            problems.append(
                FieldProblem(
                    ("file", "line", line, "code"),
                    f"household {household.code} already exists",
                    "duplicate",
                    code="household_exists",
                )
            )
            continue
        existing.add(household.code)
        valid.append(household)
    if problems:
        raise InvalidInput(problems)
    return valid


def _job_out(job: Job) -> ImportJobOut:
    return ImportJobOut(
        id=job.id,
        filename=job.label,
        state=job.state,
        done=job.done,
        total=job.total,
        error=job.error,
        created=[HouseholdCreatedOut.model_validate(c) for c in job.output or ()],
    )


IMPORT = "households"


def start_import(
    *,
    session: Session,
    compound: Compound,
    content: bytes,
    filename: str,
    account: Account,
    now: datetime,
) -> ImportJobOut:
    """Households from a CSV file (columns code, x, y, tags separated by ';', has_space,
    floor_area), each with an activation code; UTF-8, or GBK as Excel saves it on Chinese Windows.

    Every row is checked now: any bad row gives InvalidInput listing every bad row, and nothing
    is stored. A good file becomes a job (`run_import` does it, in the background: each
    activation code is hashed, then every household is stored in one transaction, all or
    nothing); `import_progress` tells how far it is and, once, the codes."""
    rows = _parsed_csv(session, compound, content)
    job = jobs.new_job(
        session,
        compound=compound,
        account=account,
        kind=IMPORT,
        label=filename,
        total=len(rows),
        payload=[row.model_dump(mode="json") for row in rows],
        now=now,
    )
    session.commit()
    return _job_out(job)


def run_import(
    *, sessions: sessionmaker[Session], job_id: int, clock: Callable[[], datetime]
) -> None:
    """Do an import job: hash the codes (the slow part, outside any write transaction), then
    store every household with its account in one transaction. Meant for the worker thread."""
    payload = jobs.take(sessions, job_id, clock)
    if payload is None:
        return
    rows = [HouseholdIn.model_validate(row) for row in payload]
    progress = jobs.Progress(sessions, job_id, clock)
    with jobs.failing(sessions, job_id, clock, "import"):
        codes: list[tuple[str, str]] = []
        for position, _ in enumerate(rows, start=1):
            code = security.new_activation_code()
            codes.append((code, security.hash_code(code)))
            progress(position)
        with sessions.begin() as session:
            job = session.get_one(Job, job_id)
            compound = session.get_one(Compound, job.compound_id)
            taken = set(
                session.scalars(select(Household.code).where(Household.compound_id == compound.id))
            ) & {row.code for row in rows}
            if taken:
                raise Conflict(
                    "household_exists",
                    f"added meanwhile, so nothing was imported: {', '.join(sorted(taken))}",
                )
            created = []
            for body, (code, digest) in zip(rows, codes, strict=True):
                household = _add_household(session, compound, body)
                resident_account(session, household).activation_hash = digest
                created.append(_created(compound, household, code).model_dump())
            audit.record(
                session,
                compound_id=compound.id,
                account_id=job.account_id,
                at=clock(),
                action="import households",
                count=len(created),
                filename=job.label,
            )
            jobs.finish(session, job_id, clock, created)


def import_progress(
    *, session: Session, compound: Compound, job_id: int, now: datetime
) -> ImportJobOut:
    """How far an import is; once it is done, the households with their activation codes, this
    one time (they are then erased: only their digests are kept)."""
    job = session.get(Job, job_id)
    if job is None or job.compound_id != compound.id or job.kind != IMPORT:
        raise NotFound("no_such_import", f"no import {job_id}")
    shown = _job_out(jobs.looked_at(job, now))
    job.output = None
    session.commit()
    return shown
