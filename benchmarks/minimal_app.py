"""The yardstick for the submission rush: a minimal FastAPI app that stores one row per POST, on
the same database and server settings as the service (`python -m benchmarks.rush` runs it).

Served by uvicorn as a factory: `uvicorn benchmarks.minimal_app:create_app --factory`, with the
database in DATABASE_URL.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from service.db import make_engine

metadata = MetaData()
rows = Table(
    "minimal_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("car_id", Integer),
    Column("arrive", String(5)),
    Column("depart", String(5)),
)


class RowIn(BaseModel):
    car_id: int
    arrive: str
    depart: str


def create_table(url: str) -> None:
    """The app's one table, made once before its workers start (two workers making it at once
    collide on PostgreSQL, and one of them dies)."""
    engine = make_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def create_app() -> FastAPI:
    engine = make_engine(os.environ["DATABASE_URL"])
    app = FastAPI()

    @app.post("/rows", status_code=201)
    def add(body: RowIn) -> dict[str, int]:
        with engine.begin() as connection:
            key = connection.execute(insert(rows).values(**body.model_dump())).inserted_primary_key
        return {"id": int(key[0]) if key else 0}

    return app
