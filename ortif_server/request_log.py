"""Logs for operators: a request id on every line, one access line per request, and a
JSON form (`serve --log-format json`) for log collectors.

The access line names the route, never the query string nor the path's values: query
strings carry patient names (QIDO-RS) and paths carry identifiers, and patient data
stays out of the logs.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
REQUEST_ID_HEADER = b"x-request-id"
MAX_REQUEST_ID = 64
access_log = logging.getLogger("ortif_server.access")


class RequestIdMiddleware:
    """Take the proxy's X-Request-ID (or make one), log under it, send it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        reset = REQUEST_ID.set(request_id)
        started, status = time.perf_counter(), [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _log_access(scope, status[0], time.perf_counter() - started)
            REQUEST_ID.reset(reset)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER:
            text = str(value.decode("latin-1"))
            if 0 < len(text) <= MAX_REQUEST_ID and all(c.isalnum() or c in "-_.:" for c in text):
                return text
    return None


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    path = route_template(scope) if "route" in scope else "(unrouted)"
    http = {"method": scope["method"], "route": path, "status": status}
    http["duration_ms"] = round(seconds * 1000, 1)
    access_log.info("%s %s %d", scope["method"], path, status, extra={"http": http})


def route_template(scope: Scope) -> str:
    """The request's path with each path parameter's value replaced by its name:
    `/api/v1/dossiers/{dossier_id}`."""
    names = {str(value): name for name, value in scope.get("path_params", {}).items()}
    segments = scope["path"].split("/")
    return "/".join(f"{{{names[s]}}}" if s in names else s for s in segments)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (`%(request_id)s`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
            "pid": record.process,
        }
        entry.update(getattr(record, "http", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def log_config(log_format: str) -> dict[str, Any]:
    """A logging configuration (for uvicorn, in every worker): everything on stderr."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "default",
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "ortif_server": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
    }
