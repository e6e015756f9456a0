"""The ballot in Debian's Chromium at 390 px (a phone), both languages: a resident reads the
summary, votes, changes the vote and reads the posted result; staff make a ballot, watch the
turnout, close it, print the notice (an A4 PDF) and adopt the plan. Screenshots go beside the
other pages' (test-artifacts/screenshots/); axe-core checks every ballot page."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from service.actions import ballots
from service.models import Household
from service.schemas import VoteIn
from tests.web.test_browser import ARTEFACTS, RESIDENT, _page, _sign_in
from tests.web.web_site import NEXT

PHONE = {"width": 390, "height": 844}
LABELS = {"zh": ("用户名", "密码", "登录"), "en": ("Username", "Password", "Sign in")}


def _phone(chromium, base_url: str, language: str) -> Page:
    page = _page(chromium, base_url, "phone", language)
    page.set_viewport_size(PHONE)
    return page


def _shoot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTEFACTS / f"{name}.png", full_page=True)


def _most_vote(site, option: int) -> None:
    """Households of the roll but the demo's resident vote for `option`, through the actions:
    enough (4 in 5) for both two-thirds conditions."""
    app = site.app
    with app.state.sessions() as session:
        households = session.scalars(select(Household).order_by(Household.id)).all()
        mine = site.demo.residents[RESIDENT]
        for household in [h for h in households if h.code != mine][: len(households) * 4 // 5]:
            ballots.vote(
                session=session,
                household=household,
                ballot_id=1,
                body=VoteIn(option=option),
                key=app.state.ballot_key,
                now=site.now,
            )


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_resident_votes_changes_it_and_reads_the_posted_result(
    chromium,
    base_url,
    site,
    language,
):
    words = {
        "zh": ("投票", "修改投票", "您的投票已记录。", "结果：", "核对"),
        "en": ("Vote", "Change my vote", "Your vote is recorded.", "Decided:", "Check"),
    }[language]
    cast, change, recorded, decided, check = words
    page = _phone(chromium, base_url, language)
    _sign_in(page, site.demo.username(RESIDENT), "resident-demo", LABELS[language])
    page.goto("/ballots")
    page.locator("a.button").first.click()
    summary = page.locator("section.summary")
    expect(summary).to_be_visible()
    # The summary comes before the vote; the committee's figures are folded away below it.
    assert summary.bounding_box()["y"] < page.locator("section.vote").bounding_box()["y"]
    expect(page.locator("details.committee table")).to_be_hidden()
    _shoot(page, f"ballot-resident-summary-{language}")
    page.locator("label.choice").nth(0).click()
    page.get_by_role("button", name=cast, exact=True).click()
    expect(page.get_by_role("status")).to_have_text(recorded)
    receipt = page.locator("strong.receipt").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt)
    page.locator("label.choice").nth(1).click()
    page.get_by_role("button", name=change).click()
    expect(page.locator("strong.receipt")).to_have_text(receipt)
    expect(page.locator("label.choice").nth(1).locator("input")).to_be_checked()
    _shoot(page, f"ballot-resident-voted-{language}")
    # The others vote, staff close it: the resident reads the posted result.
    _most_vote(site, option=1)
    desk = _page(chromium, base_url, "desk", language)
    _sign_in(desk, "staff", "staff-demo", LABELS[language])
    desk.goto("/staff/ballots/1")
    desk.once("dialog", lambda dialog: dialog.accept())
    desk.locator("form[action='/staff/ballots/1/close'] button").click()
    expect(desk.locator("section.result")).to_be_visible()
    page.goto("/ballots/1")
    expect(page.locator("section.result .big-reason")).to_contain_text(decided)
    code = "回执码" if language == "zh" else "Receipt code"
    page.get_by_role("textbox", name=code).fill(receipt.lower())
    page.get_by_role("button", name=check).click()
    expect(page.get_by_role("status")).to_contain_text(receipt)
    _shoot(page, f"ballot-resident-result-{language}")


def test_staff_make_a_ballot_watch_close_print_and_adopt(chromium, base_url, site):
    desk = _phone(chromium, base_url, "zh")
    desk.add_init_script("window.printed = 0; window.print = () => { window.printed += 1; };")
    _sign_in(desk, "staff", "staff-demo")
    desk.goto("/staff/ballots")
    desk.get_by_label("投票事项").fill("潮汐车位提早到 19:00 开放吗？")
    desk.get_by_label("选项 1").select_option("earlier-hours")
    desk.get_by_label("选项 2").select_option("none")
    desk.get_by_label("选项 3").select_option("")
    _shoot(desk, "ballot-staff-new")
    desk.get_by_role("button", name="发起投票并开始模拟").click()
    expect(desk.get_by_role("status").first).to_have_text("投票已发起，正在模拟各方案。")
    expect(desk).to_have_url(re.compile("/staff/ballots/2"))
    # The demo's open ballot: the turnout moves, no choice shows.
    _most_vote(site, option=0)
    desk.goto("/staff/ballots/1")
    expect(desk.locator(".figures dd").first).to_contain_text(" / 480")
    _shoot(desk, "ballot-staff-turnout")
    desk.once("dialog", lambda dialog: dialog.accept())
    desk.get_by_role("button", name="现在截止并计票").click()
    expect(desk.get_by_role("status")).to_have_text("投票已截止并计票，结果已公示。")
    expect(desk.locator("section.result .big-reason")).to_contain_text("获得通过")
    desk.get_by_label("从哪一晚起执行").fill(str(NEXT))
    desk.once("dialog", lambda dialog: dialog.accept())
    desk.get_by_role("button", name="执行方案").click()
    expect(desk.get_by_role("status")).to_have_text("方案已设定生效日期。")
    _shoot(desk, "ballot-staff-adopted")
    desk.get_by_role("link", name="打印公示").click()
    desk.get_by_role("button", name="打印").click()
    assert desk.evaluate("window.printed") == 1
    desk.emulate_media(media="print")
    expect(desk.get_by_role("button", name="打印")).to_be_hidden()
    pdf = desk.pdf(prefer_css_page_size=True)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "ballot-notice.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    # One A4 page (about 595 x 842 points).
    assert len(boxes) == 1 and all(
        abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes
    )
    desk.emulate_media(media="screen")
    _shoot(desk, "ballot-notice")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_ballot_pages_pass_axe(chromium, base_url, site, language):
    axe = Axe()
    found = {}

    def check(page: Page, paths: list[str]) -> None:
        for path in paths:
            page.goto(path)
            violations = axe.run(page).response["violations"]
            if violations:
                found[path] = [(v["id"], v["impact"]) for v in violations]

    resident = _phone(chromium, base_url, language)
    _sign_in(resident, site.demo.username(RESIDENT), "resident-demo", LABELS[language])
    resident.goto("/ballots/1")
    resident.locator("label.choice").nth(0).click()
    resident.locator("section.vote button").click()
    check(resident, ["/ballots", "/ballots/1"])
    desk = _page(chromium, base_url, "desk", language)
    _sign_in(desk, "staff", "staff-demo", LABELS[language])
    check(desk, ["/staff/ballots", "/staff/ballots/1"])
    desk.once("dialog", lambda dialog: dialog.accept())
    desk.locator("form[action='/staff/ballots/1/close'] button").click()
    expect(desk.locator("section.result")).to_be_visible()
    check(desk, ["/staff/ballots/1", "/staff/ballots/1/notice"])
    check(resident, ["/ballots/1"])
    assert found == {}
