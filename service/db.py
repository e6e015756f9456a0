"""Database engine and sessions; SQLite gets WAL and foreign keys, as a file many readers share."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# As many connections as FastAPI's 40 worker threads can ask for at once, and a margin.
POOL_SIZE, POOL_OVERFLOW = 20, 30
# How long a write waits for SQLite's one writer before it fails.
BUSY_SECONDS = 30


def make_engine(url: str, sqlite_synchronous: str = "NORMAL") -> Engine:
    """An engine for `url`. SQLite: WAL, foreign keys, one writer at a time in this process, and
    `sqlite_synchronous` (NORMAL, SQLite's advice with WAL: a commit is safe when the service
    crashes or is killed, and the file never corrupts; only a power cut or an operating-system
    crash can lose the last commits. FULL syncs the disk at every commit, at half the speed)."""
    if url.startswith("sqlite"):
        # Every connection the app may hold at once, kept: opening one costs its pragmas.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_SECONDS},
            pool_size=POOL_SIZE + POOL_OVERFLOW,
            max_overflow=0,
            pool_timeout=BUSY_SECONDS,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(connection: sqlite3.Connection, _record: object) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
            cursor.close()

        _one_writer_at_a_time(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _one_writer_at_a_time(engine: Engine) -> None:
    """Let one connection of this process write to the SQLite file at a time, the others wait.

    SQLite has one writer at a time anyway; without this, the others poll for its lock with
    sleeps that grow to 100 ms, and under a rush most of the time goes to sleeping (170
    submissions/s with 32 at once, a tenth of what the file can take). A connection takes the
    gate at its first write and gives it back when its transaction ends (committed, rolled back,
    or reset as it returns to the pool, possibly on another thread). Waiting for the gate is
    bounded by the busy timeout, as waiting for SQLite's own lock is.
    """
    gate = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _before_writing(
        connection: Connection, _cursor: object, statement: str, *_: object
    ) -> None:
        info = connection.connection.info
        if "holds_write_gate" in info or not statement.lstrip().upper().startswith(_WRITES):
            return
        if not gate.acquire(timeout=BUSY_SECONDS):
            raise TimeoutError(f"no write to the database for {BUSY_SECONDS} s: it is locked")
        info["holds_write_gate"] = True

    def _let_go(info: dict[Any, Any]) -> None:
        if info.pop("holds_write_gate", False):
            gate.release()

    event.listen(engine, "commit", lambda connection: _let_go(connection.connection.info))
    event.listen(engine, "rollback", lambda connection: _let_go(connection.connection.info))
    event.listen(engine, "reset", lambda _dbapi, record, _state: _let_go(record.info))


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creating it from empty if need be)."""
    command.upgrade(alembic_config(url), revision)
