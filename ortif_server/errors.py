"""API errors and the handlers that render every error as `{"error": {code, message}}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)

# The database went away (a restart, a failover) or no connection was free in time: the
# request may be sent again as it is.
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 2

CODES_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


class ApiError(Exception):
    """An error the client caused, with the status and code of docs/api.md."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found.")


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {message}", {"field": field})


def guest_forbidden() -> ApiError:
    return ApiError(403, "guest_forbidden", "A guest may only read its dossier and add steps.")


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, _database_unavailable)
    app.add_exception_handler(DataError, _unstorable_value)
    app.add_exception_handler(Exception, _unexpected_error)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, headers, exc.details)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = CODES_BY_STATUS.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first: dict[str, Any] = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return error_response(400, "bad_request", "Malformed JSON body.")
    field = ".".join(_field_path(first))
    details = {"field": field} if field else None
    return error_response(422, "validation_error", describe_validation_error(first), None, details)


def describe_validation_error(error: dict[str, Any]) -> str:
    """`{"loc": ("body", "patient", "last_name"), "msg": "Field required"}` -> named field."""
    loc = _field_path(error)
    message = str(error.get("msg", "Invalid value"))
    return f"{'.'.join(loc)}: {message}" if loc else message


def _field_path(error: dict[str, Any]) -> list[str]:
    return [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("Database unavailable: %s", type(exc).__name__)
    message = "The database cannot be reached; try again shortly."
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return error_response(503, "database_unavailable", message, headers)


async def _unstorable_value(_request: Request, exc: Exception) -> JSONResponse:
    """The database refused a value of the request (PostgreSQL: a NUL character, a
    number out of range): the client's to correct, not the server's fault."""
    log.info("Value refused by the database (SQLSTATE %s)", getattr(exc.__cause__, "sqlstate", "?"))
    message = "A value of the request cannot be stored or searched (a NUL character?)."
    return error_response(400, "bad_request", message)


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("Unexpected error", exc_info=exc)
    return error_response(500, "internal_error", "Internal server error.")
