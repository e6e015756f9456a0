"""When a request reached the service, as opposed to when it is handled.

Under a rush, a request can wait behind others (for a worker thread, a database connection) for
seconds. Rules that compare with a deadline (the evening's cutoff) read the moment it arrived:
the middleware notes it on the monotonic clock as the request comes in, and the dependency gives
it on the service's clock (`deps.get_now`, which tests replace) as now minus the wait.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from service.deps import get_now


class NoteArrival:
    """Notes the monotonic moment each HTTP request comes in (the outermost middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["arrived"] = time.monotonic()
        await self.app(scope, receive, send)


async def get_arrived(
    request: Request, now: Annotated[datetime, Depends(get_now, use_cache=False)]
) -> datetime:
    # `now` read afresh for this (not the request's cached one, which may be seconds old by the
    # time this runs), on the event loop right before: no hop to a worker thread in between.
    arrived: float | None = getattr(request.state, "arrived", None)
    waited = time.monotonic() - arrived if arrived is not None else 0.0
    return now - timedelta(seconds=waited)


ArrivedDep = Annotated[datetime, Depends(get_arrived)]
