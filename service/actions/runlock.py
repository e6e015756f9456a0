"""One run of a night at a time, with a lock that dies with its holder.

PostgreSQL: a session advisory lock on a connection of the run's own, which the server releases
when the connection ends (a crash, kill -9). SQLite: an exclusive `flock` on a file beside the
database, which the kernel releases when the process ends. So a rerun can start at once after a
crash, and anyone can tell a live run from the trace of a dead one (`Night.running_since` left
set) by trying the lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

# The first key of PostgreSQL's two-key advisory locks: this project's runs (the second is the
# night's id). Any fixed number no other program on the server uses.
_RUNS = 0x5041524B  # "PARK"

# Databases without a file (sqlite://): runs of one process exclude each other in memory.
_in_memory: dict[int, threading.Lock] = {}
_in_memory_guard = threading.Lock()


def _lock_file(engine: Engine, night_id: int) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    folder = Path(f"{database}-runs")
    folder.mkdir(exist_ok=True)
    return folder / f"night-{night_id}.lock"


@contextmanager
def holding(engine: Engine, night_id: int) -> Iterator[bool]:
    """Try to take the night's run lock; yield whether it was taken, and hold it until the block
    ends."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            taken = _try_advisory(connection, night_id)
            try:
                yield taken
            finally:
                if taken:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:runs, :night)"),
                        {"runs": _RUNS, "night": night_id},
                    )
                    connection.commit()
        return
    path = _lock_file(engine, night_id)
    if path is None:
        with _in_memory_guard:
            lock = _in_memory.setdefault(night_id, threading.Lock())
        taken = lock.acquire(blocking=False)
        try:
            yield taken
        finally:
            if taken:
                lock.release()
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            taken = True
        except BlockingIOError:
            taken = False
        yield taken
    finally:
        # Closing the descriptor releases the lock (as the end of the process would).
        os.close(descriptor)


def _try_advisory(connection: Connection, night_id: int) -> bool:
    taken = connection.execute(
        text("SELECT pg_try_advisory_lock(:runs, :night)"), {"runs": _RUNS, "night": night_id}
    ).scalar_one()
    connection.commit()
    return bool(taken)


def is_running(connection: Connection, night_id: int) -> bool:
    """A run of the night holds its lock right now (a dead run's lock is free).

    PostgreSQL answers from `pg_locks` on the caller's own connection, without touching the lock.
    With SQLite the file is tried for a shared lock, at once released: a run starting at that
    instant would find it busy, a window of microseconds.
    """
    if connection.dialect.name == "postgresql":
        held = connection.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = :runs AND objid = :night AND objsubid = 2 AND granted)"
            ),
            {"runs": _RUNS, "night": night_id},
        ).scalar_one()
        return bool(held)
    path = _lock_file(connection.engine, night_id)
    if path is None:
        lock = _in_memory.get(night_id)
        return lock is not None and lock.locked()
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False
