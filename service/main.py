"""The application: routers under /api/v1, OpenAPI at /docs, conflicts as 409 with a sentence."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from service.db import make_engine, make_sessions
from service.nightly import Conflict, InvalidField
from service.routes import auth, me, staff
from service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="Parking allocation", version="0.1.0", description="Shared parking at night: residents' requests, staff's nightly allocation.")
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessions = make_sessions(app.state.engine)
    for router in (auth.router, me.router, staff.router):
        app.include_router(router)

    @app.exception_handler(Conflict)
    def _conflict(_request: Request, error: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(InvalidField)
    def _invalid(_request: Request, error: InvalidField) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["body", error.field], "msg": str(error), "type": "value_error"}]}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    return app
