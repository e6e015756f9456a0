"""Spaces and households in the order people read their codes (issue 14): L-7 before L-12 and
2-201 before 10-102 in the API's lists, the gate list, its CSV and the staff pages, where the
database's ORDER BY put them the other way round."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update

from service.models import Space
from tests.service.conftest import AFTER_CUTOFF, EVENING
from tests.service.test_inputs_plates import _page_client

TINY = "/api/v1/compounds/tiny"


def test_codes_are_listed_with_their_numbers_as_numbers(world):
    with world.app.state.sessions.begin() as session:
        session.execute(update(Space).where(Space.code == "L-1").values(code="L-7"))
    for body in [
        {"code": "L-12", "kind": "street", "size": "large", "x": 10, "y": 2},
        {"code": "10-102", "kind": "street", "x": 40, "y": 40},
    ]:
        assert world.call("staff", "POST", f"{TINY}/spaces", json=body).status_code == 201
    added = world.call(
        "staff", "POST", f"{TINY}/households", json={"code": "10-102", "x": 1, "y": 1}
    )
    assert added.status_code == 201
    spaces = [s["code"] for s in world.call("staff", "GET", f"{TINY}/spaces").json()]
    assert spaces == ["10-102", "A-1", "L-7", "L-12"]
    households = [h["code"] for h in world.call("staff", "GET", f"{TINY}/households").json()]
    assert households == ["1-101", "2-201", "3-301", "10-102"]

    # Two cars on the street tonight: the gate list by space, L-7 first.
    for who in ("2-201", "3-301"):
        reply = world.call(
            who,
            "POST",
            f"/api/v1/me/nights/{EVENING}/requests",
            json={"car_id": world.car(who), "arrive": "21:00", "depart": "06:30"},
        )
        assert reply.status_code == 201, reply.text
    world.now = AFTER_CUTOFF
    assert world.call("staff", "POST", f"{TINY}/nights/{EVENING}/run").is_success
    assert world.call("staff", "POST", f"{TINY}/nights/{EVENING}/publish").is_success
    api = world.call("staff", "GET", f"{TINY}/nights/{EVENING}/gate-list.csv").text
    desk = _page_client(world, "staff", "staff-password")
    page = desk.get(f"/staff/night/{EVENING}/gate.csv").text.removeprefix("\ufeff")
    for sheet in (api, page):
        rows = list(csv.reader(io.StringIO(sheet)))[1:]
        assert [row[0] for row in rows] == ["L-7", "L-12"], sheet

    # The staff pages: the spaces' and households' lists, the night's map.
    listed = desk.get("/staff/spaces").text
    assert listed.index(">L-7<") < listed.index(">L-12<")
    listed = desk.get("/staff/households").text
    assert listed.index(">2-201<") < listed.index(">10-102<")
    night = desk.get(f"/staff/night?evening={EVENING}").text
    assert night.index('data-space="L-7"') < night.index('data-space="L-12"')
