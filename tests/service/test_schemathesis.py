"""Schemathesis against the app's own OpenAPI document: generated calls (bounded), as staff and as a
resident, never get a 5xx, and every response matches the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.service.conftest import World

BOUNDED = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory):
    world = World(f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'parking.db'}")
    yield world
    world.client.close()
    world.app.state.engine.dispose()


@pytest.mark.parametrize("caller", ["staff", "1-101"])
def test_the_api_never_fails_and_keeps_its_schema(sqlite_world, caller):
    schema = schemathesis.openapi.from_asgi("/openapi.json", sqlite_world.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(headers=sqlite_world.as_(caller))

        check()
