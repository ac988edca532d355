"""`Idempotency-Key` on state-changing POSTs: the first 2xx answer is replayed for 24 h.

A pure ASGI middleware, so that streamed uploads are hashed as they pass. Answers that
carry secrets (sign-in, refresh, guest session, personal tokens) are never stored: those
endpoints ignore the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ortif_server.deps import BEARER_KINDS
from ortif_server.models import IdempotencyRecord, Token, utcnow
from ortif_server.security import token_digest

RETENTION = timedelta(hours=24)
SECRET_ANSWERS = (
    "/api/v1/session",
    "/api/v1/session/refresh",
    "/api/v1/guest-session",
    "/api/v1/tokens",
)
PENDING = 0


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
        caller = await run_in_threadpool(self._caller, _header(scope, b"authorization"))
        await self._handle(scope, receive, send, (caller, key))

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, who: tuple[str, str]
    ) -> None:
        record = await run_in_threadpool(self._claim, who)
        if record is not None:
            await self._replay(scope, receive, send, record)
            return
        exchange = Exchange()

        async def settle() -> None:
            if not exchange.settled:
                exchange.settled = True
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

    def _claim(self, who: tuple[str, str]) -> IdempotencyRecord | None:
        """The live record of (caller, key), or None after inserting a pending one."""
        caller, key = who
        with self.sessionmaker() as session:
            session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - RETENTION)
            )
            session.commit()
            pending = IdempotencyRecord(
                caller=caller, key=key, fingerprint="", status=PENDING, body=b""
            )
            session.add(pending)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                query = select(IdempotencyRecord).where(
                    IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
                )
                return session.scalar(query)
        return None

    def _settle(self, who: tuple[str, str], exchange: Exchange, scope: Scope) -> None:
        """Keep a complete 2xx answer; forget anything else so that a retry runs again."""
        caller, key = who
        with self.sessionmaker() as session:
            query = select(IdempotencyRecord).where(
                IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
            )
            record = session.scalar(query)
            if record is None:
                return
            if 200 <= exchange.status < 300 and exchange.complete:
                record.fingerprint = _fingerprint(scope, exchange)
                record.status, record.content_type = exchange.status, exchange.content_type
                record.body = bytes(exchange.body)
            else:
                session.delete(record)
            session.commit()


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


async def _send_raw(send: Send, status: int, content_type: str | None, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type:
        headers.append((b"content-type", content_type.encode("latin-1")))
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await _send_raw(send, status, "application/json", body)
