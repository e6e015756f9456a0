"""Charging sessions on the pages (issue 16): a resident asks to charge from the Tonight page
where the compound has shared chargers, and reads the charger given; staff see the chargers on
the night's map and the sessions on each. Over HTTP, then in Debian's Chromium at 390 and 1280 px
in both languages, with axe-core."""

from __future__ import annotations

import html
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from service.compounds import resident_account
from service.demo import CHARGE_POINTS, COMPOUND, RESIDENT_PASSWORD
from service.models import Household, ParkingRequest, Run, Space
from service.security import hash_secret
from tests.web.test_browser import SIGN_IN_LABELS, _page, _shoot, _sign_in
from tests.web.web_site import NEXT, PUBLISHED, Browser, resident, staff

MY_CHARGER = {"zh": "我的充电桩", "en": "My charger"}
WORDS = {
    "zh": ("给车充电", "开始充电", "充电结束", "申请充电", "充电申请已提交。"),
    "en": (
        "Charge my car",
        "Charge from",
        "Until",
        "Ask to charge",
        "Your charging request is in.",
    ),
}


def _charge_form(car: str, arrive: str = "18:30", depart: str = "21:00") -> dict:
    return {
        "evening": NEXT.isoformat(),
        "car_id": car,
        "arrive": arrive,
        "depart": depart,
        "charging": "true",
    }


def _session_holder(site) -> tuple[str, str]:
    """A household of the demo whose charging session was served on the published night, and
    the charger it was given."""
    with site.make_app().state.sessions() as session:
        run = session.scalars(select(Run).order_by(Run.id)).first()
    charging = {r.id for r in run.scenario.requests if r.charging}
    served = next(a for a in run.allocation.assignments if a.request in charging)
    return served.household, served.space


def test_a_resident_asks_to_charge_and_the_session_is_stored_beside_a_stay(site):
    browser = resident(site, language="en")
    page = browser.get("/tonight").text
    assert "Charge my car" in page and f"The compound has {CHARGE_POINTS} shared chargers" in page
    assert "The chargers' shared hours: 17:00–09:00." in html.unescape(page)
    car = re.search(r'<option value="(\d+)"', page).group(1)
    stay = browser.post(
        "/requests",
        {"evening": NEXT.isoformat(), "car_id": car, "arrive": "22:10", "depart": "07:40"},
        token_from="/tonight",
    )
    charged = browser.post("/requests", _charge_form(car), token_from="/tonight")
    assert (stay.status_code, charged.status_code) == (303, 303)
    shown = browser.get(charged.headers["location"]).text
    assert "Your charging request is in." in shown
    assert re.search(r'<span class="tag">Charging</span> \S+ · 18:30–21:00', shown), shown
    with site.app.state.sessions() as session:
        kept = session.scalars(select(ParkingRequest).order_by(ParkingRequest.id.desc())).first()
    assert (kept.charging, kept.needs, kept.arrive, kept.depart) == (
        True,
        ["ev_charger"],
        18 * 60 + 30,
        21 * 60,
    )
    again = browser.post("/requests", _charge_form(car, "19:00"), token_from="/tonight")
    assert again.status_code == 409
    assert "This car already has a charging session for this night" in again.text


def test_a_compound_without_chargers_offers_no_charging(site):
    with site.make_app().state.sessions.begin() as session:
        for space in session.scalars(select(Space).where(Space.kind == "charger")):
            space.features = []
    page = resident(site, language="en").get("/tonight").text
    assert "Charge my car" not in page


def _sign_up_session_holder(site) -> tuple[str, str]:
    """The household given a charger on the published night, with the demo's password."""
    household, charger = _session_holder(site)
    with site.make_app().state.sessions.begin() as session:
        row = session.scalars(
            select(Household).where(Household.compound_id == COMPOUND, Household.code == household)
        ).one()
        resident_account(session, row).password_hash = hash_secret(RESIDENT_PASSWORD)
    return household, charger


def test_the_household_given_a_charger_reads_it_in_its_words(site):
    household, charger = _sign_up_session_holder(site)
    for language, title in (("en", "My charger"), ("zh", "我的充电桩")):
        browser = Browser(site, f"{COMPOUND}/{household}", RESIDENT_PASSWORD, language)
        page = browser.get(f"/tonight?evening={PUBLISHED}").text
        assert title in page and charger in page


def test_the_nights_map_marks_every_shared_charger(site):
    page = staff(site, "en").get(f"/staff/night?evening={PUBLISHED}").text
    assert page.count('class="bolt"') == CHARGE_POINTS + 1  # and the legend's
    assert "C-01: " in page and "Shared charger" in page
    # The refused sessions are tagged in the night's list of refusals.
    assert '<span class="tag">Charging</span>' in page
    stays = staff(site, "en").get(f"/staff/night?evening={PUBLISHED}&space=C-01").text
    assert "C-01" in stays


def _no_axe_violations(page: Page) -> None:
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_asking_to_charge_on_a_phone(chromium, base_url, site, language):
    title, from_label, until_label, button, saved = WORDS[language]
    phone = _page(chromium, base_url, "phone390", language)
    _sign_in(
        phone, site.demo.username("refused tonight"), RESIDENT_PASSWORD, SIGN_IN_LABELS[language]
    )
    phone.goto("/tonight")
    section = phone.locator("section", has=phone.get_by_role("heading", name=title))
    section.get_by_label(from_label).fill("18:30")
    section.get_by_label(until_label, exact=True).fill("21:00")
    section.get_by_role("button", name=button).click()
    expect(phone.get_by_text(saved)).to_be_visible()
    _no_axe_violations(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shoot(phone, f"charging-tonight-{language}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_nights_map_with_chargers_passes_axe(chromium, base_url, site, language):
    desk = _page(chromium, base_url, "desk", language)
    _sign_in(desk, "staff", "staff-demo", SIGN_IN_LABELS[language])
    desk.goto(f"/staff/night?evening={PUBLISHED}&space=C-01")
    expect(desk.locator("svg.compound .bolt")).to_have_count(CHARGE_POINTS)
    _no_axe_violations(desk)
    _shoot(desk, f"charging-night-map-{language}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_my_charger_on_a_phone(chromium, base_url, site, language):
    household, charger = _sign_up_session_holder(site)
    phone = _page(chromium, base_url, "phone390", language)
    _sign_in(phone, f"{COMPOUND}/{household}", RESIDENT_PASSWORD, SIGN_IN_LABELS[language])
    phone.goto(f"/tonight?evening={PUBLISHED}")
    card = phone.locator("section", has=phone.get_by_role("heading", name=MY_CHARGER[language]))
    expect(card).to_contain_text(charger)
    _no_axe_violations(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shoot(phone, f"charging-mine-{language}")
