"""Plates in one normal form (issue 11, item 8).

Each test names in its docstring the defect it guards against.
"""

from __future__ import annotations

import re

import pytest
from alembic.command import downgrade
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from scenarios.loader import parse_scenario
from service.db import alembic_config, make_engine, upgrade
from service.models import Car, Household
from tests.service.conftest import AFTER_CUTOFF, EVENING, TINY

NEIGHBOUR = "沪NWCAA7"
# The neighbour's plate as the attack test re-registered it, accepted each time before.
SPOOFS = {
    "zero-width space": "沪\u200bNWCAA7",
    "zero-width joiner": "沪NW\u200dCAA7",
    "lower case": "沪nwcaa7",
    "fullwidth letters": "沪ＮＷＣＡＡ７",
    "padding": "  沪NWCAA7 ",
    "ideographic space": "沪NW\u3000CAA7",
    "right-to-left override": "\u202e沪NWCAA7",
    "separator dot": "沪N·WCAA7",
    "byte-order mark": "\ufeff沪NWCAA7",
}


def test_the_plate_module_gives_one_normal_form_and_says_what_is_wrong():
    """Guards against plates compared as typed: every spelling of a plate has one normal form,
    and a text that is no plate is refused with a sentence naming what is wrong."""
    from service.plates import PlateError, canonical, normal_plate

    for spelling in [NEIGHBOUR, *SPOOFS.values(), "沪NWCAA7\x00", "滬nwcaa7", "沪N-WCAA7"]:
        assert normal_plate(spelling) == NEIGHBOUR, spelling
    # Every test data plate of the project is a plate, in its normal form without the dot.
    for plate, normal in [
        ("沪A·12345", "沪A12345"),
        ("沪S·00001", "沪S00001"),
        ("沪R·00001", "沪R00001"),
        ("沪X00000", "沪X00000"),
        ("沪C·00042", "沪C00042"),
        ("沪CQ9UZF", "沪CQ9UZF"),
        ("沪AD12345", "沪AD12345"),  # new energy, small
        ("沪A12345F", "沪A12345F"),  # new energy, large
        ("沪A·1234警", "沪A1234警"),
        ("粤Z·1234港", "粤Z1234港"),
        ("使014·578", "使014578"),
    ]:
        assert normal_plate(plate) == normal, plate
    refused = {
        "": "plate_empty",
        "AB12345": "plate_province",
        "滨A12345": "plate_province",
        "沪\u0410B1234": "plate_office",  # a Cyrillic А for the office's letter
        "沪A1234O": "plate_io",
        "沪A12É4": "plate_character",
        "沪A1234": "plate_length",
        "沪A123456": "plate_new_energy",
        "使01457": "plate_embassy",
    }
    for text_, code in refused.items():
        with pytest.raises(PlateError) as error:
            normal_plate(text_)
        assert error.value.code == code, (text_, error.value.message)
    with pytest.raises(PlateError, match="CYRILLIC CAPITAL LETTER A"):
        normal_plate("沪\u0410B1234")
    assert canonical("? q7") == "?Q7"  # any text has a normal form; the desk looks plates up so


def test_masking_works_on_the_normal_form():
    """Guards against masking that needed the dot: the normal form still shows the province,
    the office and the ends of the serial, and hides the middle."""
    from service.plates import normal_plate
    from service.security import masked_plate

    assert masked_plate(normal_plate("沪a·12345")) == "沪A1**45"
    assert masked_plate(normal_plate("沪AD12345")) == "沪AD***45"
    assert masked_plate("沪A·12345") == "沪A·1**45"  # as stored in runs made before 0008


