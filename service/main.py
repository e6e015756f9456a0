"""The application: routers under /api/v1, the pages, OpenAPI at /docs, and one mapping from the
application layer's refusals to HTTP statuses."""

from __future__ import annotations

import importlib.util
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.actions.accounts import UnknownNames
from service.actions.errors import DomainError, InvalidInput, Unauthorised
from service.arrival import NoteArrival
from service.db import POOL_SIZE, make_engine, make_sessions
from service.deps import refuse_nul, take_submissions
from service.logs import RequestLog, configure_logging
from service.routes import auth, ballots, live, me, staff
from service.schemas import Problem
from service.security import ballot_key
from service.settings import Settings
from service.statuses import status_of
from service.web import pages
from service.web.common import render
from service.web.session import translator

# Below FastAPI's 40 worker threads and the pool's connections (see _AtMost).
MAX_REQUESTS_INSIDE = min(30, POOL_SIZE + 10)
# SQLite writes one at a time: more requests inside only compete for Python's lock with the one
# that holds the write (a rush of submissions measured 23 % faster with 3 inside than with 30).
MAX_REQUESTS_INSIDE_SQLITE = 4
# Residents' new requests inside at once, taken in batches (see _AtMost): as many as a batch may
# take, and few enough that the event loop still reads (and stamps) newcomers within milliseconds.
MAX_BATCHED_INSIDE = 32


def refusal_response(error: DomainError) -> JSONResponse:
    """The API's answer to a refusal: a sentence, or for bad input every field at fault."""
    detail: Any = error.message
    if isinstance(error, InvalidInput):
        detail = [
            {"loc": list(p.location), "msg": p.message, "type": p.kind} for p in error.problems
        ]
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthorised) else None
    return JSONResponse({"detail": detail}, status_code=status_of(error), headers=headers)


class _AtMost:
    """Lets at most `limit` requests into the app at once; the others wait their turn.

    Each request holds one database connection from its first query to its session's close, and
    needs a worker thread for each synchronous step in between. With more requests inside than
    threads and connections, every thread can end up waiting for a connection that is held by a
    request waiting for a thread. Fewer requests inside than either makes that impossible.

    Residents' new requests (`BATCHED`) hold neither: they wait on the event loop to be taken in
    batches (`service.batching`), one connection and one thread per batch. They have a gate of
    their own, `MAX_BATCHED_INSIDE` wide, so that those waiting at once are taken at once. It is
    not left open: every request inside is read and checked on the event loop before it waits
    for its batch, and a request's arrival is stamped (`service.arrival`) when the loop comes to
    it after those; with a hundred inside at once, requests sent 80 ms before the cutoff were
    stamped after it (the race test over real HTTP, PostgreSQL).
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limits = {False: limit, True: MAX_BATCHED_INSIDE}
        self.gates: dict[bool, anyio.Semaphore] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        batched = scope["method"] == "POST" and BATCHED.match(scope["path"]) is not None
        if batched not in self.gates:
            self.gates[batched] = anyio.Semaphore(self.limits[batched])
        async with self.gates[batched]:
            await self.app(scope, receive, send)


# A resident's new request (`service.routes.me.submit_request`): taken in batches.
BATCHED = re.compile(r"^/api/v1/me/nights/[^/]+/requests$")
# The households' CSV import, on the API and on the staff's page, takes the larger body.
UPLOADS = re.compile(r"^(/api/v1/compounds/[^/]+|/staff)/households/import$")


class BodyTooLarge(StarletteHTTPException):
    """A request body over its limit; raised as its bytes arrive, or at once by Content-Length."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the request body is larger than {limit:,} bytes, the most this address takes",
        )
        self.limit = limit


def too_large(request: Request, error: BodyTooLarge) -> Response:
    """413: JSON for the API, the page's own refusal for the pages."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)
    t = translator(request)
    size = f"{error.limit / 1024 / 1024:g} MB"
    return render(
        request,
        t,
        "refused.html",
        error.status_code,
        message_key="error.title",
        errors=[t("error.too_large", size=size)],
    )


class _BodyLimit:
    """Refuses a request body over its limit with 413 before the app parses it: at once when its
    Content-Length says so, else (chunked, or a Content-Length that lies short) as soon as the
    bytes received pass the limit, counted as they arrive. Nothing larger is ever held."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if UPLOADS.match(scope["path"]) else self.limit
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await too_large(Request(scope), BodyTooLarge(limit))(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI lets an HTTPException out of its body parsing: the app's handler
                    # answers it (below, if it got past the app).
                    raise BodyTooLarge(limit)
            return message

        async def noted(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, noted)
        except BodyTooLarge as error:
            if started:
                raise
            await too_large(Request(scope), error)(scope, receive, send)


def _routes(app: FastAPI) -> list[Any]:
    """Every route with its own path and methods (FastAPI 0.16x keeps included routers whole)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # earlier FastAPI: the app's routes are the included routes themselves
        return list(app.router.routes)
    return list(iter_route_contexts(app.router.routes))


def allowed_methods(request: Request) -> str:
    """The methods of the resource at this path, for a 405: Starlette's names only the methods of
    the first route with the path, the pages' none. Where two templates match (households/import
    and households/{code}), the one with fewer parameters names the resource, as the OpenAPI
    document does; mounted files answer their own 405."""
    matching = [
        route
        for route in _routes(request.app)
        if isinstance(getattr(route, "path", None), str)
        and not isinstance(getattr(route, "route", route), Mount)
        and route.matches(request.scope)[0] != Match.NONE
    ]
    if not matching:
        return ""
    fewest = min(route.path.count("{") for route in matching)
    methods: set[str] = set()
    for route in matching:
        if route.path.count("{") == fewest:
            methods |= set(route.methods or ())
    return ", ".join(sorted(methods))


# Documented on every operation with a body: what the app answers before reading it.
BODY_PROBLEMS = {
    "400": "the body cannot be read: JSON that does not parse (or is not UTF-8), broken multipart",
    "413": "the body is larger than the service takes (1 MB by default; 5 MB for a CSV import)",
}


def _openapi_with_body_problems(app: FastAPI) -> None:
    """The OpenAPI document, with the 400 and 413 answers of every operation that takes a body."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        document["components"]["schemas"].setdefault("Problem", Problem.model_json_schema())
        for operations in document["paths"].values():
            for operation in operations.values():
                body = operation.get("requestBody", {}).get("content", {})
                for code, meaning in BODY_PROBLEMS.items():
                    if body:
                        operation["responses"].setdefault(
                            code, {"description": meaning, "content": problem}
                        )
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


