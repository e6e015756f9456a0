"""Ballots through the API on both databases: making one (its simulation as a job), voting and
changing a vote, receipts, paper votes, secrecy, closing and counting, and adopting the decided
plan from an evening on."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from service.actions.allocation import night_document
from service.actions.ballots import read_ballot, simulate_options
from service.actions.nights import night_of
from service.models import AuditEntry, Ballot, BallotTurnout, BallotVote, Compound
from tests.service.conftest import BALLOT_KEY, EVENING

BALLOTS = "/api/v1/compounds/tiny/ballots"
AREAS = {"1-101": 80.0, "2-201": 120.0, "3-301": 100.0}


def ballot_body(world, **changes) -> dict:
    opens = world.now
    return {
        "question": "Which plan from next month?",
        "opens_at": opens.isoformat(),
        "closes_at": (opens + timedelta(days=7)).isoformat(),
        "options": [
            {"bundled": "laiyang-voted"},
            {"bundled": "earlier-hours"},
            {"kind": "none"},
        ],
        "seeds": 2,
    } | changes


def make_ballot(world, **changes) -> dict:
    for code, area in AREAS.items():
        reply = world.call(
            "staff", "PATCH", f"/api/v1/compounds/tiny/households/{code}", json={"floor_area": area}
        )
        assert reply.status_code == 200, reply.text
    reply = world.call("staff", "POST", BALLOTS, json=ballot_body(world, **changes))
    assert reply.status_code == 201, reply.text
    return reply.json()


def simulated(world, ballot_id: int) -> dict:
    deadline = time.monotonic() + 120
    while True:
        ballot = world.call("staff", "GET", f"{BALLOTS}/{ballot_id}").json()
        if ballot["simulation"]["state"] not in ("queued", "running"):
            return ballot
        assert time.monotonic() < deadline, ballot["simulation"]
        time.sleep(0.1)


def is_refused(reply, words: str) -> bool:
    """A 409 whose sentence says `words`."""
    return reply.status_code == 409 and words in reply.json()["detail"]


def vote(world, who: str, ballot_id: int, option: int):
    return world.call(who, "PUT", f"/api/v1/me/ballots/{ballot_id}/vote", json={"option": option})


def test_a_ballot_is_simulated_in_the_background_and_reproducibly(world):
    made = make_ballot(world)
    assert [o["label"] for o in made["options"]][2] == "None of these: the plan in use stays"
    assert made["roll_households"] == 3 and made["roll_without_area"] == 0
    assert made["simulation"]["total"] == 2 * 2 * 3  # plans x seeds x (usual, half, double)
    ballot = simulated(world, made["id"])
    simulation = ballot["simulation"]
    assert simulation["state"] == "done", simulation
    assert [o["position"] for o in simulation["options"]] == [0, 1]
    first = simulation["options"][0]
    assert first["requests_per_night"]["mean"] > 0
    assert first["without_space_if_away_half"]["mean"] is not None
    # The same seed gives the same figures.
    with world.app.state.sessions() as session:
        again = simulate_options(session, session.get_one(Ballot, made["id"]))
    assert again["options"] == simulation["options"]


def test_a_bad_ballot_is_refused_naming_the_field(world):
    bad = world.call(
        "staff",
        "POST",
        BALLOTS,
        json=ballot_body(world, options=[{"bundled": "nope"}, {"kind": "none"}]),
    )
    assert bad.status_code == 422 and "bundled" in bad.text
    two_nones = ballot_body(world, options=[{"kind": "none"}, {"kind": "none"}])
    assert world.call("staff", "POST", BALLOTS, json=two_nones).status_code == 422
    backwards = ballot_body(world, closes_at=(world.now - timedelta(days=1)).isoformat())
    assert world.call("staff", "POST", BALLOTS, json=backwards).status_code == 422
    unfit = ballot_body(
        world,
        options=[
            {
                "plan": {
                    "name": "X",
                    "policy": {"windows": {"street": ["19:00-07:00"]}},
                    "pools": {"garage": {"spaces": 3}},
                }
            },
            {"kind": "none"},
        ],
    )
    reply = world.call("staff", "POST", BALLOTS, json=unfit)
    assert reply.status_code == 422 and "garage" in reply.text


def test_a_household_votes_changes_its_vote_and_checks_its_receipt(world):
    ballot = make_ballot(world)["id"]
    first = vote(world, "1-101", ballot, 0)
    assert first.status_code == 200, first.text
    receipt = first.json()["receipt"]
    assert len(receipt) == 14 and receipt.count("-") == 2
    mine = world.call("1-101", "GET", f"/api/v1/me/ballots/{ballot}").json()
    assert mine["my_vote"] == {
        "ballot": ballot,
        "position": 0,
        "channel": "online",
        "receipt": receipt,
    }
    changed = vote(world, "1-101", ballot, 1).json()
    assert changed["receipt"] == receipt and changed["position"] == 1
    check = world.call("2-201", "GET", f"/api/v1/me/ballots/{ballot}/receipts/{receipt.lower()}")
    assert check.json() == {"ballot": ballot, "receipt": receipt, "position": 1, "counted": False}
    # Another household sees nothing of 1-101's vote on its own page.
    theirs = world.call("2-201", "GET", f"/api/v1/me/ballots/{ballot}").json()
    assert theirs["my_vote"] is None and theirs["voted"] is False
    assert vote(world, "2-201", ballot, 1).status_code == 200
    closed = world.call("staff", "POST", f"{BALLOTS}/{ballot}/close")
    assert closed.status_code == 200, closed.text
    tally = closed.json()["tally"]
    # 2 of 3 households (200 of 300 m²) took part: exactly 2/3 of both; both chose option 1.
    assert (tally["households"], tally["area"], tally["participation_met"]) == (2, 200.0, True)
    assert [o["households"] for o in tally["options"]] == [0, 2, 0]
    assert tally["decision"] == 1
    after = world.call("2-201", "GET", f"/api/v1/me/ballots/{ballot}/receipts/{receipt}").json()
    assert after["counted"] is True and after["position"] == 1
    mine = world.call("1-101", "GET", f"/api/v1/me/ballots/{ballot}").json()
    assert mine["state"] == "closed" and mine["my_vote"] is None and mine["voted"] is True
    assert mine["tally"] == tally
    missing = world.call("1-101", "GET", f"/api/v1/me/ballots/{ballot}/receipts/AAAA-BBBB-CCCC")
    assert missing.status_code == 404
    # The result is posted to every household on the roll, voters or not (issue 13's inbox).
    for household in ("1-101", "2-201", "3-301"):
        [told] = [
            n
            for n in world.call(household, "GET", "/api/v1/me/notifications").json()[
                "notifications"
            ]
            if n["kind"].startswith("ballot_posted")
        ]
        assert told["kind"] == "ballot_posted" and told["en"]["text"].startswith("Passed: ")


def test_a_closed_ballot_refuses_every_change(world):
    ballot = make_ballot(world)["id"]
    assert vote(world, "1-101", ballot, 0).status_code == 200
    assert world.call("staff", "POST", f"{BALLOTS}/{ballot}/close").status_code == 200
    with world.app.state.sessions() as session:
        before = session.get_one(Ballot, ballot).tally
    refusals = [
        vote(world, "1-101", ballot, 1),
        vote(world, "2-201", ballot, 1),
        world.call("staff", "POST", f"{BALLOTS}/{ballot}/close"),
        world.call(
            "staff",
            "POST",
            f"{BALLOTS}/{ballot}/paper-votes",
            json={"household": "3-301", "option": 0},
        ),
    ]
    assert [r.status_code for r in refusals] == [409] * 4
    assert all("the ballot is closed" in r.json()["detail"] for r in refusals)
    with world.app.state.sessions() as session:
        assert session.get_one(Ballot, ballot).tally == before
    # A ballot past its closing time is counted on the first look, and closed too.
    later = make_ballot(world)["id"]
    assert vote(world, "3-301", later, 2).status_code == 200
    world.now += timedelta(days=8)
    assert (
        world.call("3-301", "GET", f"/api/v1/me/ballots/{later}").json()["tally"]["households"] == 1
    )
    assert is_refused(vote(world, "3-301", later, 0), "the ballot is closed")


def test_a_ballot_that_has_not_opened_takes_no_vote(world):
    ballot = make_ballot(world, opens_at=(world.now + timedelta(days=1)).isoformat())["id"]
    refused = vote(world, "1-101", ballot, 0)
    assert is_refused(refused, "opens at")


def test_paper_and_online_votes_are_one_per_household(world):
    ballot = make_ballot(world)["id"]
    paper = f"{BALLOTS}/{ballot}/paper-votes"
    entered = world.call("staff", "POST", paper, json={"household": "3-301", "option": 0})
    assert entered.status_code == 201 and entered.json()["channel"] == "paper"
    # The household cannot change a paper vote online, nor the office enter it twice...
    assert is_refused(vote(world, "3-301", ballot, 1), "voted on paper")
    again = world.call("staff", "POST", paper, json={"household": "3-301", "option": 1})
    assert is_refused(again, "has voted already")
    # ... nor overwrite an online vote.
    assert vote(world, "1-101", ballot, 0).status_code == 200
    over = world.call("staff", "POST", paper, json={"household": "1-101", "option": 1})
    assert is_refused(over, "has voted already")
    unknown = world.call("staff", "POST", paper, json={"household": "9-999", "option": 1})
    assert unknown.status_code == 422
    turnout = world.call("staff", "GET", f"{BALLOTS}/{ballot}").json()["turnout"]
    assert (turnout["households"], turnout["online"], turnout["paper"]) == (2, 1, 1)
    assert turnout["area"] == 180.0
    tally = world.call("staff", "POST", f"{BALLOTS}/{ballot}/close").json()["tally"]
    # 2 of 3 households, 180 of 300 m² (less than 2/3 of the area): no decision.
    assert tally["households_participation_met"] and not tally["area_participation_met"]
    assert [o["households"] for o in tally["options"]] == [2, 0, 0]
    assert tally["decision"] is None
    # The audit log has the paper vote's household, never its choice.
    with world.app.state.sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "paper vote")).all()
    assert [e.detail for e in entries] == [f"ballot {ballot}: 3-301"]


def test_nothing_staff_can_read_tells_who_chose_what(world):
    ballot = make_ballot(world)["id"]
    receipts = {}
    for who, option in (("1-101", 0), ("2-201", 1), ("3-301", 1)):
        receipts[who] = vote(world, who, ballot, option).json()["receipt"]
    during = world.call("staff", "GET", f"{BALLOTS}/{ballot}").text
    listed = world.call("staff", "GET", BALLOTS).text
    world.call("staff", "POST", f"{BALLOTS}/{ballot}/close")
    after = world.call("staff", "GET", f"{BALLOTS}/{ballot}").text
    audit = world.call("staff", "GET", "/api/v1/compounds/tiny/audit").json()
    # The log names the households whose floor area staff set, and nothing of the votes.
    about_ballots = str([e for e in audit if "ballot" in e["action"]])
    assert "create ballot" in about_ballots and "close ballot" in about_ballots
    for shown in (during, listed, after, about_ballots):
        assert not any(code in shown for code in AREAS)  # no household is named
        assert not any(receipt in shown for receipt in receipts.values())
    # The tables: turnout has households and no choice; votes have choices and no household,
    # and once counted not even the keyed digest that found them.
    with world.app.state.sessions() as session:
        assert {c.name for c in BallotTurnout.__table__.columns} == {
            "id",
            "ballot_id",
            "household_id",
            "channel",
            "account_id",
        }
        assert {c.name for c in BallotVote.__table__.columns} == {
            "ballot_id",
            "receipt",
            "voter",
            "option_id",
        }
        assert (
            session.scalars(select(BallotVote.voter).where(BallotVote.ballot_id == ballot)).all()
            == [None] * 3
        )
        # Nor does the rows' order in the table follow the order the votes came in.
        position = "ctid" if session.get_bind().dialect.name == "postgresql" else "rowid"
        stored = session.scalars(
            text(f"SELECT receipt FROM ballot_votes WHERE ballot_id = :b ORDER BY {position}"),
            {"b": ballot},
        ).all()
        assert stored == sorted(receipts.values())


def test_a_household_added_after_the_ballot_was_made_is_not_on_its_roll(world):
    ballot = make_ballot(world)["id"]
    added = world.call(
        "staff", "POST", "/api/v1/compounds/tiny/households", json={"code": "4-401", "x": 0, "y": 0}
    )
    code = added.json()["activation_code"]
    token = world.client.post(
        "/api/v1/auth/activate",
        json={"username": "tiny/4-401", "code": code, "password": "pw-4-401-123"},
    ).json()["access_token"]
    world.tokens["4-401"] = token
    refused = vote(world, "4-401", ballot, 0)
    assert is_refused(refused, "not on the roll")
    assert world.call("4-401", "GET", f"/api/v1/me/ballots/{ballot}").json()["on_roll"] is False


def test_the_adopted_plan_changes_exactly_the_nights_from_its_first_evening(world):
    ballot = make_ballot(world)["id"]
    for who in AREAS:
        assert vote(world, who, ballot, 1).status_code == 200  # plan B: 21:00-08:00
    adopt = f"{BALLOTS}/{ballot}/adopt"
    first = EVENING + timedelta(days=2)
    early = world.call("staff", "POST", adopt, json={"first_evening": str(first)})
    assert is_refused(early, "not been counted")
    assert world.call("staff", "POST", f"{BALLOTS}/{ballot}/close").json()["tally"]["decision"] == 1
    # Tonight is allocated (after its cutoff) under the old plan, before the adoption.
    world.now += timedelta(hours=3)
    assert (
        world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run").status_code
        == 201
    )
    too_late = world.call("staff", "POST", adopt, json={"first_evening": str(EVENING)})
    assert too_late.status_code == 422
    with world.app.state.sessions() as session:
        revision = session.get_one(Compound, "tiny").revision
    adopted = world.call("staff", "POST", adopt, json={"first_evening": str(first)})
    assert adopted.status_code == 200, adopted.text
    with world.app.state.sessions() as session:
        # What is kept per revision of the compound (the guidance's pools) is made anew.
        assert session.get_one(Compound, "tiny").revision == revision + 1
    assert adopted.json()["adopted"]["first_evening"] == str(first)
    again = world.call(
        "staff", "POST", adopt, json={"first_evening": str(first + timedelta(days=1))}
    )
    assert is_refused(again, "adopted already")
    with world.app.state.sessions() as session:
        compound = session.get_one(Compound, "tiny")
        windows = {
            evening: night_document(session, compound, night_of(session, "tiny", evening))[
                "policy"
            ]["windows"]["rented"]
            for evening in (EVENING + timedelta(days=d) for d in range(5))
        }
        audit = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "adopt plan")
        ).all()
    assert windows == {
        EVENING: ["22:00-09:00"],
        EVENING + timedelta(days=1): ["22:00-09:00"],
        first: ["21:00-08:00"],
        first + timedelta(days=1): ["21:00-08:00"],
        first + timedelta(days=2): ["21:00-08:00"],
    }
    assert audit == [f"ballot {ballot}: the decided plan from {first}"]
    # The run of tonight kept the old plan; a run of the first evening reads the new one.
    tonight = world.call("staff", "GET", f"/api/v1/compounds/tiny/nights/{EVENING}").json()
    assert tonight["state"] == "allocated"
    assert world.call("staff", "GET", "/api/v1/compounds/tiny").json()["policy"]["windows"][
        "rented"
    ] == ["22:00-09:00"]


def test_a_plan_cannot_be_adopted_over_an_allocated_night(world):
    ballot = make_ballot(world)["id"]
    for who in AREAS:
        vote(world, who, ballot, 0)
    world.call("staff", "POST", f"{BALLOTS}/{ballot}/close")
    later = EVENING + timedelta(days=3)
    # Staff ran a later night early (before its cutoff).
    assert (
        world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{later}/run").status_code == 201
    )
    refused = world.call(
        "staff",
        "POST",
        f"{BALLOTS}/{ballot}/adopt",
        json={"first_evening": str(EVENING + timedelta(days=1))},
    )
    assert is_refused(refused, "allocated already")


@pytest.mark.parametrize("decision", ["none", "no_decision"])
def test_no_plan_is_adopted_without_a_decided_plan(world, decision):
    ballot = make_ballot(world)["id"]
    if decision == "none":
        for who in AREAS:
            vote(world, who, ballot, 2)
    world.call("staff", "POST", f"{BALLOTS}/{ballot}/close")
    refused = world.call(
        "staff",
        "POST",
        f"{BALLOTS}/{ballot}/adopt",
        json={"first_evening": str(EVENING + timedelta(days=1))},
    )
    assert is_refused(refused, "decided no plan")


def _locations(reply) -> list[list]:
    return [problem["loc"] for problem in reply.json()["detail"]]


def test_floor_areas_come_with_the_csv_and_the_api_and_bad_ones_are_refused_by_name(world):
    done = world.imported("code,x,y,floor_area\n5-501,0,0,88.5\n5-502,0,0,\n")
    assert done["state"] == "done", done
    listed = {
        h["code"]: h["floor_area"]
        for h in world.call("staff", "GET", "/api/v1/compounds/tiny/households").json()
    }
    assert (listed["5-501"], listed["5-502"]) == (88.5, None)
    bad_row = world.imported("code,x,y,floor_area\n5-503,0,0,-3\n")
    assert bad_row["status"] == 422 and "floor_area" in str(bad_row)
    household = "/api/v1/compounds/tiny/households/1-101"
    for bad in (0, -1, 20000, "large"):
        reply = world.call("staff", "PATCH", household, json={"floor_area": bad})
        assert reply.status_code == 422 and _locations(reply) == [["body", "floor_area"]], bad
    cleared = world.call("staff", "PATCH", household, json={"floor_area": None})
    assert cleared.status_code == 200 and cleared.json()["floor_area"] is None
    new = world.call(
        "staff",
        "POST",
        "/api/v1/compounds/tiny/households",
        json={"code": "5-504", "x": 0, "y": 0, "floor_area": "-"},
    )
    assert new.status_code == 422 and _locations(new) == [["body", "floor_area"]]


def test_bad_votes_and_ballots_are_refused_naming_the_field(world):
    ballot = make_ballot(world)["id"]
    for bad in (-1, 5, "first", None):
        reply = world.call(
            "1-101", "PUT", f"/api/v1/me/ballots/{ballot}/vote", json={"option": bad}
        )
        assert reply.status_code == 422 and _locations(reply) == [["body", "option"]], bad
    # Option 3 is in range but this ballot has three options (0-2).
    missing = vote(world, "1-101", ballot, 3)
    assert missing.status_code == 422 and _locations(missing) == [["body", "option"]]
    for field, value in (
        ("rule", "unanimous"),
        ("question", ""),
        ("seeds", 1),
        ("nights", 10),
        ("opens_at", "tomorrow"),
    ):
        reply = world.call("staff", "POST", BALLOTS, json=ballot_body(world, **{field: value}))
        assert reply.status_code == 422 and _locations(reply) == [["body", field]], field
    one = world.call("staff", "POST", BALLOTS, json=ballot_body(world, options=[{"kind": "none"}]))
    assert one.status_code == 422 and _locations(one) == [["body", "options"]]
    six = ballot_body(world, options=[{"bundled": "laiyang-voted"}] * 6)
    assert _locations(world.call("staff", "POST", BALLOTS, json=six)) == [["body", "options"]]
    unknown = ballot_body(world, options=[{"bundled": "nope"}, {"kind": "none"}])
    reply = world.call("staff", "POST", BALLOTS, json=unknown)
    assert _locations(reply) == [["body", "options", 0, "bundled"]]
    paper = world.call(
        "staff", "POST", f"{BALLOTS}/{ballot}/paper-votes", json={"household": "9-999", "option": 0}
    )
    assert paper.status_code == 422 and _locations(paper) == [["body", "household"]]
    first = EVENING + timedelta(days=1)
    adopt = world.call(
        "staff", "POST", f"{BALLOTS}/{ballot}/adopt", json={"first_evening": "someday"}
    )
    assert adopt.status_code == 422 and _locations(adopt) == [["body", "first_evening"]]
    assert (
        world.call(
            "staff", "POST", f"{BALLOTS}/{ballot}/adopt", json={"first_evening": str(first)}
        ).status_code
        == 409
    )


def test_two_first_looks_after_closing_count_the_ballot_once(world):
    # Found in review: two readers after the closing time both counted; the second found no
    # digests left and wrote a tally of nothing over the posted one.
    ballot = make_ballot(world)["id"]
    for household in ("1-101", "2-201", "3-301"):
        assert vote(world, household, ballot, 0).status_code == 200
    later = world.now + timedelta(days=8)
    key = BALLOT_KEY.encode()
    sessions = world.app.state.sessions
    with sessions() as second:
        compound = second.get_one(Compound, "tiny")
        looked = second.get_one(Ballot, ballot)  # it looked before the count (and keeps it)
        assert looked.counted_at is None
        with sessions() as first:
            counted = read_ballot(
                session=first,
                compound=first.get_one(Compound, "tiny"),
                ballot_id=ballot,
                key=key,
                now=later,
            )
        again = read_ballot(session=second, compound=compound, ballot_id=ballot, key=key, now=later)
    posted = world.call("staff", "GET", f"{BALLOTS}/{ballot}").json()["tally"]
    assert counted.tally is not None and again.tally is not None
    assert counted.tally.households == again.tally.households == posted["households"] == 3
