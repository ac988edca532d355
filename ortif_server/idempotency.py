"""`Idempotency-Key` on state-changing POSTs: the first 2xx answer is replayed for 24 h.

A pure ASGI middleware, so that streamed uploads are hashed as they pass. Answers that
carry secrets (sign-in, refresh, guest session, personal tokens) are never stored: those
endpoints ignore the key. The keys live in the database (idempotency_records), so any
server process answers a retry; a retry of a request that died with its process runs
again once that request's lease has passed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ortif_server.deps import BEARER_KINDS
from ortif_server.errors import DATABASE_ERRORS, RETRY_AFTER_SECONDS
from ortif_server.idempotency_records import (
    LEASE_RENEWAL,
    PENDING,
    KeyRecords,
    Who,
    seconds_left,
)
from ortif_server.models import IdempotencyRecord, Token
from ortif_server.security import token_digest

SECRET_ANSWERS = (
    "/api/v1/session",
    "/api/v1/session/refresh",
    "/api/v1/guest-session",
    "/api/v1/tokens",
)


@dataclass
class Exchange:
    """One request passing through: the hash of its body and the answer sent."""

    hasher: Any = field(default_factory=hashlib.sha256)
    complete: bool = False
    status: int = PENDING
    content_type: str | None = None
    body: bytearray = field(default_factory=bytearray)
    settled: bool = False


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, sessionmaker: Callable[[], Session]) -> None:
        self.app = app
        self.sessionmaker = sessionmaker
        self.records = KeyRecords(sessionmaker)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key")
        if scope["type"] != "http" or scope["method"] != "POST" or key is None:
            await self.app(scope, receive, send)
            return
        if scope["path"] in SECRET_ANSWERS:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 200 or not key.isprintable():
            await _send_error(
                send, 400, "bad_request", "Idempotency-Key: 1-200 printable characters."
            )
            return
        try:
            caller = await run_in_threadpool(self._caller, _header(scope, b"authorization"))
            record = await run_in_threadpool(self.records.claim, (caller, key))
        except DATABASE_ERRORS:
            await _send_unavailable(send)
            return
        if record is not None:
            await self._replay(scope, receive, send, record)
            return
        await self._run(scope, receive, send, (caller, key))

    async def _run(self, scope: Scope, receive: Receive, send: Send, who: Who) -> None:
        exchange = Exchange()
        renewal = asyncio.create_task(self._keep_leased(who))

        async def settle() -> None:
            if not exchange.settled:
                exchange.settled = True
                renewal.cancel()
                await run_in_threadpool(self._settle, who, exchange, scope)

        try:
            await self.app(
                scope, _hashing(receive, exchange, scope), _capturing(send, exchange, settle)
            )
        finally:
            await settle()

    async def _replay(
        self, scope: Scope, receive: Receive, send: Send, record: IdempotencyRecord
    ) -> None:
        exchange = Exchange()
        drain = _hashing(receive, exchange, scope)
        while not exchange.complete:
            if (await drain())["type"] == "http.disconnect":
                return
        if record.status == PENDING:
            await _send_error(
                send,
                409,
                "idempotency_conflict",
                "A request with this Idempotency-Key is in progress.",
                retry_after=seconds_left(record),
            )
        elif record.fingerprint != _fingerprint(scope, exchange):
            await _send_error(
                send,
                409,
                "idempotency_conflict",
                "This Idempotency-Key was used with another request.",
            )
        else:
            await _send_raw(send, record.status, record.content_type, record.body)

    def _caller(self, authorization: str | None) -> str:
        scheme, _, secret = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secret:
            return "anonymous"
        with self.sessionmaker() as session:
            token = session.scalar(
                select(Token).where(Token.token_sha256 == token_digest(secret.strip()))
            )
        if token is None or token.kind not in BEARER_KINDS:
            return "anonymous"
        if token.invitation_id is not None:
            return f"guest:{token.invitation_id}"
        return f"user:{token.user_id}"

    async def _keep_leased(self, who: Who) -> None:
        """Renew the key's lease while the request runs (cancelled when it settles)."""
        while True:
            await asyncio.sleep(LEASE_RENEWAL)
            with suppress(SQLAlchemyError):  # the database is back before the lease passes
                await run_in_threadpool(self.records.renew, who)

    def _settle(self, who: Who, exchange: Exchange, scope: Scope) -> None:
        """Keep a complete 2xx answer; forget anything else so that a retry runs again.
        If the database is gone meanwhile, the lease passes and a retry runs again."""
        answer = None
        if 200 <= exchange.status < 300 and exchange.complete:
            fingerprint = _fingerprint(scope, exchange)
            answer = (exchange.status, exchange.content_type, bytes(exchange.body), fingerprint)
        with suppress(*DATABASE_ERRORS):
            self.records.settle(who, answer)


def _header(scope: Scope, name: bytes) -> str | None:
    for header, value in scope.get("headers", []):
        if header == name:
            return str(value.decode("latin-1"))
    return None


def _fingerprint(scope: Scope, exchange: Exchange) -> str:
    target = f"{scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"
    return hashlib.sha256(f"{target}\n{exchange.hasher.hexdigest()}".encode()).hexdigest()


def _hashing(receive: Receive, exchange: Exchange, scope: Scope) -> Receive:
    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            exchange.hasher.update(message.get("body", b""))
            exchange.complete = not message.get("more_body", False)
        return message

    return wrapped


def _capturing(send: Send, exchange: Exchange, settle: Callable[[], Awaitable[None]]) -> Send:
    """Record the answer; settle the record before its last byte leaves, so that a
    client that retries at once finds it."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            exchange.status = message["status"]
            headers = dict(message.get("headers", []))
            content_type = headers.get(b"content-type")
            exchange.content_type = content_type.decode("latin-1") if content_type else None
        elif message["type"] == "http.response.body":
            exchange.body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await settle()
        await send(message)

    return wrapped


async def _send_raw(
    send: Send,
    status: int,
    content_type: str | None,
    body: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type:
        headers.append((b"content-type", content_type.encode("latin-1")))
    headers += [(b"idempotent-replayed", b"true")] if extra is None else extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(
    send: Send, status: int, code: str, message: str, retry_after: int | None = None
) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    extra = [(b"retry-after", str(retry_after).encode())] if retry_after else []
    await _send_raw(send, status, "application/json", body, extra)


async def _send_unavailable(send: Send) -> None:
    message = "The database cannot be reached; try again shortly."
    await _send_error(send, 503, "database_unavailable", message, RETRY_AFTER_SECONDS)
