"""The ballot pages through a TestClient, on the demo's open ballot (id 1): a resident reads the
summary, votes, changes the vote and checks the receipt; staff watch the turnout (numbers only),
enter a paper vote, close, print the notice and adopt the plan; each in both languages where it
says something, and refused in the reader's language."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from service.web.i18n import MESSAGES
from tests.web.test_words import english_in
from tests.web.web_site import NEXT, resident, staff

BALLOT = "/ballots/1"
STAFF_BALLOT = "/staff/ballots/1"


def receipt_on(page: str) -> str:
    return re.search(r'class="receipt">([A-Z0-9-]{14})<', page).group(1)


def test_a_resident_reads_the_summary_votes_and_changes_the_vote(site):
    for language, headline, voted, jargon in (
        ("zh", "没有车位的住户每月约有", "您的投票已记录。", "置信区间"),
        ("en", "a household without a space is refused on about", "Your vote is recorded.", "Gini"),
    ):
        browser = resident(site, language=language)
        page = browser.get(BALLOT).text
        assert headline in page
        # The jargon is in the committee's part, below the vote.
        committee = page.index('class="card committee"')
        assert page.index(headline) < page.index('name="option"') < committee
        assert page.index(jargon) > committee
        reply = browser.post(f"{BALLOT}/vote", {"option": "0"}, token_from=BALLOT)
        assert reply.status_code == 303
        page = browser.get(reply.headers["location"]).text
        assert voted in page
        receipt = receipt_on(page)
        reply = browser.post(f"{BALLOT}/vote", {"option": "1"}, token_from=BALLOT)
        page = browser.get(reply.headers["location"]).text
        assert receipt_on(page) == receipt  # the same receipt for the changed vote
        assert re.search(r'value="1" required checked', page)
        check = browser.get(f"{BALLOT}?receipt={receipt.lower()}").text
        assert MESSAGES["receipt.recorded"][0 if language == "zh" else 1].split("{")[0] in check


def test_a_closed_ballot_shows_the_result_and_refuses_a_vote_in_the_readers_language(site):
    voter = resident(site)
    voter.post(f"{BALLOT}/vote", {"option": "0"}, token_from=BALLOT)
    receipt = receipt_on(voter.get(BALLOT).text)
    desk = staff(site)
    assert desk.post(f"{STAFF_BALLOT}/close", token_from=STAFF_BALLOT).status_code == 303
    page = voter.get(BALLOT).text
    assert "投票结果公示" in page and "参与表决户数 1 / 480 户" in page
    assert "结果：参与表决的住户不足三分之二" in page
    assert 'class="receipt"' not in page  # the choice is no longer shown to anyone
    checked = voter.get(f"{BALLOT}?receipt={receipt}").text
    assert f"回执码 {receipt} 的一票已按" in checked
    refused = resident(site, language="en").post(
        f"{BALLOT}/vote", {"option": "1"}, token_from=BALLOT
    )
    assert (
        refused.status_code == 409
        and "The ballot is closed; nothing of it can change." in refused.text
    )


def test_staff_see_the_turnout_but_never_a_choice(site):
    voter = resident(site)
    code = site.demo.residents["served tonight, rents a space"]
    voter.post(f"{BALLOT}/vote", {"option": "1"}, token_from=BALLOT)
    receipt = receipt_on(voter.get(BALLOT).text)
    desk = staff(site)
    for path in (STAFF_BALLOT, "/staff/ballots", "/staff/audit"):
        page = desk.get(path).text
        assert receipt not in page and code not in page, path
    assert re.search(r"<dd>1 / 480</dd>", desk.get(STAFF_BALLOT).text)


def test_staff_enter_a_paper_vote_close_print_and_adopt(site):
    desk = staff(site, "en")
    entered = desk.post(
        f"{STAFF_BALLOT}/paper", {"household": "1-103", "option": "0"}, token_from=STAFF_BALLOT
    )
    assert entered.status_code == 201 and "Give the household its receipt code" in entered.text
    twice = desk.post(
        f"{STAFF_BALLOT}/paper", {"household": "1-103", "option": "1"}, token_from=STAFF_BALLOT
    )
    assert twice.status_code == 409 and "has voted already" in twice.text
    audit = desk.get("/staff/audit").text
    assert "paper ballot entered" in audit and "Ballot 1: 1-103" in audit
    desk.post(f"{STAFF_BALLOT}/close", token_from=STAFF_BALLOT)
    notice = desk.get(f"{STAFF_BALLOT}/notice").text
    assert '<html lang="zh-CN">' in notice and "投票结果公示" in notice and "民法典" not in notice
    assert "参与表决户数 1 / 480 户" in notice
    # No plan was decided: nothing to adopt, and the API's refusal says so if one tries.
    page = desk.get(STAFF_BALLOT).text
    assert 'action="/staff/ballots/1/adopt"' not in page
    refused = desk.post(
        f"{STAFF_BALLOT}/adopt",
        {"first_evening": str(NEXT + timedelta(days=1))},
        token_from=STAFF_BALLOT,
    )
    assert refused.status_code == 409 and "The ballot decided no plan." in refused.text


def test_staff_make_a_ballot_with_a_plan_made_on_the_page(site):
    desk = staff(site)
    form = desk.get("/staff/ballots").text
    assert "发起投票" in form and 'value="laiyang-voted" selected' in form
    opens = re.search(
        r'id="opens_at" name="opens_at" type="datetime-local" required value="([^"]+)"', form
    ).group(1)
    closes = re.search(
        r'id="closes_at" name="closes_at" type="datetime-local" required value="([^"]+)"', form
    ).group(1)
    made = desk.post(
        "/staff/ballots",
        {
            "question": "试行更早的共享时段吗？",
            "opens_at": opens,
            "closes_at": closes,
            "rule": "common_parts",
            "options": ["custom", "none", "", "", ""],
            "custom_name": "试行方案",
            "rented": "21:30-08:30",
            "street": "19:00-07:00",
            "street_spaces": "80",
            "seed": "7",
        },
        token_from="/staff/ballots",
    )
    assert made.status_code == 303, made.text[:2000]
    assert made.headers["location"] == "/staff/ballots/2?done=ballot.created"
    deadline = time.monotonic() + 300
    while 'http-equiv="refresh"' in (page := desk.get("/staff/ballots/2").text):
        assert "正在模拟各方案" in page
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert "按试行方案，没有车位的住户每月约有" in page
    assert "四分之三以上" in page
    bad = desk.post(
        "/staff/ballots",
        {"question": "?", "opens_at": opens, "closes_at": opens, "options": ["laiyang-voted"]},
        token_from="/staff/ballots",
    )
    assert bad.status_code == 422 and "没有完成" in bad.text


def test_the_wrong_role_is_refused(site):
    assert resident(site).get("/staff/ballots").status_code == 403
    assert staff(site).get(BALLOT).status_code == 403


def test_a_voted_closed_and_adopted_ballot_reads_without_english_in_chinese(site):
    voters = [resident(site, who, "zh") for who in site.demo.residents][:3]
    for voter in voters:
        voter.post(f"{BALLOT}/vote", {"option": "0"}, token_from=BALLOT)
    pages = {"/ballots/1": voters[0].get(BALLOT).text}
    desk = staff(site, "zh")
    desk.post(
        f"{STAFF_BALLOT}/paper", {"household": "1-103", "option": "2"}, token_from=STAFF_BALLOT
    )
    desk.post(f"{STAFF_BALLOT}/close", token_from=STAFF_BALLOT)
    receipt = receipt_on(pages["/ballots/1"])
    pages |= {
        "closed": voters[0].get(f"{BALLOT}?receipt={receipt}").text,
        "staff": desk.get(STAFF_BALLOT).text,
        "notice": desk.get(f"{STAFF_BALLOT}/notice").text,
        "audit": desk.get("/staff/audit").text,
        "list": voters[1].get("/ballots").text,
    }
    assert "已按" in pages["closed"] and "第 1 号投票：1-103" in pages["audit"]
    found = {name: words for name, page in pages.items() if (words := english_in(page))}
    assert found == {}
