"""Signing in to the pages: the same tokens as the API, carried in a cookie, with a form token
against cross-site posts, and the page's language from its own cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.actions.accounts import account_of_token
from service.actions.inbox import open_reports, unread_count
from service.deps import NowDep, SessionDep
from service.models import Account, Compound, Household, Role
from service.web.i18n import Translator, language_of

SESSION_COOKIE = "parking_session"
LANGUAGE_COOKIE = "parking_lang"
# The sign-in and activation forms come before any session: their token is a random value kept in
# this cookie and echoed by the form (a double submit). Another site can make a browser post the
# form but can neither read the cookie nor set it (SameSite=Strict), so it cannot sign a victim
# into an account of its choosing.
SIGNIN_COOKIE = "parking_signin"


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


def signin_token(request: Request) -> str:
    """The sign-in form's token for this browser (a new one if it has none), put in the page."""
    token = request.cookies.get(SIGNIN_COOKIE) or secrets.token_hex(16)
    request.state.form_token = token
    return token


def keep_signin_token(request: Request, response: Response) -> Response:
    """Give the browser the sign-in form's token it was shown, if it did not have it yet."""
    token = request.state.form_token
    if request.cookies.get(SIGNIN_COOKIE) != token:
        response.set_cookie(
            SIGNIN_COOKIE,
            token,
            max_age=24 * 3600,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def is_signin_form(request: Request, csrf: str) -> bool:
    """The sign-in (or activation) form was posted from this site's page, with its token."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.url.netloc:
        return False
    cookie = request.cookies.get(SIGNIN_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(csrf, cookie)


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


def resident_page(
    request: Request, session: SessionDep, account: SignedInDep, now: NowDep
) -> Household:
    household = _resident(session, account)
    # The number beside the inbox, on every resident page.
    request.state.unread = unread_count(session, household, now)
    return household


def resident_post(
    request: Request, session: SessionDep, account: PostedDep, now: NowDep
) -> Household:
    household = _resident(session, account)
    request.state.unread = unread_count(session, household, now)
    return household


def _staff(session: Session, account: Account) -> Compound:
    if account.role != Role.STAFF.value:
        raise WrongRole("error.staff_only")
    return session.get_one(Compound, account.compound_id)


def staff_page(request: Request, session: SessionDep, account: SignedInDep) -> Compound:
    compound = _staff(session, account)
    # The number beside the messages page, on every staff page.
    request.state.open_reports = open_reports(session, compound)
    return compound


def staff_post(request: Request, session: SessionDep, account: PostedDep) -> Compound:
    compound = _staff(session, account)
    request.state.open_reports = open_reports(session, compound)
    return compound


ResidentDep = Annotated[Household, Depends(resident_page)]
ResidentPostDep = Annotated[Household, Depends(resident_post)]
StaffDep = Annotated[Compound, Depends(staff_page)]
StaffPostDep = Annotated[Compound, Depends(staff_post)]
