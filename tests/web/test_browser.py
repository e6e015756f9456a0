"""The pages in Debian's Chromium, driven by Playwright, against the app served on 127.0.0.1 by
the test: a whole night as resident and staff. Screenshots of every page, at phone and desk
widths, go to test-artifacts/screenshots/ (PARKING_ARTEFACTS overrides the folder)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.web.web_site import NEXT, PUBLISHED

WIDTHS = {
    "phone": {"width": 360, "height": 780},
    "phone390": {"width": 390, "height": 844},
    "desk": {"width": 1280, "height": 900},
}
ARTEFACTS = (
    Path(os.environ.get("PARKING_ARTEFACTS", Path(__file__).parents[2] / "test-artifacts"))
    / "screenshots"
)
RESIDENT = "served tonight, rents a space"


def _page(chromium, base_url: str, width: str = "phone", language: str | None = None) -> Page:
    context = chromium.new_context(
        viewport=WIDTHS[width], base_url=base_url, locale="zh-CN" if language != "en" else "en-GB"
    )
    if language:
        context.add_cookies([{"name": "parking_lang", "value": language, "url": base_url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def _sign_in(page: Page, username: str, password: str, labels=("用户名", "密码", "登录")) -> None:
    page.goto("/")
    page.get_by_label(labels[0]).fill(username)
    page.get_by_label(labels[1]).fill(password)
    page.get_by_role("button", name=labels[2]).click()


def _shoot(page: Page, name: str) -> None:
    """The page at both widths, whole length, as artefacts to look at."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=ARTEFACTS / f"{name}-{width}.png", full_page=True)


def _send_request(page: Page, arrive: str, depart: str) -> None:
    form = page.locator("form[action='/requests']")
    form.get_by_label("到达时间").fill(arrive)
    form.get_by_label("离开时间（次日早晨）").fill(depart)
    form.get_by_role("button", name="提交申请").click()


def test_a_resident_signs_in_and_sends_a_request(chromium, base_url, site):
    page = _page(chromium, base_url)
    _sign_in(page, site.demo.username(RESIDENT), "resident-demo")
    expect(page).to_have_url(re.compile("/tonight$"))
    expect(page.get_by_text("申请开放至 2026年11月25日 21:30。")).to_be_visible()
    _shoot(page, "resident-tonight-form")
    page.get_by_label("充电桩").check()
    _send_request(page, "22:10", "07:40")
    expect(page.get_by_role("status")).to_have_text("申请已提交。")
    expect(page.get_by_text("22:10–07:40 · 充电桩")).to_be_visible()


def test_staff_run_and_publish_and_the_resident_finds_the_space_on_the_map(
    chromium, base_url, site
):
    resident = _page(chromium, base_url)
    _sign_in(resident, site.demo.username(RESIDENT), "resident-demo")
    _send_request(resident, "22:00", "06:30")
    expect(resident.get_by_role("status")).to_have_text("申请已提交。")

    desk = _page(chromium, base_url, "desk")
    _sign_in(desk, "staff", "staff-demo")
    expect(desk.get_by_role("heading", level=1)).to_have_text("2026年11月25日星期三 夜间安排")
    expect(desk.get_by_text("还没有运行安排。")).to_be_visible()
    # A confirmation guards each button: dismissing it leaves the night as it was.
    desk.once("dialog", lambda dialog: dialog.dismiss())
    desk.get_by_role("button", name="运行安排").click()
    expect(desk.get_by_text("还没有运行安排。")).to_be_visible()
    desk.once("dialog", lambda dialog: dialog.accept())
    desk.get_by_role("button", name="运行安排").click()
    expect(desk.get_by_role("status")).to_have_text("安排已完成（草案）。")
    expect(desk.get_by_text("已证明没有更好的安排").first).to_be_visible()
    desk.once("dialog", lambda dialog: dialog.accept())
    desk.get_by_role("button", name="发布").click()
    expect(desk.get_by_role("status")).to_have_text("已发布。")
    _shoot(desk, "staff-night-published")

    resident.goto(f"/tonight?evening={NEXT}")
    space = resident.locator(".card.mine .big").inner_text().removeprefix("车位 ").strip()
    expect(resident.get_by_text("请在 06:30 前驶离")).to_be_visible()
    way = resident.get_by_role("img", name="小区地图：您的楼与车位")
    expect(way).to_be_visible()
    expect(way.locator("text.mine-label")).to_have_text(space)
    expect(way.locator("path.route")).to_have_count(1)
    _shoot(resident, "resident-my-space")

    # On the staff map, the space is in use; reached with the keyboard, it shows the stay.
    mark = desk.locator(f"svg.compound a[data-space='{space}']")
    expect(mark).to_have_attribute("aria-label", f"{space}：有车（已安排）")
    mark.focus()
    desk.keyboard.press("Enter")
    expect(desk.get_by_role("heading", name=f"车位 {space} 的停放")).to_be_visible()
    expect(desk.locator("#stays")).to_contain_text("22:00–06:30")
    _shoot(desk, "staff-space-stays")


