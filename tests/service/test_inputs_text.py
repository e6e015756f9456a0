"""NUL and broken Unicode refused at the edge, by name (issue 11, item 9)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service.conftest import EVENING
from tests.service.test_inputs_plates import _csrf, _page_client

C = "/api/v1/compounds/tiny"


def _locations(reply) -> list[list]:
    return [problem["loc"] for problem in reply.json()["detail"]]


def test_nul_in_any_json_text_is_refused_with_422_naming_the_field(world):
    """Guards against anonymous 500s on PostgreSQL (which cannot store NUL) from a "\\u0000" in a
    JSON text: sign-in, activation, a plate, a release's space, a pin's reason, a household's
    tags, ...; and against lone surrogates ("\\ud800"), which no database encoding takes."""
    car = world.car("1-101")
    cases = [
        (None, "POST", "/api/v1/auth/login", {"username": "staff\x00", "password": "x"}),
        (None, "POST", "/api/v1/auth/login", {"username": "staff", "password": "x\x00"}),
        (
            None,
            "POST",
            "/api/v1/auth/activate",
            {"username": "tiny/1-101\x00", "code": "ABC", "password": "12345678"},
        ),
        ("1-101", "POST", "/api/v1/me/cars", {"plate": "沪A\x0012345"}),
        ("1-101", "POST", "/api/v1/me/cars", {"plate": "沪A12399", "needs": ["ev\x00"]}),
        (
            "1-101",
            "POST",
            "/api/v1/me/releases",
            {"space": "A-1\x00", "first_evening": str(EVENING), "last_evening": str(EVENING)},
        ),
        (
            "staff",
            "POST",
            f"{C}/nights/{EVENING}/withdraw-release",
            {"space": "A-1", "reason": "home\x00early"},
        ),
        ("staff", "PATCH", f"{C}/households/1-101", {"tags": ["elderly\x00"]}),
        ("staff", "POST", f"{C}/spaces", {"code": "S-9", "kind": "street\x00", "x": 0, "y": 0}),
        (
            "staff",
            "POST",
            f"{C}/nights/{EVENING}/requests",
            {
                "household": "1-101\x00",
                "car_id": car,
                "arrive": "22:00",
                "depart": "06:00",
                "reason": "nurse",
            },
        ),
    ]
    for who, method, path, body in cases:
        reply = world.call(who, method, path, json=body)
        assert reply.status_code == 422, (path, body, reply.text)
        problem = reply.json()["detail"][0]
        assert problem["loc"][0] == "body" and "NUL" in problem["msg"], (path, problem)
    surrogate = world.client.post(
        "/api/v1/auth/login",
        content=b'{"username": "staff\\ud800", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert surrogate.status_code == 422 and _locations(surrogate) == [["body", "username"]]


def test_nul_in_forms_paths_and_queries_is_refused_before_anything_reads_it(world):
    """Guards against NUL reaching the database (500 on PostgreSQL) through a page's form (sign-in,
    activation, the desk's household), a path (a compound, a space) or a query string, and
    against a NUL sign-in name being answered as a wrong password: the API says 422 naming the
    part, the pages their own 422 page."""
    api = world.call("staff", "GET", "/api/v1/compounds/ti%00ny/spaces")
    assert api.status_code == 422 and _locations(api) == [["path", "compound_id"]]
    space = world.call("staff", "PATCH", f"{C}/spaces/A-1%00", json={"size": "large"})
    assert space.status_code == 422 and _locations(space) == [["path", "space_code"]]
    household = world.call("staff", "PATCH", f"{C}/households/1%00", json={"tags": []})
    assert household.status_code == 422 and _locations(household) == [["path", "household_code"]]

    page = TestClient(world.app, follow_redirects=False)
    page.cookies.set("parking_lang", "en")
    for reply in (
        page.post("/signin", data={"username": "staff\x00", "password": "staff-password"}),
        page.post("/signin", data={"username": "staff", "password": "x", "next": "/\x00"}),
        page.post(
            "/activate", data={"username": "tiny/1-101", "code": "A\x00", "password": "12345678"}
        ),
        page.get("/signin?next=/%00"),
        page.get("/language/en?back=/%00"),
    ):
        assert reply.status_code == 422, reply.text
        assert "The form is not valid" in reply.text
    assert "next is not valid: must not contain NUL characters" in page.get("/signin?next=%00").text
    desk = _page_client(world, "staff", "staff-password")
    for path, data in [
        (
            f"/staff/night/{EVENING}/urgent",
            {
                "household": "3-301\x00",
                "plate": "沪B33333",
                "arrive": "23:00",
                "depart": "06:00",
                "reason": "nurse on call",
            },
        ),
        ("/staff/spaces/A-1%00", {"size": "large"}),
        ("/staff/households/1-101%00/activation", {}),
    ]:
        reply = desk.post(path, data={"csrf": _csrf(desk, "/staff/night")} | data)
        assert reply.status_code == 422, (path, reply.text)
        assert "The form is not valid" in reply.text
