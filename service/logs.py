"""The service's log: one line per request (method, path, status, duration) and one per run and
publication, on standard error. Configured here and nowhere else."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = logging.getLogger("service.requests")
_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str) -> None:
    """Lines from the service's loggers at `level` and above, once per process."""
    logger = logging.getLogger("service")
    logger.setLevel(level)
    if not any(getattr(handler, "parking", False) for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.parking = True  # type: ignore[attr-defined]  # marks our handler: added once
        logger.addHandler(handler)
    # The service's own lines are enough; uvicorn's access log would say each request twice.
    logging.getLogger("uvicorn.access").disabled = True


class RequestLog:
    """Logs each HTTP request at INFO when its response has been sent, with how long it took."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            REQUESTS.info(
                "%s %s %d %.1f ms",
                scope["method"],
                scope["path"],
                status["code"],
                (time.perf_counter() - started) * 1000,
            )