def test_a_refused_resident_reads_why(chromium, base_url, site):
    page = _page(chromium, base_url)
    _sign_in(page, site.demo.username("refused tonight"), "resident-demo")
    page.goto(f"/tonight?evening={PUBLISHED}")
    card = page.locator(".card.refused")
    expect(card.get_by_role("heading")).to_have_text("这一晚未分到车位")
    expect(card.locator(".big-reason")).not_to_be_empty()
    # The engine's own sentence, in Chinese: what excludes which spaces, with the times.
    expect(card.locator(".why")).to_contain_text("车位")
    _shoot(page, "resident-refused")
    page.goto("/history")
    expect(page.get_by_text("未分到车位 1 晚", exact=False)).to_be_visible()
    _shoot(page, "resident-history")


def test_a_renter_releases_the_space(chromium, base_url, site):
    page = _page(chromium, base_url)
    _sign_in(page, site.demo.username(RESIDENT), "resident-demo")
    page.get_by_role("link", name="让出车位").click()
    page.get_by_label("第一晚").fill("2026-11-26")
    page.get_by_label("最后一晚").fill("2026-11-28")
    page.get_by_role("button", name="让出").click()
    expect(page.get_by_role("status")).to_have_text("车位已让出。")
    expect(
        page.get_by_text(f"{site.renter_space}：2026年11月26日 至 2026年11月28日")
    ).to_be_visible()
    _shoot(page, "resident-release")


def test_the_language_switch_changes_every_page_and_is_remembered(chromium, base_url, site):
    page = _page(chromium, base_url)
    page.goto("/signin")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _sign_in(
        page, site.demo.username(RESIDENT), "resident-demo", ("Username", "Password", "Sign in")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The night of Wednesday, 25 November 2026"
    )
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The last four weeks")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("最近四周")
    expect(page).to_have_url(re.compile("/history$"))


def test_the_gate_list_prints_on_a4_and_downloads_as_csv(chromium, base_url, site):
    page = _page(chromium, base_url, "desk")
    page.add_init_script("window.printed = 0; window.print = () => { window.printed += 1; };")
    _sign_in(page, "staff", "staff-demo")
    page.goto(f"/staff/night/{PUBLISHED}/gate")
    rows = page.locator("table.gate tbody tr")
    expect(rows.first).to_be_visible()
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.printed") == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 CSV", exact=True).click()
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "车位,类型,车牌,住户,从,至" and len(lines) - 1 == rows.count()
    _shoot(page, "staff-gate-list")
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "staff-gate-list.pdf").write_bytes(pdf)
    # A4 (210 x 297 mm) is about 595 x 842 points; Chromium rounds it down by a point.
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and all(
        abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes
    )


