"""Refuses oversize request bodies (413) except on the streamed uploads (their own limits)."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ortif_server.errors import ApiError

STREAMED = ("/api/v1/documents", "/dicomweb/studies")
STREAMED_PAGES = re.compile(r"/guest/[^/]+/steps")  # the guest's form with documents


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in STREAMED
            or STREAMED_PAGES.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def wrapped() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise ApiError(413, "too_large", f"The body is larger than {self.limit} bytes.")
            return message

        return wrapped


async def _too_large(send: Send, limit: int) -> None:
    message = f"The body is larger than {limit} bytes."
    body = json.dumps({"error": {"code": "too_large", "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
