"""The pages' own routes: signing in and out, activation, the language switch, the start page;
and how the pages answer a missing session, the wrong role or a stale form."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.actions import accounts
from service.actions.errors import DomainError, TooManyAttempts, field_name
from service.deps import NowDep, SessionDep, SettingsDep, UnknownNamesDep
from service.models import DEFAULT_TIMEZONE, Role
from service.schemas import ActivateIn, LoginIn, TokenOut
from service.settings import Settings
from service.web import ballots, inbox, live, resident, staff
from service.web.common import done_message, error_lines, field_error, render
from service.web.i18n import LANGUAGES, Translator
from service.web.session import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    PostedDep,
    SignedInDep,
    SignInFirst,
    StaleForm,
    TranslatorDep,
    WrongRole,
    is_signin_form,
    keep_signin_token,
    signin_token,
    translator,
)

router = APIRouter(include_in_schema=False)
YEAR_SECONDS = 365 * 24 * 3600


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so that the sign-in form cannot send anyone elsewhere."""
    return (
        target
        if target and target.startswith("/") and not target.startswith("//") and "\\" not in target
        else "/"
    )


def _home(role: str) -> str:
    return "/staff/night" if role == Role.STAFF.value else "/tonight"


@router.get("/")
def start(account: SignedInDep) -> Response:
    """Each role's first page; without a session, the sign-in form (which comes back here)."""
    return RedirectResponse(_home(account.role), status_code=303)


def _before_signing_in(
    request: Request, t: Translator, template: str, status_code: int = 200, **context: Any
) -> Response:
    """The sign-in or activation page, with its form token (and the cookie that holds it)."""
    signin_token(request)
    page = render(request, t, template, status_code, **context)
    return keep_signin_token(request, page)


@router.get("/signin")
def signin_page(request: Request, t: TranslatorDep) -> Response:
    return _before_signing_in(
        request,
        t,
        "signin.html",
        next=_safe_next(request.query_params.get("next")),
        errors=[],
        username="",
        done=done_message(t, request),
    )


def _signed_in(
    request: Request, issued: TokenOut, settings: Settings, now: datetime, target: str
) -> Response:
    """The token in an HttpOnly session cookie that lasts as long as the token."""
    hours = accounts.session_hours(issued.role, settings, for_pages=True)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.access_token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def _locked_until(session: Session, username: str, error: TooManyAttempts, t: Translator) -> str:
    """When sign-ins are taken again, in the compound's time (the default zone for unknown
    names)."""
    zone = accounts.username_zone(session=session, username=username, default=DEFAULT_TIMEZONE)
    return t.moment(error.retry.astimezone(ZoneInfo(zone)))


@router.post("/signin")
def signin(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    unknown_names: UnknownNamesDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    username = username.strip()

    def again(status_code: int, message: str) -> Response:
        return _before_signing_in(
            request,
            t,
            "signin.html",
            status_code,
            next=_safe_next(next),
            errors=[message],
            username=username[:80],
            done=None,
        )

    if not is_signin_form(request, csrf):
        return again(403, t("error.csrf"))
    try:
        body = LoginIn(username=username or "-", password=password or "-")
        issued = accounts.login(
            session=session,
            username=body.username,
            password=body.password,
            now=now,
            settings=settings,
            unknown_names=unknown_names,
            for_pages=True,
        )
    except TooManyAttempts as error:
        return again(429, t("signin.locked", until=_locked_until(session, username, error, t)))
    except (DomainError, ValidationError):
        # A name or password longer than any account's is simply wrong.
        return again(401, t("signin.wrong"))
    target = _safe_next(next)
    return _signed_in(
        request, issued, settings, now, _home(issued.role) if target == "/" else target
    )


@router.get("/activate")
def activate_page(request: Request, t: TranslatorDep) -> Response:
    username = request.query_params.get("username", "")[:80]
    return _before_signing_in(request, t, "activate.html", errors=[], username=username)


@router.post("/activate")
def activate(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    unknown_names: UnknownNamesDep,
    username: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    username = username.strip()

    def again(status_code: int, errors: list[str]) -> Response:
        return _before_signing_in(
            request, t, "activate.html", status_code, errors=errors, username=username[:80]
        )

    if not is_signin_form(request, csrf):
        return again(403, [t("error.csrf")])
    try:
        body = ActivateIn(username=username or "-", code=code.strip() or "-", password=password)
    except ValidationError as error:
        return again(422, error_lines(t, error))
    try:
        issued = accounts.activate(
            session=session,
            body=body,
            now=now,
            settings=settings,
            unknown_names=unknown_names,
            for_pages=True,
        )
    except TooManyAttempts as error:
        return again(429, [t("signin.locked", until=_locked_until(session, username, error, t))])
    except DomainError:
        return again(401, [t("activate.wrong")])
    return _signed_in(request, issued, settings, now, "/tonight")


@router.post("/signout")
def signout(request: Request, session: SessionDep, _account: PostedDep) -> Response:
    accounts.sign_out(session=session, token=request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/signin?done=signout.done", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language/{language}")
def switch_language(language: str, request: Request) -> Response:
    """Remembered in a cookie for a year; back to the page the reader was on."""
    response = RedirectResponse(_safe_next(request.query_params.get("back")), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=YEAR_SECONDS, samesite="lax", path="/"
        )
    return response


def refused_page(request: Request, error: DomainError, status_code: int) -> Response:
    """A refusal that reached no page of its own: said in the reader's language."""
    t = translator(request)
    return render(
        request,
        t,
        "refused.html",
        status_code,
        message_key="error.title",
        errors=error_lines(t, error),
    )


def invalid_form(request: Request, error: RequestValidationError) -> Response:
    """A page's form or address that does not parse (a letter where a number goes): the page's own
    refusal, in the reader's language, instead of the API's JSON."""
    t = translator(request)
    lines = [field_error(t, field_name(e["loc"]), e["msg"]) for e in error.errors()]
    return render(request, t, "refused.html", 422, message_key="error.form", errors=lines)


def install(app: FastAPI) -> None:
    """The pages, their static files and their error answers, on the API's app."""
    for pages in (
        router,
        resident.router,
        staff.router,
        inbox.router,
        live.router,
        ballots.residents,
        ballots.staff,
    ):
        app.include_router(pages)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def _not_a_page(request: Request, error: StarletteHTTPException) -> Response:
        # The API keeps its JSON answers; an address that is no page gets a page saying so.
        if request.url.path.startswith("/api/") or error.status_code not in (404, 405):
            return await http_exception_handler(request, error)
        return render(
            request,
            translator(request),
            "refused.html",
            error.status_code,
            message_key="error.not_found",
        )

    @app.exception_handler(SignInFirst)
    def _sign_in_first(request: Request, _error: SignInFirst) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(
            f"/signin?{urlencode({'next': target if request.method == 'GET' else '/'})}",
            status_code=303,
        )

    @app.exception_handler(WrongRole)
    def _wrong_role(request: Request, error: WrongRole) -> Response:
        return render(request, translator(request), "refused.html", 403, message_key=error.key)

    @app.exception_handler(StaleForm)
    def _stale_form(request: Request, _error: StaleForm) -> Response:
        return render(request, translator(request), "refused.html", 403, message_key="error.csrf")
