"""Helpers for the live night's page tests: the demo's published night at 23:00 in Shanghai, and
the stays and waiting list as the application layer reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from engine.live import refill
from engine.model import CapAccount
from service.actions.live import LiveNight, LiveStay, live_night
from service.actions.nights import night_of
from service.compounds import resident_account
from service.demo import COMPOUND, RESIDENT_PASSWORD
from service.models import Compound, Household
from service.security import hash_secret
from tests.web.web_site import PUBLISHED, Site

# 23:00 in Shanghai on the published evening: the night is under way.
DURING_THE_NIGHT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SERVED = "served tonight, rents a space"
REFUSED = "refused tonight"


def lived(site: Site) -> LiveNight:
    app = site.app if site.app is not None else site.make_app()
    with app.state.sessions() as session:
        compound = session.get_one(Compound, COMPOUND)
        night = live_night(session, compound, night_of(session, COMPOUND, PUBLISHED))
        assert night is not None
        assert night.instance.requests and night.stays  # read while the session is open
        return night


def stay_of(site: Site, role: str):
    household = site.demo.residents[role]
    return next(s for s in lived(site).stays if s.household == household)


def no_show_with_an_offer(site: Site) -> tuple[LiveStay, str]:
    """A published stay whose space, freed, the engine offers to a household on the waiting
    list, and that household's username (given the demo residents' password here)."""
    night = lived(site)
    kept = night.kept()
    waiting = [f"q{r}" for r in night.waiting()]
    for stay in night.stays:
        key = f"q{stay.request_id}"
        offers = refill(
            night.instance,
            kept={r: s for r, s in kept.items() if r != key},
            freed={stay.space},
            waiting=waiting,
            vacated={CapAccount(stay.household, stay.charging)},
        ).offers
        if offers:
            household = night.instance.request_by_id[next(iter(offers))].household
            with site.app.state.sessions.begin() as session:
                account = resident_account(
                    session,
                    session.scalars(
                        select(Household).where(
                            Household.compound_id == COMPOUND, Household.code == household
                        )
                    ).one(),
                )
                account.password_hash = hash_secret(RESIDENT_PASSWORD)
            return stay, f"{COMPOUND}/{household}"
    raise AssertionError("no freed space would reach the waiting list")
