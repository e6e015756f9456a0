"""Notifications (issue 13): the outbox written with its event, the inbox, delivery by e-mail
through a real SMTP server and by a signed webhook, retries, leases, quiet hours, and being heard
("my space is taken", staff messages)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.db import make_sessions
from service.models import AuditEntry, Compound, Delivery, Night, Notification, Run
from service.notify import outbox, worker
from service.notify.worker import Channels, claim, deliver_due
from tests.service.conftest import AFTER_CUTOFF, BEFORE_CUTOFF, EVENING
from tests.service.receivers import smtp_server, webhook_receiver

NIGHT = f"/api/v1/compounds/tiny/nights/{EVENING}"


def _ask(world, household: str, arrive: str = "21:00", depart: str = "06:30") -> None:
    reply = world.call(
        household,
        "POST",
        f"/api/v1/me/nights/{EVENING}/requests",
        json={"car_id": world.car(household), "arrive": arrive, "depart": depart},
    )
    assert reply.status_code == 201, reply.text


def _publish(world) -> None:
    world.now = AFTER_CUTOFF
    assert world.call("staff", "POST", f"{NIGHT}/run").status_code == 201
    assert world.call("staff", "POST", f"{NIGHT}/publish").status_code == 200


def _inbox(world, household: str) -> dict:
    reply = world.call(household, "GET", "/api/v1/me/notifications")
    assert reply.status_code == 200, reply.text
    return reply.json()


def _choose(world, household: str, **choices) -> None:
    body = {"email": f"{household}@example.org", "notify_email": True} | choices
    reply = world.call(household, "PUT", "/api/v1/me/contact", json=body)
    assert reply.status_code == 200, reply.text


def _sessions(world):
    return make_sessions(world.app.state.engine)


def test_publishing_tells_the_served_their_space_and_the_refused_why(world):
    # One street space: 3-301 lives next to it and is served; 2-201 is refused.
    _ask(world, "2-201")
    _ask(world, "3-301")
    _publish(world)
    served = _inbox(world, "3-301")
    assert served["unread"] == 1  # the leave-by reminder is not due yet
    [message] = served["notifications"]
    assert message["kind"] == "served"
    assert message["en"]["title"] == "Your space on the night of 24 Nov 2026: L-1"
    assert message["en"]["text"] == (
        "沪B33333 parks on L-1 (tidal street space) from 21:00 to 06:30. Please leave by 06:30."
    )
    assert message["zh"]["text"].startswith("沪B33333 停 L-1（潮汐车位），21:00–06:30。")
    refused = _inbox(world, "2-201")["notifications"][0]
    assert refused["kind"] == "refused"
    assert refused["en"]["text"].startswith("1 space fits this car from 21:00 to 06:30; all were")
    assert _inbox(world, "1-101") == {"unread": 0, "notifications": []}

    # The reminder appears 30 minutes before the stay ends.
    world.now = world.now.replace(hour=22, minute=0)  # 06:00 in Shanghai
    kinds = [n["kind"] for n in _inbox(world, "3-301")["notifications"]]
    assert kinds == ["leave_by", "served"]
    assert world.call("3-301", "POST", "/api/v1/me/notifications/read").status_code == 204
    assert _inbox(world, "3-301")["unread"] == 0


def test_the_outbox_is_written_in_the_events_transaction(world, monkeypatch):
    _ask(world, "3-301")
    world.now = AFTER_CUTOFF
    assert world.call("staff", "POST", f"{NIGHT}/run").status_code == 201

    def broken(session, box):
        raise RuntimeError("the outbox could not be written")

    monkeypatch.setattr(outbox, "write", broken)
    with pytest.raises(RuntimeError):
        world.call("staff", "POST", f"{NIGHT}/publish")
    with _sessions(world)() as session:
        night = session.scalars(select(Night).where(Night.compound_id == "tiny")).one()
        assert night.published_run_id is None  # nothing published without its notifications
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "publish")
            )
            == 0
        )
    monkeypatch.undo()
    assert world.call("staff", "POST", f"{NIGHT}/publish").status_code == 200
    assert _inbox(world, "3-301")["notifications"][0]["kind"] == "served"


def test_an_event_written_twice_is_one_notification(world):
    _ask(world, "3-301")
    _choose(world, "3-301")
    _publish(world)
    with _sessions(world).begin() as session:
        night = session.scalars(select(Night).where(Night.compound_id == "tiny")).one()
        run = session.get_one(Run, night.published_run_id)
        again = outbox.night_published(
            session,
            compound=session.get_one(Compound, "tiny"),
            night_id=night.id,
            evening=EVENING,
            scenario=run.scenario,
            result=run.allocation,
            run_id=run.id,
            before=None,
            now=world.now,
        )
        assert again == 0
        assert session.scalar(select(func.count()).select_from(Delivery)) == 2  # served, leave_by


def test_an_early_run_tells_whoever_asked_that_requests_closed(world):
    _ask(world, "2-201")
    world.now = BEFORE_CUTOFF
    assert world.call("staff", "POST", f"{NIGHT}/run").status_code == 201
    [closed] = _inbox(world, "2-201")["notifications"]
    assert closed["kind"] == "closed_early"
    assert closed["en"]["text"].startswith("The office allocated the night early, at 20:00")


def test_e_mail_goes_through_a_real_smtp_server_once(world):
    _ask(world, "3-301")
    _choose(world, "3-301", language="en")
    _publish(world)
    with smtp_server() as (box, port):
        channels = Channels(smtp_host="127.0.0.1", smtp_port=port, mail_from="office@laiyang.test")
        first = deliver_due(_sessions(world), channels, now=lambda: world.now)
        assert (first.sent, first.failed) == (1, 0)  # the reminder waits for its time
        again = deliver_due(_sessions(world), channels, now=lambda: world.now)
        assert again.handled == 0
        [mail] = box.messages
        assert mail["To"] == "3-301@example.org" and mail["From"] == "office@laiyang.test"
        assert mail["Subject"] == "Your space on the night of 24 Nov 2026: L-1"
        assert "Please leave by 06:30." in mail.get_payload(decode=True).decode()
        assert mail["X-Parking-Key"].startswith("served:")
        later = world.now + timedelta(hours=8)  # 06:00 in Shanghai: the reminder is due
        assert deliver_due(_sessions(world), channels, now=lambda: later).sent == 1
        assert [m["X-Parking-Key"].split(":")[0] for m in box.messages] == ["served", "leave_by"]


def test_the_webhook_is_signed_and_retried_with_back_off(world):
    _ask(world, "3-301")
    _choose(world, "3-301", notify_email=False, email=None, notify_webhook=True)
    _publish(world)
    with webhook_receiver("s3cret") as (hook, url):
        channels = Channels(webhook_url=url, webhook_secret="s3cret")
        hook.failures_left = 1
        first = deliver_due(_sessions(world), channels, now=lambda: world.now)
        assert (first.sent, first.retried) == (0, 1)
        with _sessions(world)() as session:
            delivery = session.scalars(select(Delivery).order_by(Delivery.id)).first()
            assert (delivery.state, delivery.attempts, delivery.last_error) == (
                "pending",
                1,
                "webhook answered 503",
            )
        # Not before its back-off (one minute after the first attempt).
        assert deliver_due(_sessions(world), channels, now=lambda: world.now).handled == 0
        later = world.now + timedelta(minutes=1, seconds=1)
        assert deliver_due(_sessions(world), channels, now=lambda: later).sent == 1
        [body] = hook.received
        assert body["kind"] == "served" and body["household"] == "3-301"
        assert hook.headers[0]["Idempotency-Key"] == body["key"]
        assert hook.bad_signatures == 0
    staff_view = world.call("staff", "GET", "/api/v1/compounds/tiny/deliveries").json()
    assert {"channel": "webhook", "state": "sent", "count": 1} in staff_view["counts"]


def test_a_webhook_with_the_wrong_secret_fails_for_good_and_staff_see_why(world):
    _ask(world, "3-301")
    _choose(world, "3-301", notify_email=False, email=None, notify_webhook=True)
    _publish(world)
    with webhook_receiver("right") as (hook, url):
        tally = deliver_due(
            _sessions(world),
            Channels(webhook_url=url, webhook_secret="wrong"),
            now=lambda: world.now,
        )
    assert (tally.failed, hook.bad_signatures) == (1, 1)
    failures = world.call("staff", "GET", "/api/v1/compounds/tiny/deliveries").json()["failures"]
    assert failures[0]["last_error"] == "webhook answered 401" and failures[0]["kind"] == "served"


def test_a_worker_that_dies_holding_a_batch_loses_nothing_and_sends_nothing_twice(world):
    for household in ("2-201", "3-301"):
        _ask(world, household)
        _choose(world, household)
    _publish(world)
    sessions = _sessions(world)
    # A worker claims both and dies before sending anything.
    dead = claim(sessions, now=world.now, batch=10, lease=timedelta(minutes=2))
    assert len(dead) == 2
    with smtp_server() as (box, port):
        channels = Channels(smtp_host="127.0.0.1", smtp_port=port)
        # Another worker does not take them while the lease runs...
        assert deliver_due(sessions, channels, now=lambda: world.now).handled == 0
        # ...and takes them once it has run out.
        later = world.now + timedelta(minutes=3)
        assert deliver_due(sessions, channels, now=lambda: later).sent == 2
        assert deliver_due(sessions, channels, now=lambda: later).handled == 0
        assert sorted(m["To"] for m in box.messages) == ["2-201@example.org", "3-301@example.org"]


def test_quiet_hours_hold_e_mail_until_they_end_but_not_the_inbox(world):
    _ask(world, "3-301")
    _choose(world, "3-301", quiet_from="21:30", quiet_until="07:00")
    _publish(world)  # 22:00 in Shanghai
    assert _inbox(world, "3-301")["unread"] == 1
    with smtp_server() as (box, port):
        channels = Channels(smtp_host="127.0.0.1", smtp_port=port)
        assert deliver_due(_sessions(world), channels, now=lambda: world.now).deferred == 1
        assert box.messages == []
        morning = world.now + timedelta(hours=9)  # 07:00 in Shanghai
        # The space's message goes; the leave-by reminder (06:00) would come after the stay.
        tally = deliver_due(_sessions(world), channels, now=lambda: morning)
        assert (tally.sent, tally.dropped) == (1, 1)
    with _sessions(world)() as session:
        assert {d.attempts for d in session.scalars(select(Delivery))} == {1}


def test_e_mail_without_a_server_fails_saying_so(world):
    _ask(world, "3-301")
    _choose(world, "3-301")
    _publish(world)
    tally = deliver_due(_sessions(world), Channels(), now=lambda: world.now)
    assert tally.failed == 1
    failures = world.call("staff", "GET", "/api/v1/compounds/tiny/deliveries").json()["failures"]
    assert failures[0]["last_error"] == "e-mail is not configured (PARKING_SMTP_HOST)"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"notify_email": True}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"quiet_from": "23:00"}, "quiet_until"),
        ({"quiet_from": "25:00", "quiet_until": "07:00"}, "quiet_from"),
        ({"language": "fr"}, "language"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_bad_choices_are_refused_naming_the_field(world, body, field):
    reply = world.call("2-201", "PUT", "/api/v1/me/contact", json=body)
    assert reply.status_code == 422
    assert field in str(reply.json()["detail"])
    assert world.call("2-201", "GET", "/api/v1/me/contact").json()["notify_email"] is False


def test_my_space_is_taken_reaches_staff_with_the_stay_and_the_phone(world):
    _ask(world, "3-301")
    _publish(world)
    contact = {"phone": "13812345678"}
    assert world.call("3-301", "PUT", "/api/v1/me/contact", json=contact).status_code == 200
    reply = world.call(
        "3-301",
        "POST",
        f"/api/v1/me/nights/{EVENING}/reports",
        json={"space": "L-1", "plate": "沪C·99999", "note": "a grey van"},
    )
    assert reply.status_code == 201, reply.text
    mine = reply.json()
    assert (mine["plate"], mine["phone"], mine["stay"]) == ("沪C99999", "138****5678", "")
    [told] = world.call("staff", "GET", "/api/v1/compounds/tiny/notifications").json()
    assert told["kind"] == "space_reported"
    assert told["en"]["text"].startswith("Household 3-301 reports L-1 taken by 沪C99999.")
    [report] = world.call("staff", "GET", "/api/v1/compounds/tiny/reports").json()
    assert report["phone"] == "13812345678"
    assert report["stay"] == "3-301 沪B33333 21:00–06:30"
    closed = world.call(
        "staff",
        "POST",
        f"/api/v1/compounds/tiny/reports/{report['id']}/close",
        json={"note": "van moved by the guard"},
    )
    assert closed.status_code == 200 and closed.json()["closing_note"] == "van moved by the guard"
    actions = [
        e["action"] for e in world.call("staff", "GET", "/api/v1/compounds/tiny/audit").json()
    ]
    assert "space reported" in actions and "close report" in actions
    # Another household's space, or a space that is not its own tonight, is refused.
    other = world.call(
        "2-201", "POST", f"/api/v1/me/nights/{EVENING}/reports", json={"space": "L-1"}
    )
    assert other.status_code == 404 and "neither your rented space" in other.text


def test_staff_write_to_everyone_refused_tonight(world):
    _ask(world, "2-201")
    _ask(world, "3-301")
    _publish(world)
    sent = world.call(
        "staff",
        "POST",
        "/api/v1/compounds/tiny/messages",
        json={"text": "The east gate is closed tonight.", "to": "refused", "evening": str(EVENING)},
    )
    assert sent.status_code == 201 and sent.json() == {"households": 1}
    assert _inbox(world, "2-201")["notifications"][0]["en"]["text"] == (
        "The east gate is closed tonight."
    )
    assert all(n["kind"] != "message" for n in _inbox(world, "3-301")["notifications"])
    missing = world.call(
        "staff", "POST", "/api/v1/compounds/tiny/messages", json={"text": "hi", "to": "household"}
    )
    assert missing.status_code == 422 and "household" in missing.text


def test_two_workers_at_once_deliver_each_message_once(world):
    for household in ("1-101", "2-201", "3-301"):
        _choose(world, household)
    _ask(world, "2-201")
    _ask(world, "3-301")
    _publish(world)
    for n in range(20):
        world.call(
            "staff",
            "POST",
            "/api/v1/compounds/tiny/messages",
            json={"text": f"message {n}", "to": "household", "household": "1-101"},
        )
    later = world.now + timedelta(hours=8)  # 06:00 in Shanghai: the reminder is due
    with smtp_server() as (box, port):
        channels = Channels(smtp_host="127.0.0.1", smtp_port=port)
        start = threading.Barrier(2)

        def work() -> None:
            start.wait()
            while deliver_due(_sessions(world), channels, now=lambda: later, batch=3).handled:
                pass

        workers = [threading.Thread(target=work) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        keys = [m["X-Parking-Key"] for m in box.messages]
    with _sessions(world)() as session:
        expected = session.scalar(select(func.count()).select_from(Delivery))
    assert len(keys) == expected == 23  # served, its reminder, refused, and 20 messages
    assert len(set(keys)) == len(keys)


def test_phones_are_in_the_gate_list_only_when_staff_ask(world):
    _ask(world, "3-301")
    _publish(world)
    world.call("3-301", "PUT", "/api/v1/me/contact", json={"phone": "13812345678"})
    gate = f"{NIGHT}/gate-list.csv"
    assert "13812345678" not in world.call("staff", "GET", gate).text
    asked = world.call("staff", "GET", gate, params={"phones": True}).text
    assert asked.splitlines()[0].endswith(",phone") and "13812345678" in asked
    public = world.call("staff", "GET", gate, params={"phones": True, "masked": True})
    assert public.status_code == 422 and "phones" in public.text


def test_a_worker_whose_lease_runs_low_mid_batch_sends_nothing_twice(world, monkeypatch):
    # Found in review: the lease was set once for the batch and never checked, so after a slow
    # send a second worker could take the rest while the first went on sending them.
    for household in ("2-201", "3-301"):
        _ask(world, household)
        _choose(world, household)
    _publish(world)
    sessions = _sessions(world)
    clock = {"now": world.now}
    real_send = worker.Mailer.send
    with smtp_server() as (box, port):
        channels = Channels(smtp_host="127.0.0.1", smtp_port=port)

        def slow(self, outgoing):
            real_send(self, outgoing)
            clock["now"] += timedelta(seconds=110)  # of a 120-second lease

        monkeypatch.setattr(worker.Mailer, "send", slow)
        first = deliver_due(
            sessions, channels, now=lambda: clock["now"], lease=timedelta(minutes=2)
        )
        assert first.sent == 1  # the second is not started this close to the lease's end...
        other = deliver_due(sessions, channels, now=lambda: clock["now"])
        assert other.sent == 1  # ...but put back at once for another pass or worker
        keys = [m["X-Parking-Key"] for m in box.messages]
    assert len(keys) == len(set(keys)) == 2


def _republish(session, night, run, result, run_id, before):
    return outbox.night_published(
        session,
        compound=session.get_one(Compound, "tiny"),
        night_id=night.id,
        evening=EVENING,
        scenario=run.scenario,
        result=result,
        run_id=run_id,
        before=before,
        now=AFTER_CUTOFF,
    )


def test_a_second_re_optimisation_leaves_one_reminder_with_the_new_hours(world):
    # Found in review: reminders were keyed by run, and only the previous run's were withdrawn.
    _ask(world, "3-301")
    _publish(world)
    with _sessions(world).begin() as session:
        night = session.scalars(select(Night).where(Night.compound_id == "tiny")).one()
        run = session.get_one(Run, night.published_run_id)
        first = run.allocation
        stay = first.assignments[0]
        earlier = first.model_copy(
            update={"assignments": [stay.model_copy(update={"end": stay.end - timedelta(hours=1)})]}
        )
        _republish(session, night, run, first, 9002, first)  # nothing changes
        _republish(session, night, run, earlier, 9003, first)  # the stay ends an hour earlier
        reminders = session.scalars(select(Notification).where(Notification.kind == "leave_by"))
        assert [r.params["depart"] for r in reminders] == ["05:30"]


def test_a_refusal_suggests_hours_only_when_hours_are_what_no_space_takes(world):
    # Found in review: the suggestion came from the plan's windows whatever refused the car.
    charger = {"car_id": world.car("2-201"), "arrive": "21:00", "depart": "06:30"}
    reply = world.call(
        "2-201",
        "POST",
        f"/api/v1/me/nights/{EVENING}/requests",
        json=charger | {"needs": ["ev_charger"]},
    )
    assert reply.json()["fit"]["suggestions"] == []
    late = {"car_id": world.car("3-301"), "arrive": "21:00", "depart": "08:30"}
    assert world.call("3-301", "POST", f"/api/v1/me/nights/{EVENING}/requests", json=late)
    _publish(world)
    needs = _inbox(world, "2-201")["notifications"][0]["en"]["text"]
    assert "EV charger" in needs and "would have been considered" not in needs
    hours = _inbox(world, "3-301")["notifications"][0]["en"]["text"]
    assert hours.endswith("a request for 21:00–07:00 would have been considered.")


def test_a_household_that_turns_e_mail_off_gets_no_e_mail_already_queued(world):
    _ask(world, "3-301")
    _choose(world, "3-301")
    _publish(world)
    _choose(world, "3-301", notify_email=False)
    with smtp_server() as (box, port):
        tally = deliver_due(
            _sessions(world), Channels(smtp_host="127.0.0.1", smtp_port=port), now=lambda: world.now
        )
        assert (tally.sent, tally.dropped, box.messages) == (0, 1, [])


def test_a_reminder_held_past_its_stay_by_quiet_hours_is_dropped(world):
    _ask(world, "3-301")
    _choose(world, "3-301", quiet_from="05:00", quiet_until="08:00")
    _publish(world)
    at_six = world.now + timedelta(hours=8)  # 06:00 in Shanghai: the reminder is due, but quiet
    with smtp_server() as (box, port):
        channels = Channels(smtp_host="127.0.0.1", smtp_port=port)
        tally = deliver_due(_sessions(world), channels, now=lambda: at_six)
        # Both wait for 08:00; by then the stay (to 06:30) is over: the reminder is dropped.
        assert (tally.sent, tally.deferred, tally.dropped) == (0, 1, 1)
        assert box.messages == []


def test_a_message_sent_again_with_its_idempotency_key_is_written_once(world):
    body = {"text": "Water is off at 23:00.", "to": "household", "household": "2-201"}
    for _ in range(2):
        reply = world.client.post(
            "/api/v1/compounds/tiny/messages",
            json=body,
            headers={"Idempotency-Key": "desk-42"} | world.as_("staff"),
        )
        assert reply.status_code == 201 and reply.json() == {"households": 1}
    assert [n["kind"] for n in _inbox(world, "2-201")["notifications"]] == ["message"]
    audit = world.call("staff", "GET", "/api/v1/compounds/tiny/audit").json()
    assert [e["action"] for e in audit].count("message") == 1


def test_a_report_pressed_twice_is_one_report(world):
    for _ in range(2):
        reply = world.call(
            "1-101", "POST", f"/api/v1/me/nights/{EVENING}/reports", json={"space": "A-1"}
        )
        assert reply.status_code == 201
    assert len(world.call("staff", "GET", "/api/v1/compounds/tiny/reports").json()) == 1
    assert len(world.call("staff", "GET", "/api/v1/compounds/tiny/notifications").json()) == 1


def test_a_webhook_without_a_secret_is_refused_at_start():
    from pydantic import ValidationError

    from service.settings import Settings

    with pytest.raises(ValidationError, match="PARKING_WEBHOOK_SECRET must be set"):
        Settings(webhook_url="http://127.0.0.1:9/hook")
