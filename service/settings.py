"""Settings from the environment, with defaults that run everything on one machine.

A value that does not parse stops the service at start with the variable's name, not later.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///parking.db"


class Settings(BaseSettings):
    """The service's settings: `DATABASE_URL`, and `PARKING_<NAME>` for the others."""

    model_config = SettingsConfigDict(env_prefix="PARKING_", frozen=True, extra="ignore")

    # An SQLite file by default (WAL, foreign keys on); PostgreSQL with postgresql+psycopg://...
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("database_url", "DATABASE_URL"),
    )
    token_hours: float = Field(12, gt=0, le=24 * 365)
    # Residents stay signed in on their phone's browser this long (staff: token_hours, as the API).
    resident_session_hours: float = Field(30 * 24, gt=0, le=24 * 365)
    # Failed logins allowed per account within `login_window_minutes`, then refused for that long.
    login_attempts: int = Field(5, ge=1, le=1000)
    login_window_minutes: int = Field(15, ge=1, le=24 * 60)
    solver_seconds: float = Field(20, gt=0, le=3600)
    # Requests that reached the service before the cutoff are taken for this long after it; a
    # night is run before its cutoff (closing it early) or after this grace, not in between.
    cutoff_grace_seconds: float = Field(60, ge=0, le=3600)
    # SQLite's synchronous pragma (NORMAL: safe when the service dies, not when the power does;
    # FULL: also then, at about half the writes per second). See service.db.make_engine.
    sqlite_synchronous: str = Field("NORMAL", pattern="^(NORMAL|FULL)$")
    # Request bodies larger than this are refused with 413 as they arrive, before they are parsed
    # (JSON and forms; the longest real one, a morning round of 10,000 spaces, is under 500 kB).
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=1024**3)
    # The households' CSV import (API and page) takes files up to this size.
    max_upload_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=1024**3)
    # The key that finds a household's vote while a ballot is open (docs/ballots.md). Unset, an
    # SQLite database keeps one in a file beside it; PostgreSQL needs it set for ballots.
    ballot_key: str | None = Field(None, min_length=16, max_length=200, repr=False)
    # The address residents' phones reach the service at (https://parking.example.cn), printed in
    # the spaces' check-in codes; unset, the address the staff page was opened at.
    public_url: str | None = Field(
        None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$", max_length=200
    )
    # One line per request and per run at INFO; DEBUG adds SQLAlchemy's own lines.
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    # Notifications (service/notify). E-mail goes out when `smtp_host` is set, the webhook when
    # `webhook_url` is; the inbox always works.
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "parking@localhost"
    # JSON POSTs signed with HMAC-SHA256 of the body under this secret (X-Parking-Signature).
    webhook_url: str | None = None
    webhook_secret: str = ""
    # The delivery worker: `parking serve` runs one in the process unless this is false (then run
    # `parking notify --loop` beside the web workers).
    notify_in_process: bool = True
    notify_interval_seconds: float = Field(5, gt=0, le=3600)
    notify_batch: int = Field(200, ge=1, le=10_000)
    notify_max_attempts: int = Field(8, ge=1, le=100)
    # A claimed delivery not marked done by then is taken again (its worker died).
    notify_lease_seconds: float = Field(120, ge=30, le=24 * 3600)
    # The leave-by reminder comes this long before a stay ends (0: no reminder).
    reminder_minutes: int = Field(30, ge=0, le=24 * 60)

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError(
                "PARKING_WEBHOOK_SECRET must be set with PARKING_WEBHOOK_URL: "
                "every webhook call is signed"
            )
        return self
