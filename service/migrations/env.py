"""Alembic environment: the URL comes from the caller (`service.db.upgrade`), the metadata from
the models."""

from __future__ import annotations

from alembic import context

from service.db import make_engine
from service.models import Base

target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None, "service.db.alembic_config sets the URL"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode copies a SQLite table and drops the old one: with foreign keys
                # enforced, the drop would cascade to the rows that refer to it (a request's pins)
                # or fail on them (its check-ins). SQLite's advice: off during the change, then
                # a check that every reference still holds.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            # Batch mode lets later revisions alter SQLite tables (it copies them).
            context.configure(
                connection=connection, target_metadata=target_metadata, render_as_batch=True
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration broke references: {broken[:5]}")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
