"""Settings from the environment, with defaults that run everything on one machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite:///parking.db"


@dataclass(frozen=True)
class Settings:
    # An SQLite file by default (WAL, foreign keys on); PostgreSQL with postgresql+psycopg://...
    database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    token_hours: float = field(
        default_factory=lambda: float(os.environ.get("PARKING_TOKEN_HOURS", "12"))
    )
    # Residents stay signed in on their phone's browser this long (staff: token_hours, as the API).
    resident_session_hours: float = field(
        default_factory=lambda: float(
            os.environ.get("PARKING_RESIDENT_SESSION_HOURS", str(30 * 24))
        )
    )
    # Failed logins allowed per account within `login_window_minutes` before it is refused for that long.
    login_attempts: int = field(
        default_factory=lambda: int(os.environ.get("PARKING_LOGIN_ATTEMPTS", "5"))
    )
    login_window_minutes: int = field(
        default_factory=lambda: int(os.environ.get("PARKING_LOGIN_WINDOW_MINUTES", "15"))
    )
    solver_seconds: float = field(
        default_factory=lambda: float(os.environ.get("PARKING_SOLVER_SECONDS", "20"))
    )
    # A run that has held its night this long is taken to have died (a crash, kill -9).
    run_lock_minutes: float = field(
        default_factory=lambda: float(os.environ.get("PARKING_RUN_LOCK_MINUTES", "10"))
    )
