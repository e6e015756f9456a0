"""Every route x every kind of caller, generated from the app's own OpenAPI document, so a new route
cannot be added without an entry here.

Callers: anonymous; the resident of the household that owns the object (1-101, a renter); a
resident of another household of the compound (2-201); staff of another compound; staff.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from service.db import make_sessions
from service.models import Offer, OfferState, ParkingRequest
from tests.service.conftest import EVENING
from tests.service.test_ballots import ballot_body

PUBLIC = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/activate")}
CALLERS = (
    None,
    "2-201",
    "other-staff",
    "staff",
    "1-101",
)  # the owner last: its calls may delete the object
DENIED = {401, 403, 404}


def _body(method: str, path: str, world, serial: int):
    """A valid body for the route, as its owner would send it."""
    if path.endswith("/me/cars") and method == "POST":
        return {"plate": f"沪C·{serial:05d}"}
    if (path.endswith("/requests") and method == "POST") or (
        path.endswith("/requests/{request_id}") and method == "PUT"
    ):
        return {"car_id": world.car("1-101"), "arrive": "22:00", "depart": "06:00"}
    if path.endswith("/me/standing-requests") and method == "POST":
        return {
            "car_id": world.car("1-101"),
            "weekdays": [serial % 7],
            "arrive": "22:00",
            "depart": "06:00",
        }
    if path.endswith("/me/releases"):
        return {
            "space": "A-1",
            "first_evening": str(EVENING + timedelta(days=serial)),
            "last_evening": str(EVENING + timedelta(days=serial)),
        }
    if path.endswith("/households") and method == "POST":
        return {"code": f"9-{serial}", "x": 0, "y": 0}
    if path.endswith("/spaces/{space_code}"):
        return {"features": ["covered"]}
    if path.endswith("/households/{household_code}") and method == "PATCH":
        return {"tags": ["elderly"]}
    if path.endswith("/spaces") and method == "POST":
        return {"code": f"N-{serial}", "kind": "street", "x": 0, "y": 0}
    if path.endswith("/pins") and method == "POST":
        return {
            "request_id": world.last_request,
            "space": "L-1",
            "action": "forbid",
            "reason": "for the test",
        }
    if path.endswith("/nights/{evening}/requests") and "compounds" in path:
        return {
            "household": "1-101",
            "car_id": world.car("1-101"),
            "arrive": "22:00",
            "depart": "06:00",
            "reason": "urgent",
        }
    if path.endswith("/withdraw-release"):
        return {"space": "A-1", "reason": "came home"}
    if path.endswith("/overstays"):
        return {"spaces": []}
    if path.endswith("/me/nights/{evening}/reports"):
        return {"space": "A-1"}  # 1-101 rents it
    if path.endswith("/ballots") and method == "POST":
        return ballot_body(world)
    if path.endswith("/paper-votes"):
        return {"household": "3-301", "option": 0}
    if path.endswith("/adopt"):
        return {"first_evening": str(EVENING + timedelta(days=serial))}
    if path.endswith("/vote"):
        return {"option": serial % 2}
    if path.endswith(("/check-ins", "/no-shows")):
        return {"request_id": world.last_request}
    if path.endswith("/unauthorised"):
        return {"plate": "沪C99999"}
    return None


def _expected(tags: list[str], caller: str | None, path: str, body: dict | None) -> str:
    if caller is None:
        return "denied"
    if "staff" in tags:
        return "allowed" if caller == "staff" else "denied"
    if "resident" in tags:
        if caller not in ("1-101", "2-201"):
            return "denied"  # staff have no household
        # Another household's object (in the path, or a car or space in the body) is not found;
        # the caller's own data is fine.
        theirs = (
            any(
                f"{{{name}}}" in path
                for name in (
                    "request_id",
                    "standing_id",
                    "release_id",
                    "notification_id",
                    "offer_id",
                )
            )
            or path.endswith("/release-tonight")  # A-1 is 1-101's
            or bool(body and {"car_id", "space"} & body.keys())
        )
        return "denied" if caller == "2-201" and theirs else "allowed"
    return "allowed"  # auth: any signed-in caller may sign out


def test_every_route_checks_its_caller(world):
    operations = [
        (method.upper(), path, spec.get("tags", []))
        for path, methods in world.app.openapi()["paths"].items()
        for method, spec in methods.items()
        if (method.upper(), path) not in PUBLIC
    ]
    # Signing out ends the callers' sessions: last.
    operations.sort(key=lambda op: op[1] == "/api/v1/auth/logout")
    assert len(operations) >= 13
    serial = count(1)
    failures = []
    for method, path, tags in operations:
        evening = EVENING + timedelta(days=next(serial))
        own_request = world.call(
            "1-101",
            "POST",
            f"/api/v1/me/nights/{evening}/requests",
            json={"car_id": world.car("1-101"), "arrive": "22:00", "depart": "06:00"},
        )
        assert own_request.status_code == 201, own_request.text
        request_id = world.last_request = own_request.json()["id"]
        pin_id = None
        if path.endswith("/withdraw-release"):
            released = world.call(
                "1-101",
                "POST",
                "/api/v1/me/releases",
                json={"space": "A-1", "first_evening": str(evening), "last_evening": str(evening)},
            )
            assert released.status_code == 201, released.text
        if "{pin_id}" in path:
            pinned = world.call(
                "staff",
                "POST",
                f"/api/v1/compounds/tiny/nights/{evening}/pins",
                json={
                    "request_id": request_id,
                    "space": "L-1",
                    "action": "force",
                    "reason": "for the test",
                },
            )
            pin_id = pinned.json()["pins"][-1]["id"]
        standing_id = None
        if "{standing_id}" in path:
            standing = world.call(
                "1-101",
                "POST",
                "/api/v1/me/standing-requests",
                json={
                    "car_id": world.car("1-101"),
                    "weekdays": [0],
                    "arrive": "22:00",
                    "depart": "06:00",
                },
            )
            standing_id = standing.json()["id"]
        release_id = None
        if "{release_id}" in path:
            released = world.call(
                "1-101",
                "POST",
                "/api/v1/me/releases",
                json={"space": "A-1", "first_evening": str(evening), "last_evening": str(evening)},
            )
            release_id = released.json()["id"]
        notification_id = None
        if "{notification_id}" in path:
            written = world.call(
                "staff",
                "POST",
                "/api/v1/compounds/tiny/messages",
                json={"text": "for the test", "to": "household", "household": "1-101"},
            )
            assert written.status_code == 201, written.text
            inbox = world.call("1-101", "GET", "/api/v1/me/notifications").json()
            notification_id = inbox["notifications"][0]["id"]
        report_id = None
        if "{report_id}" in path:
            reported = world.call(
                "1-101", "POST", f"/api/v1/me/nights/{evening}/reports", json={"space": "A-1"}
            )
            assert reported.status_code == 201, reported.text
            report_id = reported.json()["id"]
        job_id = None
        if "{job_id}" in path:
            job_id = world.imported(f"code,x,y\nJ-{evening:%m%d},0,0\n")["id"]
        ballot_id = receipt = None
        if "{ballot_id}" in path:
            ballot = world.call(
                "staff", "POST", "/api/v1/compounds/tiny/ballots", json=ballot_body(world)
            )
            ballot_id = ballot.json()["id"]
            voted = world.call(
                "1-101", "PUT", f"/api/v1/me/ballots/{ballot_id}/vote", json={"option": 0}
            )
            receipt = voted.json()["receipt"]
        offer_id = None
        if "{offer_id}" in path:
            # An offer of a space to 1-101's request (the night is not published, so answering
            # it is refused with 409: the caller check comes first).
            sessions = make_sessions(world.app.state.engine)
            with sessions.begin() as session:
                offer = Offer(
                    night_id=session.get_one(ParkingRequest, request_id).night_id,
                    request_id=request_id,
                    space_code="L-1",
                    state=OfferState.OPEN.value,
                    offered_at=world.now,
                    expires_at=world.now + timedelta(minutes=15),
                )
                session.add(offer)
                session.flush()
                offer_id = offer.id
        url = path.format(
            offer_id=offer_id,
            space="A-1",
            ballot_id=ballot_id,
            receipt=receipt,
            job_id=job_id,
            compound_id="tiny",
            evening=evening,
            request_id=request_id,
            # Not a caller here: a new activation code ends its sessions.
            household_code="3-301",
            pin_id=pin_id,
            standing_id=standing_id,
            space_code="L-1",
            release_id=release_id,
            notification_id=notification_id,
            report_id=report_id,
        )
        for caller in CALLERS:
            body = _body(method, path, world, next(serial))
            reply = world.call(caller, method, url, json=body)
            outcome = "denied" if reply.status_code in DENIED else "allowed"
            if reply.status_code >= 500 or outcome != _expected(tags, caller, path, body):
                who = caller or "anonymous"
                failures.append(f"{method} {path} as {who}: {reply.status_code} {reply.text[:120]}")
    assert failures == []


def test_another_households_request_looks_like_none_at_all(world):
    own = world.call(
        "1-101",
        "POST",
        f"/api/v1/me/nights/{EVENING}/requests",
        json={"car_id": world.car("1-101"), "arrive": "22:00", "depart": "06:00"},
    ).json()["id"]
    theirs = world.call("2-201", "DELETE", f"/api/v1/me/requests/{own}")
    missing = world.call("2-201", "DELETE", f"/api/v1/me/requests/{own + 1000}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"] == f"no request {own} in your household"
    assert (
        world.call("1-101", "GET", f"/api/v1/me/nights/{EVENING}/requests").json()[0]["id"] == own
    )  # still there


def test_another_compound_looks_like_none_at_all(world):
    theirs = world.call("staff", "GET", f"/api/v1/compounds/other/nights/{EVENING}")
    missing = world.call("staff", "GET", f"/api/v1/compounds/nowhere/nights/{EVENING}")
    assert theirs.status_code == missing.status_code == 404
    assert (
        theirs.json()["detail"] == "no compound 'other'"
        and missing.json()["detail"] == "no compound 'nowhere'"
    )
