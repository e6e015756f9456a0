"""Work done in the background by the service's one worker thread (`app.state.jobs`): household
imports and ballots' simulations. A job is a row that staff follow: queued, running (done of
total), done or failed with a sentence; a job whose progress stopped moving lost its worker (the
service restarted) and reads as failed.

The routes start a job in the request's transaction (`new_job`) and hand its id to the worker,
which marks it running (`take`), reports progress (`Progress`), stores what it made and marks it
done in its last transaction (`finish`), all under `failing`, which records a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from service.actions.errors import DomainError
from service.models import Account, Compound, Job, as_utc

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# A running job whose progress has not moved for this long has lost its worker (a restart).
STALLED_AFTER = timedelta(minutes=2)
# Progress is written at most this often, so that staff see it move without a write per step.
PROGRESS_EVERY = timedelta(seconds=1)

Clock = Callable[[], datetime]


def new_job(
    session: Session,
    *,
    compound: Compound,
    account: Account | None,
    kind: str,
    label: str,
    total: int,
    payload: Any,
    now: datetime,
) -> Job:
    """A queued job, added to the caller's transaction (flushed: it has its id)."""
    job = Job(
        compound_id=compound.id,
        account_id=account.id if account else None,
        kind=kind,
        label=label[:200],
        state=QUEUED,
        total=total,
        done=0,
        payload=payload,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    return job


def take(sessions: sessionmaker[Session], job_id: int, clock: Clock) -> Any | None:
    """Mark a queued job running and give its payload; None when it is not queued any more."""
    with sessions.begin() as session:
        job = session.get_one(Job, job_id)
        if job.state != QUEUED:
            return None
        job.state, job.updated_at = RUNNING, clock()
        return job.payload


class Progress:
    """Reports how far a job is: `progress(done)` writes it at most every PROGRESS_EVERY."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, clock: Clock) -> None:
        self.sessions, self.job_id, self.clock = sessions, job_id, clock
        self.written: datetime | None = None

    def __call__(self, done: int) -> None:
        now = self.clock()
        if self.written is not None and now - self.written < PROGRESS_EVERY:
            return
        self.written = now
        with self.sessions.begin() as session:
            job = session.get_one(Job, self.job_id)
            job.done, job.updated_at = done, now


def finish(session: Session, job_id: int, clock: Clock, output: list[Any] | None = None) -> Job:
    """Mark the job done in the caller's (last) transaction, with what it made."""
    job = session.get_one(Job, job_id)
    job.state, job.done, job.payload, job.output = DONE, job.total, None, output
    job.updated_at = clock()
    return job


@contextmanager
def failing(
    sessions: sessionmaker[Session], job_id: int, clock: Clock, what: str
) -> Iterator[None]:
    """Record a failure of the block as the job's: a refusal's sentence, or "the <what> failed"
    for anything else (which is raised again, for the log)."""
    try:
        yield
    except Exception as error:
        with sessions.begin() as session:
            job = session.get_one(Job, job_id)
            message = error.message if isinstance(error, DomainError) else f"the {what} failed"
            job.state, job.error, job.payload, job.updated_at = FAILED, message, None, clock()
        if not isinstance(error, DomainError):
            raise


def looked_at(job: Job, now: datetime) -> Job:
    """The job as staff should read it: one that stopped moving has failed (the caller commits)."""
    if job.state in (QUEUED, RUNNING) and now - as_utc(job.updated_at) > STALLED_AFTER:
        job.state, job.error, job.payload = FAILED, "the service stopped during the job", None
    return job
