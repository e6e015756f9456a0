"""The pages through a TestClient: every page in both languages, forms that store what they say
and refuse what they must (in the reader's language), sessions, roles and form tokens."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.result import Reason, Status
from service.actions.audit import DETAILS
from service.actions.ballots import PLAIN_FACTS
from service.demo import COMPOUND
from service.models import (
    AuditEntry,
    Car,
    DeliveryState,
    Household,
    NightState,
    ParkingRequest,
    Release,
    Run,
)
from service.schemas import OptionFiguresOut
from service.web.i18n import MESSAGES
from service.web.sitemap import SpaceState
from tests.web.web_site import BEFORE_CUTOFF, NEXT, PUBLISHED, Browser, resident, staff

WEB = Path(__file__).parents[2] / "service" / "web"
# Keys the templates build from a value: every value they can meet must have its entry.
BUILT_KEYS = {
    "refused.reason.": [r.value for r in Reason],
    "need.": ["ev_charger", "accessible"],
    "size.": ["small", "standard", "large"],
    "kind.": ["rented", "street"],
    "space.kind.": ["rented", "street"],
    "state.": [s.value for s in NightState],
    "map.state.": [s.value for s in SpaceState],
    "weekday.": [str(d) for d in range(7)],
    "pin.": ["force", "forbid"],
    "status.": [s.value for s in Status],
    "tag.": ["disabled", "elderly", "new_resident"],
    "audit.": list(DETAILS),
    "space.leave_": ["rented", "street"],
    "audit.detail.": list(DETAILS),
    "messages.to_": ["household", "served", "refused"],
    "channel.": ["email", "webhook"],
    "delivery.": [s.value for s in DeliveryState],
    "ballot.state.": ["upcoming", "open", "closed"],
    "ballots.open_": ["upcoming", "open", "closed"],
    "ballot.rule.": ["majority", "common_parts"],
    "result.approval.": ["majority", "common_parts"],
    "vote.mine_": ["online", "paper"],
    "ballot.fact.": list(PLAIN_FACTS),
    "ballot.headline_": ["first", "next"],
    "receipt.": ["counted", "recorded"],
    "figure.": list(OptionFiguresOut.model_fields.keys() - {"position"}),
}


def test_every_key_the_pages_use_has_both_languages():
    sources = [p.read_text() for p in (WEB / "templates").glob("*.html")] + [
        p.read_text() for p in WEB.glob("*.py")
    ]
    used = {
        key for text in sources for key in re.findall(r"""\bt\(\s*["']([a-z_.]+[a-z_])["']""", text)
    }
    used |= {
        key
        for text in sources
        for key in re.findall(r"""done\([^)]*?["']([a-z_]+\.[a-z_.]+)["']""", text)
    }
    used -= BUILT_KEYS.keys()
    used |= {prefix + value for prefix, values in BUILT_KEYS.items() for value in values}
    assert used - MESSAGES.keys() == set()
    assert len(used) > 150


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_each_message_has_both_languages_with_the_same_fields(key):
    chinese, english = MESSAGES[key]
    assert chinese.strip() and english.strip()
    field = r"{(\w+)(?::[^}]*)?}"
    assert set(re.findall(field, chinese)) == set(re.findall(field, english))
    # Chinese has no plural forms: a count is said with its measure word in the sentence.
    assert "|" not in "".join(re.findall(r"{[^}]*}", chinese))


RESIDENT_PAGES = [
    "/tonight",
    f"/tonight?evening={PUBLISHED}",
    "/release",
    "/history",
    "/cars",
    "/inbox",
    "/ballots",
    "/ballots/1",
]
STAFF_PAGES = [
    "/staff/night",
    f"/staff/night?evening={PUBLISHED}&space=A-001",
    f"/staff/night/{PUBLISHED}/gate",
    f"/staff/night/{PUBLISHED}/morning",
    "/staff/households",
    "/staff/spaces",
    "/staff/spaces?space=A-001",
    "/staff/audit",
    "/staff/messages",
    f"/staff/night?evening={PUBLISHED}&space=A-010",
    "/staff/ballots",
    "/staff/ballots/1",
]


@pytest.mark.parametrize(
    "language, html_lang, sign_out", [("zh", "zh-CN", "退出"), ("en", "en", "Sign out")]
)
def test_every_page_renders_in_both_languages(site, language, html_lang, sign_out):
    pages = [
        (resident(site, language=language), RESIDENT_PAGES),
        (resident(site, "refused tonight", language), [f"/tonight?evening={PUBLISHED}"]),
        (staff(site, language), STAFF_PAGES),
    ]
    for browser, paths in pages:
        for path in paths:
            reply = browser.get(path)
            assert reply.status_code == 200, (path, reply.text[:500])
            assert f'<html lang="{html_lang}">' in reply.text and sign_out in reply.text, path
            assert not re.search(r"{\w+}", reply.text.split("<main", 1)[1]), (
                f"an unfilled field on {path}"
            )
    for path in ("/signin", "/activate"):
        assert f'<html lang="{html_lang}">' in Browser(site, language=language).get(path).text


def test_chinese_is_the_default_and_the_switch_is_remembered_and_stays_on_this_site(site):
    browser = Browser(site)
    assert "登录" in browser.get("/signin").text
    reply = browser.get("/language/en?back=/signin")
    assert reply.status_code == 303 and reply.headers["location"] == "/signin"
    assert 'lang="en"' in browser.get("/signin").text and "Sign in" in browser.get("/signin").text
    assert browser.get("/language/en?back=https://elsewhere.example/").headers["location"] == "/"
    assert browser.get("/language/en?back=//elsewhere.example/").headers["location"] == "/"
    assert browser.get("/language/xx?back=/signin").headers.get("set-cookie") is None


def test_wrong_password_is_refused_in_the_readers_language(site):
    reply = Browser(site).post("/signin", {"username": "staff", "password": "nope"}, "/signin")
    assert reply.status_code == 401 and "用户名或密码错误" in reply.text
    english = Browser(site, language="en").post(
        "/signin", {"username": "staff", "password": "nope"}, "/signin"
    )
    assert "Wrong username or password" in english.text


def test_pages_need_a_session_and_the_right_role(site):
    anonymous = Browser(site)
    reply = anonymous.get(f"/tonight?evening={PUBLISHED}")
    assert (
        reply.status_code == 303
        and reply.headers["location"] == f"/signin?next=%2Ftonight%3Fevening%3D{PUBLISHED}"
    )
    assert resident(site).get("/staff/night").status_code == 403
    assert staff(site).get("/tonight").status_code == 403
    signed_in = resident(site)
    # After signing in with ?next=, the browser lands where it was going.
    again = Browser(site).post(
        "/signin",
        {
            "username": site.demo.username("refused tonight"),
            "password": "resident-demo",
            "next": "/history",
        },
        "/signin",
    )
    assert again.headers["location"] == "/history"
    assert signed_in.post("/signout").status_code == 303
    assert signed_in.get("/tonight").status_code == 303


def _requests(site) -> list[ParkingRequest]:
    with site.app.state.sessions() as session:
        return list(session.scalars(select(ParkingRequest).order_by(ParkingRequest.id)))


def test_a_post_without_the_form_token_changes_nothing(site):
    browser = resident(site)
    before = len(_requests(site))
    car = re.search(r'<option value="(\d+)"', browser.get("/tonight").text).group(1)
    reply = browser.client.post(
        "/requests",
        data={
            "evening": NEXT.isoformat(),
            "car_id": car,
            "arrive": "22:00",
            "depart": "07:00",
            "csrf": "0" * 32,
        },
    )
    assert reply.status_code == 403 and "页面已过期" in reply.text
    assert len(_requests(site)) == before


def test_a_request_sent_through_the_form_is_stored_with_its_needs_and_shown(site):
    browser = resident(site, language="en")
    page = browser.get("/tonight").text
    car = re.search(r'<option value="(\d+)"', page).group(1)
    reply = browser.post(
        "/requests",
        {
            "evening": NEXT.isoformat(),
            "car_id": car,
            "arrive": "22:10",
            "depart": "07:40",
            "needs": ["ev_charger"],
            "needs_for": car,
        },
        token_from="/tonight",
    )
    assert reply.status_code == 303
    shown = browser.get(reply.headers["location"]).text
    assert "Your request is in." in shown and "22:10–07:40 · EV charger" in shown
    stored = _requests(site)[-1]
    assert (stored.arrive, stored.depart, stored.needs) == (
        22 * 60 + 10,
        24 * 60 + 7 * 60 + 40,
        ["ev_charger"],
    )
    # The engine sees the stay's needs, not the car's.
    assert (
        staff(site).post(f"/staff/night/{NEXT}/run", token_from="/staff/night").status_code == 303
    )
    with site.app.state.sessions() as session:
        run = session.scalars(select(Run).order_by(Run.id.desc())).first()
    asked = next(r for r in run.scenario.requests if r.id == f"q{stored.id}")
    assert asked.needs == ["ev_charger"]


@pytest.mark.parametrize(
    "arrive, depart, message",
    [("22:00", "21:00", "离开时间必须晚于到达时间"), ("25:99", "07:00", "到达时间无效")],
)
def test_an_impossible_stay_is_refused_in_the_readers_language_and_nothing_is_stored(
    site, arrive, depart, message
):
    browser = resident(site)
    car = re.search(r'<option value="(\d+)"', browser.get("/tonight").text).group(1)
    before = len(_requests(site))
    reply = browser.post(
        "/requests",
        {"evening": NEXT.isoformat(), "car_id": car, "arrive": arrive, "depart": depart},
        token_from="/tonight",
    )
    assert reply.status_code == 422 and message in reply.text
    assert f'value="{arrive}"' in reply.text  # the form keeps what was typed
    assert len(_requests(site)) == before


def test_after_the_cutoff_the_form_moves_to_the_next_evening_and_a_late_post_is_refused(site):
    browser = resident(site, language="en")
    car = re.search(r'<option value="(\d+)"', browser.get("/tonight").text).group(1)
    site.now = site.now.replace(hour=14)  # 22:00 in Shanghai
    page = browser.get("/tonight").text
    assert "Requests closed at" in page and 'name="evening" value="2026-11-26"' in page
    reply = browser.post(
        "/requests",
        {"evening": NEXT.isoformat(), "car_id": car, "arrive": "22:30", "depart": "07:00"},
        token_from="/tonight",
    )
    assert reply.status_code == 409 and "Requests for this night are closed." in reply.text


def test_standing_requests_are_added_listed_and_removed(site):
    browser = resident(site, language="en")
    car = re.search(
        r'id="standing-car" name="car_id"><option value="(\d+)"', browser.get("/tonight").text
    ).group(1)
    refused = browser.post(
        "/standing-requests",
        {"car_id": car, "arrive": "22:00", "depart": "07:00"},
        token_from="/tonight",
    )
    assert refused.status_code == 422 and "Choose at least one evening." in refused.text
    added = browser.post(
        "/standing-requests",
        {"car_id": car, "arrive": "22:00", "depart": "07:00", "weekdays": ["0", "4"]},
        token_from="/tonight",
    )
    page = browser.get(added.headers["location"]).text
    assert "Mon, Fri, 22:00–07:00" in page
    standing = re.search(r'action="/standing-requests/(\d+)/remove"', page).group(1)
    removed = browser.post(f"/standing-requests/{standing}/remove", token_from="/tonight")
    assert "No standing requests." in browser.get(removed.headers["location"]).text


def test_a_renter_releases_a_range_and_an_overlap_is_refused(site):
    browser = resident(site, language="en")
    space = site.renter_space
    first, last = NEXT.replace(day=26), NEXT.replace(day=28)
    reply = browser.post(
        "/release",
        {"space": space, "first": first.isoformat(), "last": last.isoformat()},
        token_from="/release",
    )
    assert reply.status_code == 303
    page = browser.get(reply.headers["location"]).text
    assert "Space released." in page and f"{space}: 26 Nov 2026 to 28 Nov 2026" in page
    again = browser.post(
        "/release",
        {"space": space, "first": last.isoformat(), "last": last.isoformat()},
        token_from="/release",
    )
    assert again.status_code == 409 and "overlap a release you already made" in again.text
    backwards = browser.post(
        "/release",
        {"space": space, "first": last.isoformat(), "last": first.isoformat()},
        token_from="/release",
    )
    assert backwards.status_code == 422 and "cannot be before the first" in backwards.text
    with site.app.state.sessions() as session:
        assert (
            len(session.scalars(select(Release).where(Release.first_evening == first)).all()) == 1
        )


def test_the_refused_resident_reads_why_and_the_history_counts_it(site):
    browser = resident(site, "refused tonight", language="en")
    page = browser.get(f"/tonight?evening={PUBLISHED}").text
    assert "No space this night" in page
    assert any(MESSAGES[f"refused.reason.{r.value}"][1] in page for r in Reason)
    why = re.search(r'<p class="why">([^<]+)</p>', page).group(1)
    chinese = re.search(
        r'<p class="why">([^<]+)</p>',
        resident(site, "refused tonight").get(f"/tonight?evening={PUBLISHED}").text,
    ).group(1)
    assert (
        why[0].isupper()
        and "space" in why
        and "车位" in chinese
        and not re.search(r"[A-Za-z]{3,}", chinese)
    )
    assert "refused: 1." in browser.get("/history").text


def test_the_served_resident_sees_the_space_the_way_and_the_time_to_leave(site):
    page = resident(site, language="en").get(f"/tonight?evening={PUBLISHED}").text
    space = re.search(r"Space ([A-Z]-\d+)", page).group(1)
    assert "Leave by" in page and 'class="route"' in page and f">{space}</text>" in page
    assert 'class="space mine"' in page


def test_staff_run_publish_and_the_gate_list_follow_the_night(site):
    desk = staff(site, language="en")
    assert (
        f'href="/staff/night?evening={NEXT}" rel="next"'
        in desk.get(f"/staff/night?evening={PUBLISHED}").text
    )
    assert "Not allocated yet." in desk.get(f"/staff/night?evening={NEXT}").text
    assert desk.post(f"/staff/night/{NEXT}/publish", token_from="/staff/night").status_code == 409
    ran = desk.post(f"/staff/night/{NEXT}/run", token_from="/staff/night")
    assert "Allocated (draft)." in desk.get(ran.headers["location"]).text
    published = desk.post(f"/staff/night/{NEXT}/publish", token_from="/staff/night")
    assert "Published." in desk.get(published.headers["location"]).text
    gate = desk.get(f"/staff/night/{PUBLISHED}/gate").text
    sheet = desk.get(f"/staff/night/{PUBLISHED}/gate.csv").text
    assert sheet.startswith("\ufeff")  # so that Excel reads the plates' Chinese as UTF-8
    rows = list(csv.DictReader(io.StringIO(sheet.removeprefix("\ufeff"))))
    assert rows and all(row["Plate"] in gate and row["Space"] in gate for row in rows)
    assert (
        staff(site).get(f"/staff/night/{PUBLISHED}/gate.csv").text.splitlines()[0]
        == "\ufeff车位,类型,车牌,住户,从,至"
    )
    assert f"{len(rows)} cars" in gate


def test_a_pin_from_the_space_panel_is_listed_and_removed(site):
    desk = staff(site, language="en")
    panel = desk.get(f"/staff/night?evening={PUBLISHED}&space=A-001").text
    assert "Stays on space A-001" in panel
    request_id, label = re.search(
        r'id="pin-request" name="request_id">\s*<option value="(\d+)">(\S+ \S+) ', panel
    ).groups()
    # The published night takes pins for its re-optimisation.
    reply = desk.post(
        f"/staff/night/{PUBLISHED}/pins",
        {
            "request_id": request_id,
            "space": "A-001",
            "action": "forbid",
            "reason": "blocked by works",
        },
        token_from="/staff/night",
    )
    page = desk.get(reply.headers["location"]).text
    assert (
        f"{label}: Keep off this space A-001 (blocked by works)" in page
    )  # household and plate, not a row id
    pin = re.search(r"/pins/(\d+)/remove", page).group(1)
    removed = desk.post(f"/staff/night/{PUBLISHED}/pins/{pin}/remove", token_from="/staff/night")
    assert "Removed." in desk.get(removed.headers["location"]).text


def test_the_morning_round_records_overstays_and_closes_the_night(site):
    desk = staff(site, language="en")
    page = desk.get(f"/staff/night/{PUBLISHED}/morning").text
    spaces = re.findall(r'name="spaces" value="([^"]+)"', page)
    reply = desk.post(
        f"/staff/night/{PUBLISHED}/morning", {"spaces": spaces[:1]}, token_from="/staff/night"
    )
    closed = desk.get(reply.headers["location"]).text
    assert "Overstays recorded for:" in closed and "Correct the record" in closed
    assert re.search(rf'name="spaces" value="{spaces[0]}" checked', closed)
    assert "closed (overstays recorded)" in desk.get(f"/staff/night?evening={PUBLISHED}").text


def test_the_household_import_names_every_bad_line_and_stores_nothing(site):
    desk = staff(site, language="en")
    assert "480 households" in desk.get("/staff/households").text
    bad = "code,x,y,tags,has_space\n90-101,1,2,,false\n90-102,abc,2,,\n11-203,1,2,,\n"
    reply = desk.post(
        "/staff/households/import",
        files={"file": ("new.csv", bad.encode(), "text/csv")},
        token_from="/staff/households",
    )
    assert reply.status_code == 422
    assert (
        "Line 3, x: Position x must be a number (metres)." in reply.text
        and "Line 4, code: That household already exists." in reply.text
    )
    assert "480 households" in desk.get("/staff/households").text
    good = desk.post(
        "/staff/households/import",
        files={"file": ("new.csv", b"code,x,y\n90-101,1,2\n90-102,3,4\n", "text/csv")},
        token_from="/staff/households",
    )
    # A good file is imported in the background: the households page follows it.
    assert good.status_code == 303 and "/staff/households?import=" in good.headers["location"]
    job = desk.get(good.headers["location"])
    for _ in range(600):
        if "Importing new.csv" not in job.text:
            break
        assert '<meta http-equiv="refresh" content="2">' in job.text
        time.sleep(0.05)
        job = desk.get(good.headers["location"])
    assert "Imported 2 households" in job.text and "482 households" in job.text
    code = re.search(r"Activation code for 90-101: ([A-Z0-9]+)", job.text).group(1)
    # The codes are shown once.
    again = desk.get(good.headers["location"]).text
    assert "have been" in again and code not in again
    # The new household activates its account on the page with that code.
    newcomer = Browser(site, language="en")
    short = newcomer.post(
        "/activate", {"username": "laiyang/90-101", "code": code, "password": "short"}, "/activate"
    )
    assert short.status_code == 422
    activated = newcomer.post(
        "/activate",
        {"username": "laiyang/90-101", "code": code, "password": "a-long-password"},
        "/activate",
    )
    assert activated.status_code == 303 and activated.headers["location"] == "/tonight"
    assert (
        newcomer.post(
            "/activate",
            {"username": "laiyang/90-101", "code": code, "password": "a-long-password"},
            "/activate",
        ).status_code
        == 401
    )


def test_spaces_are_added_and_changed_with_errors_named(site):
    desk = staff(site, language="en")
    added = desk.post(
        "/staff/spaces",
        {
            "code": "Z-001",
            "kind": "street",
            "size": "large",
            "x": "1",
            "y": "2",
            "ev_charger": "true",
        },
        token_from="/staff/spaces",
    )
    assert "Space added." in desk.get(added.headers["location"]).text
    bad = desk.post(
        "/staff/spaces",
        {"code": "Z-002", "kind": "street", "size": "standard", "x": "east", "y": "2"},
        token_from="/staff/spaces",
    )
    assert bad.status_code == 422 and "Position x must be a number (metres)." in bad.text
    changed = desk.post(
        "/staff/spaces/Z-001",
        {"size": "standard", "windows": "20:00-08:00"},
        token_from="/staff/spaces",
    )
    page = desk.get(changed.headers["location"]).text
    assert "Space saved." in page and "20:00-08:00" in page
    wrong_renter = desk.post(
        "/staff/spaces/Z-001",
        {"size": "standard", "renter": "no-such-flat"},
        token_from="/staff/spaces",
    )
    assert wrong_renter.status_code == 422


def test_long_lists_are_found_by_code_a_page_at_a_time(site):
    desk = staff(site, language="en")
    first, second = desk.get("/staff/households").text, desk.get("/staff/households?page=2").text
    rows = lambda page: re.findall(r"<tr><td>([^<]+)</td>", page)  # noqa: E731
    assert (
        len(rows(first)) == 50
        and not set(rows(first)) & set(rows(second))
        and "Page 2 of 10" in second
    )
    found = desk.get("/staff/households?q=11-20").text
    assert rows(found) and all("11-20" in code for code in rows(found)) and "found" in found
    assert (
        desk.get("/staff/households?page=abc").status_code == 200
        and desk.get("/staff/households?page=999").status_code == 200
    )
    assert "A-001" in desk.get("/staff/spaces?q=a-00").text


def test_a_request_taken_at_the_desk_names_the_car_by_household_and_plate(site):
    desk = staff(site, language="en")
    unknown = desk.post(
        f"/staff/night/{NEXT}/urgent",
        {
            "household": "11-203",
            "plate": "沪X00000",
            "arrive": "23:00",
            "depart": "06:00",
            "reason": "nurse on call",
        },
        token_from="/staff/night",
    )
    assert (
        unknown.status_code == 404 and "That household has no car with this plate." in unknown.text
    )
    with site.app.state.sessions() as session:
        plate = session.scalar(select(Car.plate).join(Household).where(Household.code == "11-203"))
    before = len(_requests(site))
    added = desk.post(
        f"/staff/night/{NEXT}/urgent",
        {
            "household": "11-203",
            "plate": plate,
            "arrive": "23:00",
            "depart": "06:00",
            "reason": "nurse on call",
        },
        token_from="/staff/night",
    )
    assert (
        "Request added" in desk.get(added.headers["location"]).text
        and len(_requests(site)) == before + 1
    )
    assert "request taken at the desk" in desk.get("/staff/audit").text


def test_the_log_says_each_entry_in_the_readers_language(site):
    # The demo's import and runs are logged with their parameters; an entry from before
    # parameters were kept (migration 0009) is shown as it was stored.
    with site.make_app().state.sessions() as session:
        old = "night 2026-11-20: run 1, optimal"
        session.add(AuditEntry(at=BEFORE_CUTOFF, compound_id=COMPOUND, action="run", detail=old))
        session.commit()
    chinese = staff(site, "zh").get("/staff/audit").text
    english = staff(site, "en").get("/staff/audit").text
    published = "2026年11月24日之夜：第"
    assert published in chinese and "night 2026-11-24" not in chinese
    assert "Night of 24 Nov 2026: run" in english
    assert old in chinese and old in english


def test_a_release_withdrawn_at_the_desk_takes_the_space_back_for_that_evening(site):
    desk = staff(site, language="en")
    panel = desk.get(f"/staff/night?evening={PUBLISHED}&space=A-010").text
    assert "The renter came back early" in panel
    reply = desk.post(
        f"/staff/night/{PUBLISHED}/withdraw-release",
        {"space": "A-010", "reason": "came home early"},
        token_from="/staff/night",
    )
    page = desk.get(reply.headers["location"]).text
    assert "release is taken back." in page and "The renter came back early" not in page
    again = desk.post(
        f"/staff/night/{PUBLISHED}/withdraw-release",
        {"space": "A-010", "reason": "came home early"},
        token_from="/staff/night",
    )
    assert again.status_code == 404 and "This space is not released this evening." in again.text


def test_a_resident_registers_a_car_and_a_taken_plate_is_refused(site):
    browser = resident(site, language="en")
    added = browser.post(
        "/cars", {"plate": "沪z12345", "size": "small", "needs": ["ev_charger"]}, token_from="/cars"
    )
    page = browser.get(added.headers["location"]).text
    assert "Car registered." in page and "沪Z12345</strong> · small · EV charger" in page
    with site.app.state.sessions() as session:
        taken = session.scalar(select(Car.plate).join(Household).where(Household.code == "29-604"))
    refused = browser.post("/cars", {"plate": taken, "size": "standard"}, token_from="/cars")
    assert refused.status_code == 409 and "That plate is already registered" in refused.text


def test_a_renter_takes_a_release_back_on_the_page(site):
    browser = resident(site, language="en")
    browser.post(
        "/release",
        {"space": site.renter_space, "first": "2026-11-26", "last": "2026-11-27"},
        token_from="/release",
    )
    release = re.search(r'action="/release/(\d+)/take-back"', browser.get("/release").text).group(1)
    reply = browser.post(f"/release/{release}/take-back", token_from="/release")
    page = browser.get(reply.headers["location"]).text
    assert "Taken back for the evenings still open." in page and "No releases yet." in page
    again = browser.post(f"/release/{release}/take-back", token_from="/release")
    assert again.status_code == 404 and "That item is not there" in again.text
