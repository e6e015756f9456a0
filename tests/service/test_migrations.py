"""Migrations build the schema the models describe, from an empty database, and can go back."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from service.db import alembic_config, make_engine, upgrade
from service.models import Base


def test_an_empty_database_upgrades_to_exactly_the_models(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_to_empty_and_upgrade_again(database_url):
    upgrade(database_url)
    downgrade(alembic_config(database_url), "base")
    engine = make_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    assert {"nights", "runs", "requests", "accounts"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_a_database_of_the_previous_revision_upgrades_with_its_data(database_url):
    # 0001 had no overstays column: a night stored then is still there after the upgrade.
    from sqlalchemy import text

    upgrade(database_url, "0001")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO compounds (id, name, timezone, cutoff, policy) "
                "VALUES ('c', 'C', 'Asia/Shanghai', '21:30', '{}')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO nights (compound_id, evening, state) "
                "VALUES ('c', '2026-11-24', 'open')"
            )
        )
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT compound_id, state, overstays FROM nights")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [("c", "open", None)]


def _insert(connection, table: str, **values) -> None:
    from sqlalchemy import text

    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)


def test_charging_sessions_come_and_go_without_touching_the_nights_other_rows(database_url):
    # 0014 rebuilds the requests table on SQLite: the pins and check-ins that refer to its rows
    # must survive, both ways; going back, the sessions go and stored documents lose the keys
    # the older code does not read.
    from sqlalchemy import text

    at = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    stay = {"night_id": 1, "household_id": 1, "car_id": 1, "created_at": at}
    upgrade(database_url, "0013")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        _insert(
            connection,
            "compounds",
            id="c",
            name="C",
            timezone="Asia/Shanghai",
            cutoff="21:30",
            policy="{}",
        )
        _insert(
            connection, "nights", id=1, compound_id="c", evening=date(2026, 11, 24), state="open"
        )
        _insert(
            connection,
            "households",
            id=1,
            compound_id="c",
            code="1-101",
            x=0,
            y=0,
            tags="[]",
            has_space=False,
        )
        _insert(
            connection, "cars", id=1, household_id=1, plate="沪A11111", size="standard", needs="[]"
        )
        _insert(connection, "requests", id=1, arrive=1320, depart=1860, **stay)
        _insert(
            connection,
            "pins",
            night_id=1,
            request_id=1,
            space_code="L-1",
            action="force",
            reason="agreed",
            created_at=at,
        )
        _insert(
            connection,
            "checkins",
            night_id=1,
            request_id=1,
            space_code="L-1",
            checked_in_at=at,
            via="gate",
        )
    engine.dispose()

    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        run = connection.execute
        assert run(text("SELECT count(*) FROM pins")).scalar() == 1
        assert run(text("SELECT count(*) FROM checkins")).scalar() == 1
        assert run(text("SELECT charging FROM requests")).scalars().all() == [False]
        _insert(connection, "requests", id=2, arrive=1080, depart=1260, charging=True, **stay)
        _insert(
            connection,
            "checkins",
            night_id=1,
            request_id=2,
            space_code="C-1",
            checked_in_at=at,
            via="code",
        )
        snapshot = {"requests": [{"id": "q1"}, {"id": "q2", "charging": True}]}
        _insert(
            connection,
            "runs",
            night_id=1,
            started_at=at,
            snapshot=json.dumps(snapshot),
            engine_version="test",
        )
        policy = {"charging_cap": 1, "household_cap": 1}
        run(text("UPDATE compounds SET policy = :policy"), {"policy": json.dumps(policy)})
    engine.dispose()

    downgrade(alembic_config(database_url), "0013")
    engine = make_engine(database_url)
    with engine.connect() as connection:
        run = connection.execute
        assert run(text("SELECT id FROM requests")).scalars().all() == [1]
        assert run(text("SELECT request_id FROM checkins")).scalars().all() == [1]
        assert run(text("SELECT count(*) FROM pins")).scalar() == 1
        snapshot = run(text("SELECT snapshot FROM runs")).scalar()
        policy = run(text("SELECT policy FROM compounds")).scalar()
    engine.dispose()

    def as_json(value):
        return json.loads(value) if isinstance(value, str) else value

    assert as_json(snapshot) == {"requests": [{"id": "q1"}, {"id": "q2"}]}
    assert as_json(policy) == {"household_cap": 1}
