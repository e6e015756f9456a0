"""How many shared charge points: figures checked by hand on a tiny file, and what must hold on
any sessions (the engine never serves fewer than first come, first served; more points never
serve fewer)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.charger_count import (
    ENGINE,
    FIRST_COME,
    MethodOutcome,
    replay_method,
    replay_point_counts,
    sessions_between,
)
from scenarios.trondheim import DATA, Session, read_sessions

HEADER = (
    "session_ID;Garage_ID;User_ID;User_type;Shared_ID;Start_plugin;Start_plugin_hour;"
    "End_plugout;End_plugout_hour;El_kWh;Duration_hours;month_plugin;weekdays_plugin"
)


def write_sessions(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    """A file in the Trondheim format from (user, shared id, plug-in, plug-out, kWh) rows."""
    lines = [HEADER]
    for number, (user, shared, plug_in, plug_out, kwh) in enumerate(rows, start=1):
        lines.append(
            f"{number};Bl2;{user};Shared;{shared};{plug_in};{plug_in[11:13]};{plug_out};"
            f"{plug_out[11:13]};{kwh};1,0;Mar;Friday"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Night of 1 March: u1 holds the point 18:00-23:00; u2 (19:00-20:00) and u3 (20:30-21:00) come
# after. Night of 2 March: u2 alone. The last two rows are skipped: a private point, and a
# plug-out the file does not know.
TINY = [
    ("u1", "Share-1", "01.03.2019 18:00", "01.03.2019 23:00", "10,0"),
    ("u2", "Share-1", "01.03.2019 19:00", "01.03.2019 20:00", "4,0"),
    ("u3", "Share-1", "01.03.2019 20:30", "01.03.2019 21:00", "2,0"),
    ("u2", "Share-1", "02.03.2019 18:00", "02.03.2019 19:00", "3,0"),
    ("u4", "NA", "02.03.2019 18:00", "02.03.2019 19:00", "3,0"),
    ("u5", "Share-1", "02.03.2019 18:00", "NA", "3,0"),
]


@pytest.fixture
def tiny(tmp_path) -> list[Session]:
    return read_sessions(write_sessions(tmp_path / "sessions.csv", TINY))


def test_the_file_is_read_with_its_energy_and_without_unusable_rows(tiny):
    assert [(s.user, s.plug_in.hour, s.kwh) for s in tiny] == [
        ("u1", 18, 10.0),
        ("u2", 19, 4.0),
        ("u3", 20, 2.0),
        ("u2", 18, 3.0),
    ]


def test_first_come_on_one_point_by_hand(tiny):
    # u1 takes the point first and holds it past both later sessions of the night: they are
    # refused, and the point is not free again before either leaves, so neither has a wait.
    outcome = replay_method(tiny, 1, FIRST_COME)
    assert (outcome.sessions, outcome.served, outcome.refused) == (4, 2, 2)
    assert outcome.served_by_night == (1, 1)
    assert outcome.kwh_served == 13.0 and outcome.kwh == 19.0
    assert outcome.hours_served == 6.0 and outcome.hours == 7.5
    assert (outcome.users, outcome.users_refused, outcome.most_refused_nights) == (3, 2, 1)
    # Refused nights 0, 1, 1: Gini = ((-2)(0) + 0(1) + 2(1)) / (3 * 2) = 1/3.
    assert outcome.refused_gini == pytest.approx(1 / 3)
    assert outcome.waits == () and outcome.refused_no_point == 2
    assert outcome.median_wait is None
    assert outcome.proven_nights == 0


def test_the_engine_on_one_point_by_hand(tiny):
    # The engine serves u2 and u3 instead of u1: three sessions, but less energy. u1's point is
    # free from 21:00 (u3 leaves) to its plug-out at 23:00: a wait of 180 minutes from 18:00.
    outcome = replay_method(tiny, 1, ENGINE)
    assert (outcome.served, outcome.refused) == (3, 1)
    assert outcome.served_by_night == (2, 1)
    assert outcome.kwh_served == 9.0 and outcome.hours_served == 2.5
    assert (outcome.users_refused, outcome.most_refused_nights) == (1, 1)
    # Refused nights 0, 0, 1: Gini = 2 / (3 * 1).
    assert outcome.refused_gini == pytest.approx(2 / 3)
    assert outcome.waits == (180,) and outcome.median_wait == 180
    assert outcome.refused_no_point == 0
    assert outcome.proven_nights == 2


def test_two_points_serve_every_tiny_session(tiny):
    replay = replay_point_counts(tiny, [2])
    assert [(o.method, o.served, o.refused_gini) for o in replay.outcomes] == [
        (FIRST_COME, 4, 0.0),
        (ENGINE, 4, 0.0),
    ]
    assert replay.nights == (date(2019, 3, 1), date(2019, 3, 2)) and replay.users == 3


def test_a_period_keeps_the_sessions_of_its_nights(tiny):
    # A session plugged in before noon belongs to the evening before.
    early = Session("u9", datetime(2019, 3, 3, 9, 0), datetime(2019, 3, 3, 10, 0))
    sessions = [*tiny, early]
    assert sessions_between(sessions, date(2019, 3, 2), None) == [tiny[3], early]
    assert sessions_between(sessions, None, date(2019, 3, 1)) == tiny[:3]
    assert sessions_between(sessions, date(2019, 3, 3), date(2019, 3, 4)) == []


START = datetime(2019, 3, 1, 12, 0)
stays = st.lists(
    st.tuples(
        st.integers(0, 3),  # night
        st.integers(0, 3),  # user
        st.integers(0, 47),  # plug-in, half hours after noon
        st.integers(1, 32),  # half hours plugged in
    ),
    min_size=1,
    max_size=24,
)


def _sessions(drawn: list[tuple[int, int, int, int]]) -> list[Session]:
    sessions = []
    for night, user, start, length in drawn:
        plug_in = START + timedelta(days=night, minutes=30 * start)
        sessions.append(Session(f"u{user}", plug_in, plug_in + timedelta(minutes=30 * length)))
    return sorted(sessions, key=lambda s: (s.plug_in, s.user))


def _check_engine_and_points(outcomes: tuple[MethodOutcome, ...]) -> None:
    for points in {o.points for o in outcomes}:
        first_come, engine = (
            next(o for o in outcomes if o.points == points and o.method == method)
            for method in (FIRST_COME, ENGINE)
        )
        assert engine.proven_nights == len(engine.served_by_night)
        assert all(e >= f for e, f in zip(engine.served_by_night, first_come.served_by_night))
    for method in (FIRST_COME, ENGINE):
        by_points = [o.served_by_night for o in outcomes if o.method == method]
        for fewer, more in pairwise(by_points):
            assert all(m >= f for m, f in zip(more, fewer))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(stays)
def test_the_engine_never_serves_fewer_and_more_points_never_serve_fewer(drawn):
    _check_engine_and_points(replay_point_counts(_sessions(drawn), [1, 2, 3]).outcomes)


@pytest.mark.skipif(not DATA.exists(), reason="the Trondheim data is not in ../shared/data")
def test_on_the_real_sessions_night_by_night():
    # Each night on its own: the engine proves the most sessions served, first come, first
    # served can only match it; and a garage with more points serves at least as many.
    _check_engine_and_points(replay_point_counts(read_sessions(), [1, 2, 3, 4]).outcomes)
