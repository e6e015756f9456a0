"""The inbox, the choices of how to be told, "my space is taken" and the staff's messages page,
on the demo (issue 13)."""

from __future__ import annotations

import html

from sqlalchemy import select

from service.models import Household, Notification, SpaceReport
from tests.web.web_site import PUBLISHED, resident, staff

SERVED = "served tonight, rents a space"
REFUSED = "refused tonight"


def test_the_published_night_is_in_the_inbox_with_an_unread_count_on_every_page(site):
    browser = resident(site, SERVED, language="en")
    tonight = html.unescape(browser.get("/tonight").text)
    assert 'href="/inbox">Inbox <span class="badge"' in tonight
    page = html.unescape(browser.get("/inbox").text)
    assert "Your space on the night of" in page and "Please leave by" in page
    assert 'class="badge">new</span>' in page
    # Seen: the count is gone from the next page.
    assert 'class="badge"' not in html.unescape(browser.get("/cars").text).split("</header>")[0]
    zh = html.unescape(resident(site, REFUSED).get("/inbox").text)
    assert "未分到车位" in zh


def test_choices_are_saved_and_a_bad_one_is_refused_naming_the_field(site):
    browser = resident(site, SERVED, language="en")
    saved = browser.post(
        "/inbox/contact",
        {
            "language": "en",
            "email": "me@example.org",
            "notify_email": "true",
            "quiet_from": "23:00",
            "quiet_until": "07:00",
            "phone": "13812345678",
        },
        token_from="/inbox",
    )
    assert saved.status_code == 303
    with site.app.state.sessions() as session:
        household = session.scalars(
            select(Household).where(Household.code == site.demo.residents[SERVED])
        ).one()
        assert (household.email, household.notify_email, household.quiet_from) == (
            "me@example.org",
            True,
            "23:00",
        )
    refused = browser.post(
        "/inbox/contact",
        {"language": "en", "notify_email": "true", "quiet_from": "23:00"},
        token_from="/inbox",
    )
    assert refused.status_code == 422
    assert "e-mail" in html.unescape(refused.text)


def test_my_space_is_taken_goes_to_staff_who_close_it(site):
    browser = resident(site, SERVED, language="en")
    space = site.renter_space
    sent = browser.post(
        "/inbox/report", {"space": space, "plate": "沪C99999", "note": "grey van"}, "/inbox"
    )
    assert sent.status_code == 303
    office = staff(site, language="en")
    page = html.unescape(office.get("/staff/messages").text)
    assert f"{space}: reported taken by household {site.demo.residents[SERVED]}" in page
    assert "Car on it: 沪C99999 · grey van" in page
    night = html.unescape(office.get("/staff/night").text)
    assert (
        'href="/staff/messages">Messages <span class="badge" aria-label="1 open report">' in night
    )
    with site.app.state.sessions() as session:
        report = session.scalars(select(SpaceReport)).one()
        told = session.scalars(select(Notification).where(Notification.household_id.is_(None)))
        assert [n.kind for n in told] == ["space_reported"]
    closed = office.post(
        f"/staff/reports/{report.id}/close", {"note": "van moved"}, "/staff/messages"
    )
    assert closed.status_code == 303
    assert "Dealt with: van moved" in html.unescape(office.get("/staff/messages").text)
    assert "space reported taken" in html.unescape(office.get("/staff/audit").text)


def test_staff_write_to_the_refused_and_they_read_it(site):
    office = staff(site, language="en")
    evening = PUBLISHED.isoformat()
    sent = office.post(
        "/staff/messages",
        {"to": "refused", "evening": evening, "text": "Street spaces open at 18:00 tonight."},
        "/staff/messages",
    )
    assert sent.status_code == 303, sent.text
    inbox = html.unescape(resident(site, REFUSED, language="en").get("/inbox").text)
    assert "A message from the office" in inbox and "Street spaces open at 18:00" in inbox
    nobody = office.post(
        "/staff/messages",
        {"to": "household", "household": "99-999", "text": "hi"},
        "/staff/messages",
    )
    assert nobody.status_code == 422 and "There is no such household." in nobody.text
