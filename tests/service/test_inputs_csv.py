"""Gate lists that no spreadsheet runs as formulas (issue 11, item 7)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from service.models import Car
from tests.service.conftest import AFTER_CUTOFF, EVENING
from tests.service.test_inputs_plates import _page_client


def test_gate_list_cells_are_never_formulas(world):
    """Guards against CSV injection: a plate, household or space starting with = + - @ tab or CR
    went into both gate-list CSVs as it was (the page's has a byte-order mark, so Excel ran
    it); every such cell now starts with a single quote, in the API's and the page's CSV."""
    from service.actions.staff import GateRow, gate_csv

    with world.app.state.sessions.begin() as session:
        # A car stored before plates were checked (or by any path that skips the check).
        car = session.scalar(select(Car).where(Car.plate == "沪B33333"))
        car.plate = '=cmd|"/C calc"!A0'
    world.call(
        "3-301",
        "POST",
        f"/api/v1/me/nights/{EVENING}/requests",
        json={"car_id": world.car("3-301"), "arrive": "21:00", "depart": "06:30"},
    )
    world.now = AFTER_CUTOFF
    assert world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run").is_success
    assert world.call(
        "staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/publish"
    ).is_success
    api = world.call("staff", "GET", f"/api/v1/compounds/tiny/nights/{EVENING}/gate-list.csv")
    desk = _page_client(world, "staff", "staff-password")
    page = desk.get(f"/staff/night/{EVENING}/gate.csv")
    assert page.status_code == 200 and page.text.startswith("\ufeff")
    for sheet in (api.text, page.text.removeprefix("\ufeff")):
        rows = list(csv.reader(io.StringIO(sheet)))
        assert rows[1][2] == '\'=cmd|"/C calc"!A0'
    # Each character that starts a formula, in every column.
    for start in ["=", "+", "-", "@", "\t", "\r", "＝"]:
        row = GateRow(
            space=f"{start}S",
            kind=f"{start}K",
            plate=f"{start}P",
            household=f"{start}H",
            start=AFTER_CUTOFF,
            end=AFTER_CUTOFF,
        )
        sheet = gate_csv(
            [row], [f"{start}space", "kind", "plate", "h", "from", "until"], str, False
        )
        header, cells = list(csv.reader(io.StringIO(sheet)))
        assert header[0] == f"'{start}space"
        assert cells[:4] == [f"'{start}S", f"'{start}K", f"'{start}P", f"'{start}H"], start
    plain = GateRow("L-1", "street", "沪A12345", "1-101", AFTER_CUTOFF, AFTER_CUTOFF)
    assert gate_csv([plain], ["space"], str, True).splitlines()[1].startswith("L-1,street,沪A1**45")