def test_screenshots_of_the_other_pages(chromium, base_url, site):
    page = _page(chromium, base_url, language="en")
    page.goto("/signin")
    _shoot(page, "signin-en")
    page.goto("/activate")
    _shoot(page, "activate-en")
    desk = _page(chromium, base_url, "desk")
    _sign_in(desk, "staff", "staff-demo")
    for path, name in [
        (f"/staff/night/{PUBLISHED}/morning", "staff-morning"),
        ("/staff/households", "staff-households"),
        ("/staff/spaces?space=A-001", "staff-spaces"),
    ]:
        desk.goto(path)
        expect(desk.locator("h1")).to_be_visible()
        _shoot(desk, name)


RESIDENT_PAGES = [
    "/tonight",
    f"/tonight?evening={PUBLISHED}",
    "/release",
    "/history",
    "/cars",
    "/inbox",
]
STAFF_PAGES = [
    f"/staff/night?evening={PUBLISHED}&space=A-010",
    f"/staff/night/{PUBLISHED}/gate",
    f"/staff/night/{PUBLISHED}/morning",
    "/staff/households",
    "/staff/spaces?space=A-001",
    "/staff/audit",
    "/staff/messages",
]


SIGN_IN_LABELS = {"zh": ("用户名", "密码", "登录"), "en": ("Username", "Password", "Sign in")}


@pytest.mark.parametrize(
    "language, inbox, served",
    [("zh", "消息", "晚的车位："), ("en", "Inbox", "Your space on the night of")],
)
def test_the_published_night_arrives_in_the_inbox(
    chromium, base_url, site, language, inbox, served
):
    page = _page(chromium, base_url, language=language)
    _sign_in(page, site.demo.username(RESIDENT), "resident-demo", SIGN_IN_LABELS[language])
    menu = page.get_by_role("navigation", name="主菜单" if language == "zh" else "Main menu")
    expect(menu.locator(".badge")).to_have_text(re.compile(r"^[1-9]\d*$"))
    menu.get_by_role("link", name=re.compile(inbox)).click()
    expect(page.locator("h1")).to_have_text(inbox)
    expect(page.locator(".messages")).to_contain_text(served)
    expect(page.locator(".messages li.new").first).to_be_visible()
    _shoot(page, f"inbox-{language}")
    page.goto("/cars")
    expect(menu.locator(".badge")).to_have_count(0)  # read


@pytest.mark.parametrize(
    "language, send, use",
    [("zh", "提交申请", "改为 19:00–07:00"), ("en", "Send request", "Use 19:00–07:00")],
)
def test_a_stay_no_space_takes_is_explained_at_the_form(
    chromium, base_url, site, language, send, use
):
    page = _page(chromium, base_url, language=language)
    _sign_in(page, site.demo.username("refused tonight"), "resident-demo", SIGN_IN_LABELS[language])
    form = page.locator("form[action='/requests']").first
    form.locator("#arrive").fill("16:55")
    form.locator("#depart").fill("08:25")
    form.get_by_role("button", name=send).click()
    expect(page.locator("#unfit")).to_be_visible()
    _shoot(page, f"request-unfit-{language}")
    page.get_by_role("button", name=re.compile(use)).click()
    expect(page.locator("p.notice")).to_be_visible()
    expect(page.locator("#ask")).to_be_visible()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_passes_axe_in_both_languages(chromium, base_url, site, language):
    """axe-core's WCAG rules (labels, names, contrast, landmarks, ARIA, ...): no violation of any
    impact."""
    axe = Axe()
    labels = ("用户名", "密码", "登录") if language == "zh" else ("Username", "Password", "Sign in")
    found = {}
    for who, password, paths in [
        (None, None, ["/signin", "/activate"]),
        (site.demo.username(RESIDENT), "resident-demo", RESIDENT_PAGES),
        (site.demo.username("refused tonight"), "resident-demo", [f"/tonight?evening={PUBLISHED}"]),
        ("staff", "staff-demo", STAFF_PAGES),
    ]:
        page = _page(chromium, base_url, "desk", language)
        if who:
            _sign_in(page, who, password, labels)
        for path in paths:
            page.goto(path)
            violations = axe.run(page).response["violations"]
            if violations:
                found[path] = [
                    (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                    for v in violations
                ]
        page.context.close()
    assert found == {}
