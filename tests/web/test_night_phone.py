"""The staff night page on a phone (390 px) in Debian's Chromium (issue 14): its tables stack as
cards, the enlarged map labels every space, a click on a space shows its stays beside the map
without loading the page again (and the link still works without JavaScript), the pin chooser
finds a request by plate or household. axe-core finds no violation; screenshots at 390 and
1280 px in both languages go beside the other pages' (test-artifacts/screenshots/)."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from service.ordering import natural_key
from tests.web.test_browser import ARTEFACTS, _page, _sign_in
from tests.web.web_site import PUBLISHED

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
LABELS = {"zh": ("用户名", "密码", "登录"), "en": ("Username", "Password", "Sign in")}
NIGHT = f"/staff/night?evening={PUBLISHED}"


def _staff(chromium, base_url: str, language: str, **options) -> Page:
    page = _page(chromium, base_url, "phone390", language)
    if options:  # a context of its own (e.g. without JavaScript), signed in the same way
        context = page.context.browser.new_context(viewport=PHONE, base_url=base_url, **options)
        context.add_cookies([{"name": "parking_lang", "value": language, "url": base_url}])
        page.context.close()
        page = context.new_page()
    _sign_in(page, "staff", "staff-demo", LABELS[language])
    return page


def _shoot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for width, size in (("390", PHONE), ("1280", DESK)):
        page.set_viewport_size(size)
        page.screenshot(path=ARTEFACTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size(PHONE)


def _no_axe_violation(page: Page) -> None:
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []


def _a_used_space(page: Page) -> str:
    return page.locator("svg.compound a:has(rect.used)").first.get_attribute("data-space")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_night_page_tables_stack_as_cards_at_390_px(chromium, base_url, language):
    page = _staff(chromium, base_url, language)
    page.goto(NIGHT)
    refused = page.locator("table.cards").last
    rows = refused.locator("tbody tr")
    assert rows.count() > 10
    # Each row a card, each cell under its column's name; nothing wider than the phone.
    assert rows.first.evaluate("row => getComputedStyle(row).display") == "flex"
    header = refused.locator("thead th").first.inner_text()
    assert rows.first.locator("td").first.get_attribute("data-label") == header
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Before (a plain table, each refusal's whole sentence shown) it was wider than the phone
    # and about twice as tall.
    stacked = refused.bounding_box()["height"]
    before = refused.evaluate(
        "t => { t.classList.remove('cards'); const folded = [...t.querySelectorAll('details')];"
        " folded.forEach(d => d.open = true); const h = t.getBoundingClientRect().height;"
        " folded.forEach(d => d.open = false); t.classList.add('cards'); return h; }"
    )
    # Three or four lines a refusal: who and which car, the hours, the reason (2,530 px instead
    # of 4,530 in Chinese, 2,880 instead of 5,690 in English).
    assert stacked < before / 1.7, (stacked, before)
    # A refusal's sentence unfolds under its reason.
    reason = rows.first.locator("details")
    reason.locator("summary").click()
    expect(reason).to_have_attribute("open", "")
    # At the desk the table is a table again.
    page.set_viewport_size(DESK)
    assert rows.first.evaluate("row => getComputedStyle(row).display") == "table-row"
    page.set_viewport_size(PHONE)
    _no_axe_violation(page)
    _shoot(page, f"staff-night-{language}")


def test_a_space_clicked_on_the_map_shows_its_stays_without_reloading(
    chromium,
    base_url,
):
    page = _staff(chromium, base_url, "zh")
    page.goto(f"{NIGHT}&zoom=1")
    expect(page.get_by_text("点击地图上的车位，它的停放情况显示在这里。")).to_be_visible()
    # Enlarged, every space carries its code in 12 px type: readable.
    labels = page.locator("svg.compound text.space-label")
    assert labels.count() == page.locator("svg.compound a[data-space]").count() > 400
    # Rotated along the space: the box's width is the text's line height (1.5 times the font),
    # its height the code's length, within the space's.
    label, space_box = labels.first.bounding_box(), page.locator("svg.compound rect.space").first
    assert 15 <= label["width"] <= 30
    assert label["height"] <= space_box.bounding_box()["height"]
    space = _a_used_space(page)
    page.evaluate("window.stillHere = true")
    page.locator(f"svg.compound a[data-space='{space}']").click()
    expect(page.get_by_role("heading", name=f"车位 {space} 的停放")).to_be_visible()
    expect(page.locator("#stays li").first).to_contain_text("–")
    expect(page.locator("#stays")).to_be_focused()
    assert page.evaluate("window.stillHere") is True  # the same document: no page load
    expect(page).to_have_url(re.compile(f"zoom=1&space={space}"))
    expect(page.locator(f"svg.compound a[data-space='{space}']")).to_have_attribute(
        "aria-current", "true"
    )
    # Another space: the panel follows, still without a page load.
    other = page.locator("svg.compound a:has(rect.free)").first.get_attribute("data-space")
    page.locator(f"svg.compound a[data-space='{other}']").click()
    expect(page.get_by_role("heading", name=f"车位 {other} 的停放")).to_be_visible()
    assert page.evaluate("window.stillHere") is True
    expect(page.locator("svg.compound a[aria-current]")).to_have_count(1)
    _no_axe_violation(page)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for width, size in (("390", PHONE), ("1280", DESK)):
        page.set_viewport_size(size)
        page.locator(".map-and-stays").screenshot(
            path=ARTEFACTS / f"staff-night-map-zoomed-{width}.png"
        )


def test_without_javascript_the_space_link_loads_the_page_with_its_stays(
    chromium,
    base_url,
):
    page = _staff(chromium, base_url, "en", java_script_enabled=False)
    page.goto(NIGHT)
    space = _a_used_space(page)
    page.locator(f"svg.compound a[data-space='{space}']").click()
    expect(page.get_by_role("heading", name=f"Stays on space {space}")).to_be_visible()
    expect(page).to_have_url(re.compile(f"space={space}"))
    expect(page.get_by_label("Find a request by plate or household")).to_be_hidden()
    expect(page.get_by_label("Request", exact=True)).to_be_visible()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_pin_chooser_finds_a_request_by_plate_or_household(chromium, base_url, language):
    page = _staff(chromium, base_url, language)
    page.goto(NIGHT)
    page.locator(f"svg.compound a[data-space='{_a_used_space(page)}']").click()
    chooser = page.locator("#pin-request")
    expect(chooser).to_be_visible()
    options = chooser.locator("option")
    texts = options.all_inner_texts()
    # In reading order of the households (2-... before 10-...).
    households = [text.split()[0] for text in texts]
    assert households == sorted(households, key=natural_key) != sorted(households)
    find = page.get_by_label("按车牌或住户查找申请" if language == "zh" else re.compile("^Find a"))
    # A plate typed without its dot, in lower case, and only its end.
    plate = texts[len(texts) // 2].split()[1]
    find.fill(plate[1:].replace("·", "").lower())
    matching = [text for text in texts if plate in text]
    expect(chooser.locator("option:not([disabled])")).to_have_count(len(matching))
    assert chooser.locator("option:checked").inner_text() in matching
    found = {"zh": f"找到 {len(matching)} 个", "en": f"{len(matching)} found"}[language]
    expect(page.locator("#pin-found")).to_have_text(found)
    # A household's code.
    household = households[-1]
    find.fill(household)
    expect(chooser.locator("option:checked")).to_contain_text(household)
    for text in chooser.locator("option:not([disabled])").all_inner_texts():
        assert household in text
    find.fill("")
    expect(chooser.locator("option:not([disabled])")).to_have_count(len(texts))
    _no_axe_violation(page)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    find.fill(household)
    page.locator("#stays").screenshot(path=ARTEFACTS / f"staff-night-pin-finder-{language}-390.png")
