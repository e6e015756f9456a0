"""Migrations build the schema the models describe, from an empty database, and can go back."""

from __future__ import annotations

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
