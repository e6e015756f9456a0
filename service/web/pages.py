"""The pages' own routes: signing in and out, activation, the language switch, the start page;
and how the pages answer a missing session, the wrong role or a stale form."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import delete

from service.deps import NowDep, SessionDep, SettingsDep
from service.models import Account, Role, Token
from service.routes import auth
from service.schemas import ActivateIn, LoginIn
from service.security import token_digest
from service.web import resident, staff
from service.web.common import done_message, render
from service.web.i18n import LANGUAGES
from service.web.session import LANGUAGE_COOKIE, SESSION_COOKIE, PostedDep, SignInFirst, StaleForm, TranslatorDep, WrongRole, translator

router = APIRouter(include_in_schema=False)
YEAR_SECONDS = 365 * 24 * 3600


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so that the sign-in form cannot send anyone elsewhere."""
    return target if target and target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/")
def start(request: Request, session: SessionDep, now: NowDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    stored = session.get(Token, token_digest(token)) if token else None
    if stored is None:
        return RedirectResponse("/signin", status_code=303)
    role = session.get(Account, stored.account_id).role
    return RedirectResponse("/staff/night" if role == Role.STAFF.value else "/tonight", status_code=303)


@router.get("/signin")
def signin_page(request: Request, t: TranslatorDep) -> Response:
    return render(request, t, "signin.html", next=_safe_next(request.query_params.get("next")), errors=[], username="", done=done_message(t, request))


def _signed_in(token: str, expires_seconds: int, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=expires_seconds, httponly=True, samesite="lax", path="/")
    return response


@router.post("/signin")
def signin(
    request: Request, t: TranslatorDep, session: SessionDep, now: NowDep, settings: SettingsDep,
    username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    try:
        issued = auth.login(LoginIn(username=username.strip() or "-", password=password or "-"), session, now, settings, request)
    except HTTPException as error:
        message = t("signin.locked", until=error.detail.rsplit("after ", 1)[-1]) if error.status_code == 429 else t("signin.wrong")
        return render(request, t, "signin.html", error.status_code, next=_safe_next(next), errors=[message], username=username, done=None)
    target = _safe_next(next)
    if target == "/":
        target = "/staff/night" if issued.role == Role.STAFF.value else "/tonight"
    return _signed_in(issued.access_token, int(settings.token_hours * 3600), target)


@router.get("/activate")
def activate_page(request: Request, t: TranslatorDep) -> Response:
    return render(request, t, "activate.html", errors=[], username=request.query_params.get("username", ""))


@router.post("/activate")
def activate(
    request: Request, t: TranslatorDep, session: SessionDep, now: NowDep, settings: SettingsDep,
    username: Annotated[str, Form()] = "", code: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
) -> Response:
    if len(password) < 8:
        return render(request, t, "activate.html", 422, errors=[t("activate.short")], username=username)
    try:
        issued = auth.activate(ActivateIn(username=username.strip() or "-", code=code.strip()[:40] or "-", password=password[:200]), session, now, settings)
    except HTTPException:
        return render(request, t, "activate.html", 401, errors=[t("activate.wrong")], username=username)
    return _signed_in(issued.access_token, int(settings.token_hours * 3600), "/tonight")


@router.post("/signout")
def signout(request: Request, session: SessionDep, _account: PostedDep) -> Response:
    session.execute(delete(Token).where(Token.digest == token_digest(request.cookies[SESSION_COOKIE])))
    session.commit()
    response = RedirectResponse("/signin?done=signout.done", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language/{language}")
def switch_language(language: str, request: Request) -> Response:
    """Remembered in a cookie for a year; back to the page the reader was on."""
    response = RedirectResponse(_safe_next(request.query_params.get("back")), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR_SECONDS, samesite="lax", path="/")
    return response


def install(app: FastAPI) -> None:
    """The pages, their static files and their error answers, on the API's app."""
    for pages in (router, resident.router, staff.router):
        app.include_router(pages)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(SignInFirst)
    def _sign_in_first(request: Request, _error: SignInFirst) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?{urlencode({'next': target if request.method == 'GET' else '/'})}", status_code=303)

    @app.exception_handler(WrongRole)
    def _wrong_role(request: Request, error: WrongRole) -> Response:
        return render(request, translator(request), "refused.html", 403, message_key=error.key)

    @app.exception_handler(StaleForm)
    def _stale_form(request: Request, _error: StaleForm) -> Response:
        return render(request, translator(request), "refused.html", 403, message_key="error.csrf")
