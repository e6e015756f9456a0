"""The night as it is lived, in Debian's Chromium at 390 px (issue 14): the printed sheet of
space codes read back from its PDF leads a resident to check in, the gate answers for a plate,
a no-show's space is offered and taken, an offer not taken in time passes on, and the morning
round counts the cars that left. Screenshots at 360, 390 and 1280 px in both languages; axe-core
on every new page."""

from __future__ import annotations

import re
from datetime import timedelta

import pypdfium2
import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from service.actions.live import sweep_current_nights
from service.demo import RESIDENT_PASSWORD
from tests.web.live_night import DURING_THE_NIGHT, SERVED, no_show_with_an_offer, stay_of
from tests.web.test_browser import ARTEFACTS, SIGN_IN_LABELS, _page, _shoot, _sign_in
from tests.web.web_site import PUBLISHED

GATE = f"/staff/night/{PUBLISHED}/gate"


def _phone(chromium, base_url, who: str, password: str, language: str = "zh") -> Page:
    page = _page(chromium, base_url, "phone390", language)
    _sign_in(page, who, password, SIGN_IN_LABELS[language])
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def _no_axe_violations(page: Page) -> None:
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []


def _codes_in_pdf(pdf: bytes) -> list[str]:
    """Every QR code on every page of the printed sheet, decoded from pixels."""
    found = []
    document = pypdfium2.PdfDocument(pdf)
    for index in range(len(document)):
        image = document[index].render(scale=3).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(image)]
    return found


def test_the_printed_code_of_a_space_leads_its_resident_to_check_in(chromium, base_url, site):
    site.now = DURING_THE_NIGHT
    desk = _page(chromium, base_url, "desk")
    _sign_in(desk, "staff", "staff-demo")
    desk.goto("/staff/codes")
    desk.emulate_media(media="print")
    pdf = desk.pdf(prefer_css_page_size=True)
    codes = _codes_in_pdf(pdf)
    stay = stay_of(site, SERVED)
    assert len(codes) == desk.locator("li.label").count() > 300
    url = next(code for code in codes if code.endswith(f"/s/{stay.space}"))
    assert url == f"{base_url}/s/{stay.space}"

    phone = _phone(chromium, base_url, site.demo.username(SERVED), RESIDENT_PASSWORD)
    phone.goto(url)
    expect(phone.get_by_role("heading", name="这是您今晚的车位")).to_be_visible()
    phone.get_by_role("button", name=re.compile("^签到")).click()
    expect(phone.get_by_text("23:00 已签到")).to_be_visible()
    _no_axe_violations(phone)
    _shoot(phone, "live-space-code-zh")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_gate_page_answers_for_a_plate_on_a_phone(chromium, base_url, site, language):
    site.now = DURING_THE_NIGHT
    stay = stay_of(site, SERVED)
    phone = _phone(chromium, base_url, "staff", "staff-demo", language)
    phone.goto("/staff/gate")
    expect(phone).to_have_url(re.compile(f"/staff/night/{PUBLISHED}/gate$"))
    phone.get_by_label(
        "车牌（可只输入一部分）" if language == "zh" else "Plate (part of it will do)"
    ).fill(stay.plate[1:].lower())
    phone.get_by_role("button", name="查询" if language == "zh" else "Look up").click()
    answer = phone.locator("#answer")
    expect(answer).to_have_text("今晚可以停" if language == "zh" else "May park tonight")
    expect(phone.locator(".answer-stay .big")).to_have_text(stay.space)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    _no_axe_violations(phone)
    _shoot(phone, f"live-gate-answer-{language}")
    phone.get_by_role(
        "button", name=re.compile("^签到" if language == "zh" else "^Check in")
    ).click()
    expect(phone.locator("p.notice")).to_be_visible()
    expect(phone.locator(".answer-stay .tag.ok")).to_contain_text("23:00")


def test_a_no_show_is_offered_taken_and_an_offer_not_taken_passes_on(chromium, base_url, site):
    site.now = DURING_THE_NIGHT
    freed, offered_to = no_show_with_an_offer(site)
    gate = _phone(chromium, base_url, "staff", "staff-demo", "en")
    gate.goto(f"{GATE}?plate={freed.plate}")
    gate.get_by_role("button", name="Did not come: offer the space").click()
    expect(gate.locator("p.notice")).to_have_text(re.compile("Marked as a no-show"))

    waiting = _phone(chromium, base_url, offered_to, RESIDENT_PASSWORD, "en")
    waiting.goto(f"/tonight?evening={PUBLISHED}")
    offer = waiting.locator(".offer")
    expect(offer).to_contain_text(f"Space {freed.space}")
    expect(offer).to_contain_text("Take it by 23:15")
    _no_axe_violations(waiting)
    _shoot(waiting, "live-offer-en")

    # Not taken in time: the clock passes it on; the stale page's button says so.
    site.now = DURING_THE_NIGHT + timedelta(minutes=15)
    with site.app.state.sessions() as session:
        assert sweep_current_nights(session, site.now).expired == 1
    waiting.get_by_role("button", name="Take this space").click()
    expect(waiting.locator(".errors")).to_contain_text("can no longer be taken")
    waiting.goto(f"/tonight?evening={PUBLISHED}")
    expect(waiting.locator(".offer")).to_have_count(0)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_morning_round_on_a_phone_counts_cars_that_left(chromium, base_url, site, language):
    site.now = DURING_THE_NIGHT
    stay = stay_of(site, SERVED)
    resident = _phone(chromium, base_url, site.demo.username(SERVED), RESIDENT_PASSWORD, language)
    resident.goto(f"/s/{stay.space}")
    resident.get_by_role(
        "button", name=re.compile("^签到" if language == "zh" else "^Check in")
    ).click()
    site.now = stay.end - timedelta(minutes=20)
    resident.goto(f"/s/{stay.space}")
    resident.get_by_role(
        "button", name="我的车已驶离" if language == "zh" else "My car has left"
    ).click()
    expect(resident.locator(".tag.ok")).to_contain_text("已驶离" if language == "zh" else "Left at")

    site.now = stay.end + timedelta(hours=2)
    round_ = _phone(chromium, base_url, "staff", "staff-demo", language)
    round_.goto(f"/staff/night/{PUBLISHED}/morning")
    left = round_.locator("li.stay", has_text=stay.space)
    expect(left).to_contain_text("已驶离" if language == "zh" else "Left at")
    expect(left.locator("input")).to_have_count(0)
    search = round_.get_by_label(
        "按车牌或车位查找" if language == "zh" else "Find by plate or space"
    )
    search.fill(stay.plate[-4:])
    visible = round_.locator("li.stay:visible")
    assert 1 <= visible.count() < round_.locator("li.stay").count()
    search.fill("")
    assert round_.evaluate("document.documentElement.scrollWidth") <= 390
    _no_axe_violations(round_)
    _shoot(round_, f"live-morning-{language}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_space_codes_sheet_passes_axe(chromium, base_url, site, language):
    desk = _page(chromium, base_url, "desk", language)
    _sign_in(desk, "staff", "staff-demo", SIGN_IN_LABELS[language])
    desk.goto("/staff/codes")
    _no_axe_violations(desk)
    desk.set_viewport_size({"width": 1280, "height": 900})
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=ARTEFACTS / f"live-codes-{language}-desk.png")