def test_a_neighbours_plate_spelt_nine_ways_is_refused(world):
    """Guards against plate spoofing: a neighbour's plate re-registered with zero-width
    characters, lower case, fullwidth letters, padding or a direction override was accepted as
    a new car; now each is the same plate (409), and a plate is stored in normal form."""
    first = world.call("1-101", "POST", "/api/v1/me/cars", json={"plate": "沪n·wcaa7"})
    assert first.status_code == 201 and first.json()["plate"] == NEIGHBOUR
    for name, spelling in SPOOFS.items():
        reply = world.call("2-201", "POST", "/api/v1/me/cars", json={"plate": spelling})
        assert reply.status_code == 409, (name, reply.text)
        assert "another household" in reply.json()["detail"]
    nul = world.call("2-201", "POST", "/api/v1/me/cars", json={"plate": "沪NWCAA7\x00"})
    assert nul.status_code in (409, 422), nul.text
    bad = world.call("2-201", "POST", "/api/v1/me/cars", json={"plate": "沪A1234O"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "plate"]
    assert "never use" in bad.json()["detail"][0]["msg"]
    with world.app.state.sessions() as session:
        plates = set(session.scalars(select(Car.plate)))
    assert {"沪A11111", "沪A22222", "沪B33333", NEIGHBOUR} <= plates
    assert not any("·" in p for p in plates)


def _page_client(world, username: str, password: str) -> TestClient:
    client = TestClient(world.app, follow_redirects=False)
    client.cookies.set("parking_lang", "en")
    data = {"username": username, "password": password, "csrf": _csrf(client, "/signin")}
    signed_in = client.post("/signin", data=data)
    assert signed_in.status_code == 303, signed_in.text
    return client


def _csrf(client: TestClient, page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(page).text).group(1)


def test_the_cars_page_stores_the_normal_form_and_says_what_is_wrong(world):
    """Guards against the cars page taking a plate as typed (only stripped and upper-cased): it
    stores the normal form, and a text that is no plate is refused in the reader's words."""
    page = _page_client(world, "tiny/1-101", "pw-1-101-123")
    added = page.post(
        "/cars",
        data={"csrf": _csrf(page, "/cars"), "plate": "\u200b沪k·12e45 ", "size": "standard"},
    )
    assert added.status_code == 303
    assert "<strong>沪K12E45</strong>" in page.get("/cars").text
    refused = page.post(
        "/cars", data={"csrf": _csrf(page, "/cars"), "plate": "沪K1234O", "size": "standard"}
    )
    assert refused.status_code == 422
    assert "Plates never use the letters I and O" in refused.text
    page.cookies.set("parking_lang", "zh")
    refused = page.post(
        "/cars", data={"csrf": _csrf(page, "/cars"), "plate": "K12345", "size": "standard"}
    )
    assert refused.status_code == 422 and "车牌须以省份简称开头" in refused.text


def test_the_desk_finds_a_car_whatever_the_spelling_of_its_plate(world):
    """Guards against the desk's look-up by the plate as typed: 沪b·33333 typed at the desk finds
    household 3-301's car 沪B·33333 (stored as 沪B33333)."""
    desk = _page_client(world, "staff", "staff-password")
    taken = desk.post(
        f"/staff/night/{EVENING}/urgent",
        data={
            "csrf": _csrf(desk, "/staff/night"),
            "household": "3-301",
            "plate": " 沪b·33333",
            "arrive": "23:00",
            "depart": "06:00",
            "reason": "nurse on call",
        },
    )
    assert taken.status_code == 303, taken.text


def test_a_scenario_import_stores_normal_forms_and_refuses_what_is_no_plate(world):
    """Guards against imports that stored plates as written (沪A·11111 beside a typed 沪A11111),
    or stored texts that are no plate, or one plate in two households."""
    from service.compounds import InvalidPlates, import_scenario

    with world.app.state.sessions() as session:
        stored = session.scalars(
            select(Car.plate).join(Household).where(Household.compound_id == "tiny")
        ).all()
    assert sorted(stored) == ["沪A11111", "沪A22222", "沪B33333"]
    households = [dict(h) for h in TINY["households"]]
    households[1]["cars"] = [{"plate": "沪A1111"}]
    households[2]["cars"] = [{"plate": "沪a·11111"}]
    bad = parse_scenario(TINY | {"households": households})
    with world.app.state.sessions() as session, pytest.raises(InvalidPlates) as error:
        import_scenario(session, bad, "bad", now=AFTER_CUTOFF)
    assert error.value.problems == [
        "households[1].cars[0].plate: 沪A1111 has 4 characters after 沪A; an ordinary plate "
        "has 5 (沪A12345), a new-energy plate 6 (沪AD12345)",
        "households[2].cars[0].plate: 沪A11111 is also a car of household 1-101",
    ]


def test_migration_0008_puts_stored_plates_in_normal_form_and_goes_down_again(database_url):
    """Guards against plates stored before the normal form staying as typed (a spoof registered
    then would stay a second car): 0008 rewrites them, keeps a plate whose normal form its
    household already has, and goes down to 0005 with the data."""
    upgrade(database_url, "0005")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO compounds (id, name, timezone, cutoff, policy) "
                "VALUES ('c', 'C', 'Asia/Shanghai', '21:30', '{}')"
            )
        )
        for code in ("1-101", "2-201"):
            connection.execute(
                text(
                    "INSERT INTO households (compound_id, code, x, y, tags, has_space) "
                    "VALUES ('c', :code, 0, 0, '[]', false)"
                ),
                {"code": code},
            )
        ids = dict(connection.execute(text("SELECT code, id FROM households")).all())
        for household, plate in [
            ("1-101", "沪A·12345"),
            ("1-101", "沪A12345"),  # the same plate twice in one household: kept as it is
            ("1-101", "沪nwcaa7\u200b"),
            ("2-201", "沪ＮＷＣＡＡ７"),  # a spoof of 1-101's car: now visibly the same plate
            ("2-201", "? q9"),
        ]:
            connection.execute(
                text(
                    "INSERT INTO cars (household_id, plate, size, needs) "
                    "VALUES (:household, :plate, 'standard', '[]')"
                ),
                {"household": ids[household], "plate": plate},
            )
    engine.dispose()

    def plates() -> list[str]:
        engine = make_engine(database_url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT plate FROM cars ORDER BY id")).scalars().all()
        engine.dispose()
        return list(rows)

    upgrade(database_url)
    after = ["沪A·12345", "沪A12345", "沪NWCAA7", "沪NWCAA7", "?Q9"]
    assert plates() == after  # the first keeps its spelling: its household has 沪A12345
    downgrade(alembic_config(database_url), "0005")
    assert plates() == after
    upgrade(database_url)
    assert plates() == after
