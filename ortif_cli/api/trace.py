"""The `-v` HTTP trace: one line per request and answer, secrets and patient data redacted.

Redacted: the Authorization, Cookie and Set-Cookie headers and any header naming a
token; in JSON bodies and query strings, every secret (passwords, tokens, codes, OTPs)
and every patient field (names, identifiers, birth dates, INS, DICOM patient
attributes). Non-JSON bodies (DICOM, documents) are shown by size only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

REDACTED = "[redacted]"
SECRET_KEYS = {
    "password",
    "otp",
    "code",
    "token",
    "access_token",
    "refresh_token",
    "link_token",
    "secret",
}
PATIENT_KEYS = {
    "patient",
    "patient_name",
    "patient_id",
    "patient_birth_date",
    "last_name",
    "first_name",
    "first_names",
    "used_name",
    "used_first_name",
    "birth_date",
    "birthplace_code",
    "identifier",
    "ins_matricule",
    "q",
    "patientname",
    "patientid",
    "patientbirthdate",
    "00100010",
    "00100020",
    "00100030",
    "00101000",
    "00101001",
}
HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization"}

Tracer = Callable[[str], None]


def _secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in SECRET_KEYS or lowered in PATIENT_KEYS or "token" in lowered


def redact(value: Any) -> Any:
    """A copy of a JSON value with secret and patient fields replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if _secret_key(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def redact_url(url: httpx.URL) -> str:
    if not url.query:
        return str(url)
    pairs = parse_qsl(url.query.decode(), keep_blank_values=True)
    query = urlencode([(k, REDACTED if _secret_key(k) else v) for k, v in pairs], safe="[]*")
    return str(url.copy_with(query=query.encode()))


def redact_headers(headers: httpx.Headers) -> str:
    shown = []
    for name, value in headers.items():
        hidden = name.lower() in HEADERS or "token" in name.lower()
        shown.append(f"{name}: {REDACTED if hidden else value}")
    return "; ".join(shown)


def _body(content: bytes, content_type: str) -> str:
    if not content:
        return ""
    if "json" not in content_type:
        return f"<{len(content)} bytes of {content_type or 'data'}>"
    try:
        return json.dumps(redact(json.loads(content)), ensure_ascii=False)
    except ValueError:
        return f"<{len(content)} bytes of unparsable JSON>"


def hooks(trace: Tracer) -> dict[str, list[Callable[..., None]]]:
    """httpx event hooks that write the trace through `trace`."""

    def on_request(request: httpx.Request) -> None:
        trace(f"> {request.method} {redact_url(request.url)}")
        trace(f">   {redact_headers(request.headers)}")
        if isinstance(request.stream, httpx.ByteStream):
            body = _body(request.content, request.headers.get("content-type", ""))
            if body:
                trace(f">   {body}")
        else:
            trace(">   <streamed body>")

    def on_response(response: httpx.Response) -> None:
        trace(
            f"< {response.status_code} {response.reason_phrase} ({response.request.method} "
            f"{redact_url(response.request.url)})"
        )
        trace(f"<   {redact_headers(response.headers)}")
        content_type = response.headers.get("content-type", "")
        if "json" in content_type:
            response.read()
            body = _body(response.content, content_type)
            if body:
                trace(f"<   {body}")

    return {"request": [on_request], "response": [on_response]}
