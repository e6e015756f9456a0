"""Notifications at scale: publishing a night of a 20,000-household compound (the outbox written
in the publishing transaction), and the worker delivering 10,000 e-mails to a real SMTP server
on 127.0.0.1 (aiosmtpd).

    .venv/bin/python -m benchmarks.notify [--households 20000] [--emails 10000]
                                          [--database sqlite|postgresql]

One run, one table: how many notifications and deliveries publishing wrote and how long the
publishing transaction took (with and without its outbox), then how long the e-mails took.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from unittest import mock

from sqlalchemy import delete, func, select, update

from scenarios.generate import SiteParameters, generate_scenario
from scenarios.loader import parse_scenario
from service.actions.allocation import publish, run_night
from service.actions.nights import night_of
from service.compounds import import_scenario
from service.db import make_engine, make_sessions, upgrade
from service.models import Compound, Delivery, Household, Notification
from service.notify import outbox
from service.notify.worker import Channels, deliver_due
from tests.service.postgres import new_database, postgres_server
from tests.service.receivers import smtp_server

EVENING = date(2026, 11, 24)
AFTER_CUTOFF = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai


def _site(households: int) -> SiteParameters:
    """A compound of about `households` households with a car, in the Laiyang proportions."""
    # About half the flats have a car and so appear in the night; the file holds those.
    buildings = max(1, households // 12)
    scale = buildings / 40
    return SiteParameters(
        buildings=buildings,
        flats_per_building=24,
        marked_spaces=round(345 * scale),
        street_spaces=round(101 * scale),
        households_without_space=round(135 * scale),
        second_cars=round(45 * scale),
    )


def run(households: int, emails: int, url: str) -> list[tuple[str, str]]:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    document = generate_scenario(7, EVENING, site=_site(households))
    with sessions.begin() as session:
        import_scenario(session, parse_scenario(document), "big", now=AFTER_CUTOFF)
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(Household))
    run_night(
        sessions=sessions,
        compound_id="big",
        evening=EVENING,
        account_id=None,
        time_limit=120,
        now=AFTER_CUTOFF,
    )
    enqueue_seconds: list[float] = []
    real_write = outbox.night_published

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        written = real_write(*args, **kwargs)
        enqueue_seconds.append(time.perf_counter() - started)
        return written

    # Half the households ask to be told by e-mail too, so that publishing writes deliveries.
    with sessions.begin() as session:
        session.execute(
            update(Household)
            .where(Household.id % 2 == 0)
            .values(notify_email=True, email="resident@example.org")
        )
    started = time.perf_counter()
    with mock.patch.object(outbox, "night_published", timed), sessions.begin() as session:
        publish(
            session=session,
            night=night_of(session, "big", EVENING),
            account_id=None,
            now=AFTER_CUTOFF,
        )
    publish_seconds = time.perf_counter() - started
    with sessions() as session:
        notifications = session.scalar(select(func.count()).select_from(Notification))
        deliveries = session.scalar(select(func.count()).select_from(Delivery))
        ids = list(session.scalars(select(Household.id).order_by(Household.id).limit(emails)))
    # Then `emails` messages to households that all chose e-mail, delivered by one worker.
    with sessions.begin() as session:
        session.execute(delete(Delivery))  # publishing's own: only the messages' count here
        session.execute(
            update(Household)
            .where(Household.id.in_(ids))
            .values(notify_email=True, email="resident@example.org")
        )
        outbox.message(
            session,
            compound=session.get_one(Compound, "big"),
            household_ids=ids,
            text="The east gate is closed tonight.",
            key="benchmark",
            evening=None,
            now=AFTER_CUTOFF,
        )
    with smtp_server() as (box, port):
        channels = Channels(smtp_host="127.0.0.1", smtp_port=port)
        started = time.perf_counter()
        sent = 0
        while True:
            tally = deliver_due(sessions, channels, now=lambda: AFTER_CUTOFF, batch=500)
            sent += tally.sent
            if not tally.handled:
                break
        mail_seconds = time.perf_counter() - started
        received = len(box.messages)
    engine.dispose()
    return [
        ("households in the compound", f"{stored:,}"),
        ("notifications written by publishing", f"{notifications:,}"),
        ("e-mail deliveries written by publishing", f"{deliveries:,}"),
        ("outbox written (s)", f"{enqueue_seconds[0]:.2f}"),
        ("publishing transaction with its outbox (s)", f"{publish_seconds:.2f}"),
        ("e-mails delivered / received by the SMTP server", f"{sent:,} / {received:,}"),
        ("delivering them, one worker (s)", f"{mail_seconds:.1f}"),
        ("e-mails per second", f"{sent / mail_seconds:,.0f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    arguments = parser.parse_args()
    with ExitStack() as stack:
        if arguments.database == "postgresql":
            url = new_database(stack.enter_context(postgres_server()))
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = f"sqlite:///{folder / 'notify.db'}"
        rows = run(arguments.households, arguments.emails, url)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"Machine: {machine}; {arguments.database}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>14}")


if __name__ == "__main__":
    main()
