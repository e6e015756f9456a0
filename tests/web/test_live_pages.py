"""The night as it is lived, on the pages (issue 14): a space's code opened and checked in, the
gate answering for part of a plate, a no-show's space offered to the waiting list and taken,
given back, passed on; the morning round counting cars that left. Over HTTP without a browser;
tests/web/test_live_browser.py drives Chromium at 390 px."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.actions.live import sweep_current_nights
from service.demo import COMPOUND, RESIDENT_PASSWORD
from service.models import Space
from service.ordering import natural_key
from tests.web.live_night import (
    DURING_THE_NIGHT,
    REFUSED,
    SERVED,
    lived,
    no_show_with_an_offer,
    stay_of,
)
from tests.web.web_site import PUBLISHED, Browser, resident, staff

GATE = f"/staff/night/{PUBLISHED}/gate"


def _text(reply) -> str:
    return re.sub(r"\s+", " ", html.unescape(reply.text))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_space_code_opens_the_residents_stay_and_checks_it_in(site, language):
    site.now = DURING_THE_NIGHT
    browser = resident(site, SERVED, language)
    stay = stay_of(site, SERVED)
    page = _text(browser.get(f"/s/{stay.space}"))
    assert ("这是您今晚的车位" if language == "zh" else "This is your space tonight") in page
    checked = browser.post(f"/s/{stay.space}/check-in", token_from=f"/s/{stay.space}")
    assert checked.status_code == 303
    page = _text(browser.get(checked.headers["location"]))
    assert ("23:00 已签到" if language == "zh" else "Checked in at 23:00") in page
    assert stay_of(site, SERVED).state.value == "checked_in"


def test_another_households_space_code_says_whose_it_is_masked(site):
    site.now = DURING_THE_NIGHT
    stay = stay_of(site, SERVED)
    page = _text(resident(site, REFUSED, "en").get(f"/s/{stay.space}"))
    assert "This is not your space tonight" in page
    assert stay.plate not in page and f"{stay.plate[:3]}" in page
    assert "You have no space tonight" in page
    assert resident(site, REFUSED).get("/s/NO-SUCH-SPACE").status_code == 404


def test_the_gate_answers_for_part_of_a_plate_and_checks_the_car_in(site):
    site.now = DURING_THE_NIGHT
    stay = stay_of(site, SERVED)
    desk = staff(site, "en")
    typed = stay.plate[1:].lower()  # no province character, lower case
    page = _text(desk.get(GATE, params={"plate": typed}))
    assert "May park tonight" in page and stay.space in page
    checked = desk.post(
        f"/staff/night/{PUBLISHED}/check-in",
        {"request_id": str(stay.request_id), "plate": typed},
        token_from=GATE,
    )
    assert checked.status_code == 303
    assert "Checked in at 23:00" in _text(desk.get(checked.headers["location"]))
    unknown = _text(desk.get(GATE, params={"plate": "Z99999"}))
    assert "Z99999: no stay tonight" in unknown and "Unauthorised car" in unknown
    logged = desk.post(
        f"/staff/night/{PUBLISHED}/unauthorised",
        {"plate": "沪Z99999", "space": stay.space},
        token_from=GATE,
    )
    assert logged.status_code == 303
    assert "沪Z99999" in _text(desk.get("/staff/audit"))


def test_a_no_show_at_the_gate_offers_the_space_and_the_household_takes_it(site):
    site.now = DURING_THE_NIGHT
    freed, offered_to = no_show_with_an_offer(site)
    desk = staff(site, "en")
    marked = desk.post(
        f"/staff/night/{PUBLISHED}/no-show", {"request_id": str(freed.request_id)}, token_from=GATE
    )
    assert marked.status_code == 303, marked.text
    waiting = Browser(site, offered_to, RESIDENT_PASSWORD, "en")
    tonight = _text(waiting.get(f"/tonight?evening={PUBLISHED}"))
    assert f"Space {freed.space}" in tonight and "Take it by 23:15" in tonight
    offer_id = re.search(
        r'action="/offers/(\d+)/take"', waiting.get(f"/tonight?evening={PUBLISHED}").text
    )[1]
    taken = waiting.post(
        f"/offers/{offer_id}/take",
        {"evening": PUBLISHED.isoformat()},
        token_from=f"/tonight?evening={PUBLISHED}",
    )
    assert taken.status_code == 303
    tonight = _text(waiting.get(taken.headers["location"]))
    assert "The space is yours." in tonight and "Your space from the waiting list:" in tonight
    # The gate list has the new car on the space and not the one that did not come.
    gate = desk.get(GATE).text
    now_there = next(s for s in lived(site).stays if s.space == freed.space and s.standing)
    assert now_there.household == offered_to.split("/")[1]
    assert now_there.plate in gate and freed.plate not in gate


def test_an_offer_not_taken_in_time_passes_on(site):
    site.now = DURING_THE_NIGHT
    freed, offered_to = no_show_with_an_offer(site)
    desk = staff(site)
    desk.post(
        f"/staff/night/{PUBLISHED}/no-show", {"request_id": str(freed.request_id)}, token_from=GATE
    )
    waiting = Browser(site, offered_to, RESIDENT_PASSWORD, "en")
    offer_id = re.search(
        r'action="/offers/(\d+)/take"', waiting.get(f"/tonight?evening={PUBLISHED}").text
    )[1]
    site.now = DURING_THE_NIGHT + timedelta(minutes=15)
    with site.app.state.sessions() as session:
        swept = sweep_current_nights(session, site.now)
    assert swept.expired == 1
    late = waiting.post(
        f"/offers/{offer_id}/take",
        {"evening": PUBLISHED.isoformat()},
        token_from=f"/tonight?evening={PUBLISHED}",
    )
    assert late.status_code == 409
    assert "This space can no longer be taken" in _text(late)


def test_a_resident_gives_tonights_space_back(site):
    site.now = DURING_THE_NIGHT
    browser = resident(site, SERVED, "en")
    stay = stay_of(site, SERVED)
    given = browser.post(
        f"/requests/{stay.request_id}/give-back",
        {"evening": PUBLISHED.isoformat()},
        token_from=f"/tonight?evening={PUBLISHED}",
    )
    assert given.status_code == 303
    page = _text(browser.get(given.headers["location"]))
    assert "The space is given back." in page and "Given back" in page


def test_the_morning_round_lists_ended_stays_by_area_and_skips_cars_that_left(site):
    site.now = DURING_THE_NIGHT
    browser = resident(site, SERVED)
    stay = stay_of(site, SERVED)
    browser.post(f"/s/{stay.space}/check-in", token_from=f"/s/{stay.space}")
    site.now = stay.end - timedelta(minutes=30)
    browser.post(f"/s/{stay.space}/left", token_from=f"/s/{stay.space}")
    site.now = stay.end + timedelta(hours=3)
    page = _text(staff(site, "en").get(f"/staff/night/{PUBLISHED}/morning"))
    assert "Cars to check" in page and "Left at" in page
    assert f'value="{stay.space}"' not in page  # nothing to tick for a car that left
    assert re.search(r"(rented|tidal street) \(\d+ cars?\)", page)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_space_codes_sheet_has_one_label_per_space(site, language):
    page = staff(site, language).get("/staff/codes")
    assert page.status_code == 200
    with site.app.state.sessions() as session:
        spaces = session.scalars(select(Space.code).where(Space.compound_id == COMPOUND)).all()
    labels = re.findall(r'<span class="label-space">([^<]+)</span>', page.text)
    assert sorted(labels) == sorted(spaces)
    assert labels == sorted(labels, key=natural_key)
    assert page.text.count("<svg") == len(spaces)


def test_a_renter_away_after_publishing_releases_tonight_from_the_release_page(site):
    site.now = DURING_THE_NIGHT
    browser = resident(site, SERVED, "en")
    page = _text(browser.get("/release"))
    assert "Away tonight after all?" in page and f"Release {site.renter_space} tonight" in page
    released = browser.post("/release/tonight", {"space": site.renter_space}, token_from="/release")
    assert released.status_code == 303
    page = _text(browser.get(released.headers["location"]))
    assert "Released for tonight." in page
    assert f"Release {site.renter_space} tonight" not in page
    assert "released after publishing" in _text(staff(site, "en").get("/staff/audit"))
