"""How platform answers map to the client's errors (and so to exit codes)."""

from __future__ import annotations

import httpx
import pytest

from ortif_cli.api.client import error_for_response
from ortif_cli.cli.errors import exit_code_for


def answer(status: int, code: str = "x", message: str = "m") -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


@pytest.mark.parametrize(
    ("status", "code", "exit_code"),
    [
        (400, "bad_request", 6),
        (401, "invalid_credentials", 3),
        (403, "forbidden", 4),
        (404, "not_found", 5),
        (406, "not_acceptable", 6),
        (409, "invalid_state", 6),
        (413, "too_large", 6),
        (422, "validation_error", 6),
        (500, "internal", 7),
        (502, "delivery_failed", 7),
        (503, "unavailable", 7),
    ],
)
def test_status_maps_to_contract_exit_code(status: int, code: str, exit_code: int) -> None:
    assert exit_code_for(error_for_response(answer(status, code))) == exit_code


def test_non_json_error_body_still_gives_a_message() -> None:
    error = error_for_response(httpx.Response(502, text="<html>Bad gateway</html>"))
    assert "502" in error.message
