"""Signing in to the pages: the same tokens as the API, carried in a cookie, with a form token
against cross-site posts, and the page's language from its own cookie."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Form, Request
from sqlalchemy.orm import Session

from service.actions.accounts import account_of_token
from service.deps import NowDep, SessionDep
from service.models import Account, Compound, Household, Role
from service.web.i18n import Translator, language_of

SESSION_COOKIE = "parking_session"
LANGUAGE_COOKIE = "parking_lang"


class SignInFirst(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


class WrongRole(Exception):
    """Signed in, but as the other role: a resident on a staff page or the reverse."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class StaleForm(Exception):
    """A form posted without this session's form token (another site's, or an old page's)."""


def translator(request: Request) -> Translator:
    return Translator(language_of(request.cookies.get(LANGUAGE_COOKIE)))


TranslatorDep = Annotated[Translator, Depends(translator)]


def form_token(session_token: str) -> str:
    """A token tied to the session, put in every form and checked on every post."""
    return hmac.new(session_token.encode(), b"form", hashlib.sha256).hexdigest()[:32]


def signed_in(request: Request, session: SessionDep, now: NowDep) -> Account:
    token = request.cookies.get(SESSION_COOKIE)
    account = account_of_token(session=session, token=token, now=now) if token else None
    if token is None or account is None:
        raise SignInFirst()
    request.state.form_token = form_token(token)
    request.state.role = account.role
    return account


SignedInDep = Annotated[Account, Depends(signed_in)]


def checked_form(
    request: Request, account: SignedInDep, csrf: Annotated[str, Form()] = ""
) -> Account:
    """The account, for a post whose form token matches its session."""
    if not hmac.compare_digest(csrf, request.state.form_token):
        raise StaleForm()
    return account


PostedDep = Annotated[Account, Depends(checked_form)]


def _resident(session: Session, account: Account) -> Household:
    household = session.get(Household, account.household_id) if account.household_id else None
    if account.role != Role.RESIDENT.value or household is None:
        raise WrongRole("error.residents_only")
    return household


def resident_page(session: SessionDep, account: SignedInDep) -> Household:
    return _resident(session, account)


def resident_post(session: SessionDep, account: PostedDep) -> Household:
    return _resident(session, account)


def _staff(session: Session, account: Account) -> Compound:
    if account.role != Role.STAFF.value:
        raise WrongRole("error.staff_only")
    return session.get_one(Compound, account.compound_id)


def staff_page(session: SessionDep, account: SignedInDep) -> Compound:
    return _staff(session, account)


def staff_post(session: SessionDep, account: PostedDep) -> Compound:
    return _staff(session, account)


ResidentDep = Annotated[Household, Depends(resident_page)]
ResidentPostDep = Annotated[Household, Depends(resident_post)]
StaffDep = Annotated[Compound, Depends(staff_page)]
StaffPostDep = Annotated[Compound, Depends(staff_post)]
