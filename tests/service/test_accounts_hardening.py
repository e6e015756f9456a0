"""Sign-in, activation and sessions under attack (issue 11, items 3, 6, 12-15).

Each test guards against what an outside test found:
- concurrent wrong guesses passed a limit of 5 per 15 minutes (the count was read, then written);
- a success racing failures left failed_logins=5 with no date, and every later sign-in of the
  account failed with a 500;
- concurrent publications wrote several "publish" audit entries for one night;
- a new activation code left the old password, API tokens and web sessions working;
- another site could post the sign-in form and sign a victim into the attacker's account;
- a sign-in under an unknown name answered without checking any hash (7x faster: the names
  could be told apart by timing);
- activation codes could be guessed without limit.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from service.actions import accounts
from service.db import upgrade
from service.main import create_app
from service.models import Account, AuditEntry
from service.settings import Settings
from tests.service.conftest import AFTER_CUTOFF, EVENING
from tests.service.live import seed_compound, serving


def test_concurrent_guesses_cannot_pass_the_limit(database_url):
    upgrade(database_url)
    app = create_app(Settings(database_url=database_url, login_attempts=5))
    seed_compound(app, households=1)
    with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:

        def guess(n: int) -> int:
            body = {"username": "staff", "password": f"guess-{n}"}
            return client.post("/api/v1/auth/login", json=body).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(guess, range(60)))
        right = client.post(
            "/api/v1/auth/login", json={"username": "staff", "password": "staff-password"}
        )
    assert statuses.count(401) == 5 and statuses.count(429) == 55
    assert right.status_code == 429  # locked, even with the right password, for the window
    with app.state.sessions() as session:
        staff = session.scalars(select(Account).where(Account.username == "staff")).one()
        assert (staff.failed_logins, staff.first_failure_at is not None) == (5, True)
    app.state.engine.dispose()


def test_a_success_racing_failures_leaves_a_consistent_account(database_url):
    upgrade(database_url)
    app = create_app(Settings(database_url=database_url, login_attempts=50))
    seed_compound(app, households=1)
    with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:

        def attempt(n: int) -> int:
            password = "staff-password" if n % 4 == 0 else f"guess-{n}"
            body = {"username": "staff", "password": password}
            return client.post("/api/v1/auth/login", json=body).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(attempt, range(24)))
        after = client.post(
            "/api/v1/auth/login", json={"username": "staff", "password": "staff-password"}
        )
    assert set(statuses) <= {200, 401} and after.status_code == 200
    with app.state.sessions() as session:
        staff = session.scalars(select(Account).where(Account.username == "staff")).one()
        assert staff.failed_logins == 0 or staff.first_failure_at is not None
    app.state.engine.dispose()


def test_the_database_refuses_a_failure_count_without_its_date(world):
    with world.app.state.sessions() as session, pytest.raises(IntegrityError):
        session.execute(
            update(Account)
            .where(Account.username == "staff")
            .values(failed_logins=5, first_failure_at=None)
        )
        session.commit()


def test_a_night_published_by_many_at_once_is_published_once(database_url):
    upgrade(database_url)
    app = create_app(Settings(database_url=database_url))
    from service.deps import get_now

    app.dependency_overrides[get_now] = lambda: AFTER_CUTOFF
    seed_compound(app, households=20, requests=20)
    with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        token = client.post(
            "/api/v1/auth/login", json={"username": "staff", "password": "staff-password"}
        ).json()["access_token"]
        staff = {"Authorization": f"Bearer {token}"}
        night = f"/api/v1/compounds/rush/nights/{EVENING}"
        assert client.post(f"{night}/run", headers=staff).status_code == 201
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(
                pool.map(
                    lambda _: client.post(f"{night}/publish", headers=staff).status_code, range(10)
                )
            )
    assert sorted(statuses) == [200] + [409] * 9
    with app.state.sessions() as session:
        published = session.scalars(select(AuditEntry).where(AuditEntry.action == "publish")).all()
    assert len(published) == 1
    app.state.engine.dispose()


def test_a_new_activation_code_ends_the_old_password_and_every_session(world):
    resident = world.tokens["2-201"]
    assert world.call("2-201", "GET", "/api/v1/me").status_code == 200
    code = world.call("staff", "POST", "/api/v1/compounds/tiny/households/2-201/activation")
    assert code.status_code == 200
    assert world.call("2-201", "GET", "/api/v1/me").status_code == 401
    old = world.client.post(
        "/api/v1/auth/login", json={"username": "tiny/2-201", "password": "pw-2-201-123"}
    )
    assert old.status_code == 401 and resident
    new = world.client.post(
        "/api/v1/auth/activate",
        json={
            "username": "tiny/2-201",
            "code": code.json()["activation_code"],
            "password": "a-new-password",
        },
    )
    assert new.status_code == 200


def test_a_page_session_ends_with_a_new_activation_code(world):
    token = _signin_token(world.client)
    world.client.post(
        "/signin",
        data={"username": "tiny/2-201", "password": "pw-2-201-123", "csrf": token},
        follow_redirects=False,
    )
    assert world.client.get("/tonight", follow_redirects=False).status_code == 200
    world.call("staff", "POST", "/api/v1/compounds/tiny/households/2-201/activation")
    assert world.client.get("/tonight", follow_redirects=False).status_code == 303


def _signin_token(client) -> str:
    import re

    page = client.get("/signin").text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def test_another_site_cannot_post_the_sign_in_form(world):
    # The attacker's page posts its own credentials: no token of this site, another origin.
    forged = world.client.post(
        "/signin",
        data={"username": "tiny/3-301", "password": "pw-3-301-123"},
        headers={"Origin": "https://attacker.example"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "parking_session" not in forged.headers.get(
        "set-cookie", ""
    )
    # Even with the form's token, a post from another origin is refused.
    token = _signin_token(world.client)
    from_elsewhere = world.client.post(
        "/signin",
        data={"username": "tiny/3-301", "password": "pw-3-301-123", "csrf": token},
        headers={"Origin": "https://attacker.example"},
        follow_redirects=False,
    )
    assert from_elsewhere.status_code == 403
    ours = world.client.post(
        "/signin",
        data={"username": "tiny/3-301", "password": "pw-3-301-123", "csrf": token},
        follow_redirects=False,
    )
    assert ours.status_code == 303


@pytest.mark.parametrize("username", ["nobody-here", "tiny/3-301"])
def test_every_sign_in_checks_one_hash_whether_the_name_exists_or_not(world, monkeypatch, username):
    checked = []
    real = accounts.verify_secret
    monkeypatch.setattr(
        accounts,
        "verify_secret",
        lambda digest, secret: checked.append(digest) or real(digest, secret),
    )
    reply = world.client.post("/api/v1/auth/login", json={"username": username, "password": "nope"})
    assert reply.status_code == 401 and len(checked) == 1 and checked[0]


@pytest.mark.parametrize("username", ["nobody-here", "tiny/3-301"])
def test_every_activation_checks_one_hash_whether_the_name_exists_or_not(
    world, monkeypatch, username
):
    checked = []
    real = accounts.verify_secret
    monkeypatch.setattr(
        accounts,
        "verify_secret",
        lambda digest, secret: checked.append(digest) or real(digest, secret),
    )
    body = {"username": username, "code": "WRONGCODE", "password": "long-enough"}
    reply = world.client.post("/api/v1/auth/activate", json=body)
    assert reply.status_code == 401 and len(checked) == 1 and checked[0]


def test_activation_codes_cannot_be_guessed_without_limit(world):
    # World's settings allow 3 tries per window.
    code = world.call("staff", "POST", "/api/v1/compounds/tiny/households/3-301/activation").json()
    statuses = [
        world.client.post(
            "/api/v1/auth/activate",
            json={"username": "tiny/3-301", "code": f"GUESS{n:05d}", "password": "long-enough"},
        ).status_code
        for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    right = world.client.post(
        "/api/v1/auth/activate",
        json={"username": "tiny/3-301", "code": code["activation_code"], "password": "long-enough"},
    )
    assert right.status_code == 429
    unknown = [
        world.client.post(
            "/api/v1/auth/activate",
            json={"username": "tiny/9-999", "code": "GUESS", "password": "long-enough"},
        ).status_code
        for _ in range(4)
    ]
    assert unknown == [401, 401, 401, 429]


def test_an_activation_code_works_once_also_when_used_twice_at_once(database_url):
    upgrade(database_url)
    app = create_app(Settings(database_url=database_url))
    seed_compound(app, households=1)
    with app.state.sessions.begin() as session:
        from service.compounds import issue_activation
        from service.models import Household

        code = issue_activation(session, session.scalars(select(Household)).one())
    with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:

        def activate(n: int) -> int:
            body = {"username": "rush/h0", "code": code, "password": f"password-{n}"}
            return client.post("/api/v1/auth/activate", json=body).status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(activate, range(6)))
    # One consumes the code; the others are wrong codes (or, past five tries, locked out).
    assert statuses.count(200) == 1 and set(statuses) <= {200, 401, 429}
    app.state.engine.dispose()


def test_a_new_activation_code_lets_a_locked_out_resident_in(world):
    for _ in range(3):  # World's settings: 3 tries per window
        world.client.post("/api/v1/auth/login", json={"username": "tiny/3-301", "password": "x"})
    locked = world.client.post(
        "/api/v1/auth/login", json={"username": "tiny/3-301", "password": "pw-3-301-123"}
    )
    assert locked.status_code == 429
    code = world.call("staff", "POST", "/api/v1/compounds/tiny/households/3-301/activation")
    activated = world.client.post(
        "/api/v1/auth/activate",
        json={
            "username": "tiny/3-301",
            "code": code.json()["activation_code"],
            "password": "a-new-password",
        },
    )
    assert activated.status_code == 200