# Swagger UI and ReDoc from the fastapi-offline package's files: /docs works offline (and in
# mainland China, where the CDNs FastAPI uses by default are unreliable).
_OFFLINE = importlib.util.find_spec("fastapi_offline")
assert _OFFLINE is not None and _OFFLINE.origin is not None, "pip install fastapi-offline"
DOCS_ASSETS = Path(_OFFLINE.origin).parent / "static"
# The documentation pages load nothing from another host.
DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors 'none'"
)


def _self_hosted_docs(app: FastAPI) -> None:
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response:
        page = get_swagger_ui_html(
            openapi_url=str(app.openapi_url),
            title=f"{app.title} - Swagger UI",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
            # No badge from the online validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        page = get_redoc_html(
            openapi_url=str(app.openapi_url),
            title=f"{app.title} - ReDoc",
            redoc_js_url="/docs-assets/redoc.standalone.js",
            redoc_favicon_url="/docs-assets/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Parking allocation",
        version="0.1.0",
        description="Shared parking at night: residents' requests, staff's nightly allocation.",
        docs_url=None,
        redoc_url=None,
        # NUL in a path, a query or a form is refused before any route reads it.
        dependencies=[Depends(refuse_nul)],
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url, settings.sqlite_synchronous)
    app.state.sessions = make_sessions(app.state.engine)
    app.state.submissions = take_submissions(app.state.sessions)
    app.state.unknown_names = UnknownNames()
    app.state.ballot_key = ballot_key(settings.ballot_key, settings.database_url)
    # Background jobs (household imports, ballots' simulations): one at a time, beside the requests.
    app.state.jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")
    for router in (
        auth.router,
        me.router,
        staff.router,
        live.staff,
        live.compound,
        live.residents,
        ballots.staff,
        ballots.residents,
    ):
        app.include_router(router)
    pages.install(app)
    _self_hosted_docs(app)
    _openapi_with_body_problems(app)
    sqlite = app.state.engine.dialect.name == "sqlite"
    app.add_middleware(_AtMost, limit=MAX_REQUESTS_INSIDE_SQLITE if sqlite else MAX_REQUESTS_INSIDE)
    app.add_middleware(
        _BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes
    )
    app.add_middleware(RequestLog)
    app.add_middleware(NoteArrival)
    not_a_route = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED)
    async def _not_allowed(request: Request, error: StarletteHTTPException) -> Response:
        # The pages' answer (or the API's JSON), with the methods of every route at this path.
        response: Response = await not_a_route(request, error)  # type: ignore[misc]
        response.headers["Allow"] = allowed_methods(request)
        return response

    @app.exception_handler(BodyTooLarge)
    def _too_large(request: Request, error: BodyTooLarge) -> Response:
        return too_large(request, error)

    @app.exception_handler(DomainError)
    def _refused(request: Request, error: DomainError) -> Response:
        if not request.url.path.startswith("/api/"):
            return pages.refused_page(request, error, status_of(error))
        return refusal_response(error)

    @app.exception_handler(RequestValidationError)
    def _unprocessable(request: Request, error: RequestValidationError) -> Response:
        if not request.url.path.startswith("/api/"):
            return pages.invalid_form(request, error)
        malformed = [e for e in error.errors() if e["type"] == "json_invalid"]
        if malformed:
            where = malformed[0]["loc"][-1]
            reason = malformed[0].get("ctx", {}).get("error", "not JSON")
            return JSONResponse(
                {"detail": f"the body is not valid JSON ({reason}, at character {where})"},
                status_code=status.HTTP_400_BAD_REQUEST,
            )
        # The default reply echoes the input, which cannot be written as JSON when it holds NaN.
        detail = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    return app
