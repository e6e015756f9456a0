"""The request form's guidance (issue 13): a stay no space could take is explained with the nearest
hours that would fit before anything is stored; the resident may use them or send as asked."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from engine.clock import parse_clock
from service.models import Household, Night, ParkingRequest, Run
from tests.web.web_site import NEXT, PUBLISHED, resident

REFUSED = "refused tonight"


def _requests(site) -> list[ParkingRequest]:
    with site.app.state.sessions() as session:
        return list(session.scalars(select(ParkingRequest).order_by(ParkingRequest.id)))


def _ask(browser, arrive: str, depart: str, **more):
    car = re.search(r'<option value="(\d+)"', browser.get("/tonight").text).group(1)
    fields = {"evening": NEXT.isoformat(), "car_id": car, "arrive": arrive, "depart": depart}
    return browser.post("/requests", fields | more, token_from="/tonight")


def _hidden_forms(page: str) -> list[dict[str, str]]:
    """The guidance's one-button forms, as the fields they would post."""
    box = page[page.index('id="unfit"') :]
    box = box[: box.index("</div>")]
    return [
        dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
        for form in box.split("<form")[1:]
    ]


@pytest.mark.parametrize(
    "language, title, why, use",
    [
        (
            "zh",
            "今晚没有车位能接受 16:55–08:25 这个时段",
            "16:55 到达",
            "改为 19:00–07:00（潮汐车位）",
        ),
        (
            "en",
            "No space can take 16:55–08:25 tonight",
            "Arrives 16:55",
            "Use 19:00–07:00 (tidal street spaces)",
        ),
    ],
)
def test_a_stay_no_space_takes_is_explained_and_not_stored_until_confirmed(
    site, language, title, why, use
):
    browser = resident(site, REFUSED, language=language)
    before = len(_requests(site))
    reply = _ask(browser, "16:55", "08:25")
    page = html.unescape(reply.text)
    assert reply.status_code == 200
    assert title in page and why in page and use in page
    assert len(_requests(site)) == before

    forms = _hidden_forms(reply.text)
    # One button per kind (nearest first), then "send as asked anyway".
    assert [(f["arrive"], f["depart"], f.get("confirm")) for f in forms] == [
        ("19:00", "07:00", None),
        ("22:00", "08:25", None),
        ("16:55", "08:25", "true"),
    ]
    suggested = browser.post("/requests", forms[0], token_from="/tonight")
    assert suggested.status_code == 303
    stored = _requests(site)[-1]
    assert (stored.arrive, stored.depart) == (19 * 60, 31 * 60)


def test_sending_as_asked_after_the_warning_stores_the_stay_and_keeps_saying_why(site):
    browser = resident(site, REFUSED, language="en")
    forms = _hidden_forms(_ask(browser, "16:55", "08:25").text)
    anyway = browser.post("/requests", forms[-1], token_from="/tonight")
    assert anyway.status_code == 303
    stored = _requests(site)[-1]
    assert (stored.arrive, stored.depart) == (16 * 60 + 55, 32 * 60 + 25)
    page = html.unescape(browser.get(anyway.headers["location"]).text)
    assert "No space can take these hours: Arrives 16:55" in page


def test_the_form_says_the_shared_hours_before_anyone_asks(site):
    page = html.unescape(resident(site, REFUSED, language="en").get("/tonight").text)
    assert "Shared hours: rented spaces 22:00–09:00, tidal street spaces 19:00–07:00." in page
    zh = html.unescape(resident(site, REFUSED).get("/tonight").text)
    assert "共享时段：小区出租车位 22:00–09:00、潮汐车位 19:00–07:00。" in zh


def test_a_sent_request_shows_its_level_and_how_requests_like_it_fared(site):
    browser = resident(site, REFUSED, language="en")
    assert _ask(browser, "22:00", "07:00").status_code == 303
    page = html.unescape(browser.get(f"/tonight?evening={NEXT}").text)
    # The household rents a space: its second car is at the plan's level 1, "second cars".
    assert "Priority level 1: second cars" in page
    # The oracle: the published night's rows at level 1 within an hour of 22:00-07:00.
    with site.app.state.sessions() as session:
        run = session.scalars(
            select(Run)
            .join(Night, Night.published_run_id == Run.id)
            .where(Night.evening == PUBLISHED)
        ).one()
        household = session.scalars(
            select(Household).where(Household.code == site.demo.residents[REFUSED])
        ).one()
        assert household.has_space
    night_minutes = (22 * 60, parse_clock("07:00", PUBLISHED))

    def minutes(moment) -> int:
        return (moment.date() - PUBLISHED).days * 1440 + moment.hour * 60 + moment.minute

    # A parking request is compared with parking requests only, not the demo's charging sessions.
    charging = {r.id for r in run.scenario.requests if r.charging}
    rows = [
        (a.priority, minutes(a.start), minutes(a.end), True)
        for a in run.allocation.assignments
        if a.request not in charging
    ]
    rows += [
        (u.priority, minutes(u.arrive), minutes(u.depart), False)
        for u in run.allocation.unassigned
        if u.request not in charging
    ]
    similar = [
        served
        for level, arrive, depart, served in rows
        if level == 1
        and abs(arrive - night_minutes[0]) <= 60
        and abs(depart - night_minutes[1]) <= 60
    ]
    assert len(similar) >= 5  # enough for the page to say it
    assert (
        f"Requests like this: {sum(similar)} of {len(similar)} served on the last "
        "1 published night." in page
    )
