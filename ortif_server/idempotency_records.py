"""The rows behind `Idempotency-Key`: claim a key, renew its lease, settle it.

A pending row carries a lease that the process running the request renews while it runs
(`LEASE_RENEWAL`). A request that dies with its process (SIGKILL, a lost host) stops
renewing: once its lease is past, a retry with the same key takes the row over and runs,
instead of being refused as "in progress" until the row expires.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ortif_server.models import IdempotencyRecord, utcnow

RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=30)
LEASE_RENEWAL = 5.0  # seconds: a lease survives five missed renewals
PENDING = 0

Who = tuple[str, str]  # (caller, key)


class KeyRecords:
    """Idempotency rows in the database shared by every server process."""

    def __init__(self, sessionmaker: Callable[[], Session]) -> None:
        self.sessionmaker = sessionmaker

    def claim(self, who: Who) -> IdempotencyRecord | None:
        """None when this request may run (a new key, or a dead request's key taken over);
        otherwise the live record: a stored answer, or a request still running."""
        with self.sessionmaker() as session:
            session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - RETENTION)
            )
            session.commit()
            session.add(_pending(who))
            try:
                session.commit()
                return None
            except IntegrityError:
                session.rollback()
            record = session.scalar(_query(who))
            if record is None:  # settled as a failure meanwhile: claim it afresh
                return self.claim(who)
            return None if self._take_over(session, record) else record

    def _take_over(self, session: Session, record: IdempotencyRecord) -> bool:
        """Renew a pending record whose lease has passed; True if this process won it."""
        now = utcnow()
        if record.status != PENDING or (record.lease_expires_at or now) > now:
            return False
        lease = IdempotencyRecord.lease_expires_at
        result = session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record.id, IdempotencyRecord.status == PENDING)
            .where(or_(lease.is_(None), lease <= now))
            .values(lease_expires_at=now + LEASE)
        )
        session.commit()
        return getattr(result, "rowcount", 0) == 1

    def renew(self, who: Who) -> None:
        """Push the lease of a running request forward."""
        with self.sessionmaker() as session:
            session.execute(
                update(IdempotencyRecord)
                .where(*_matches(who), IdempotencyRecord.status == PENDING)
                .values(lease_expires_at=utcnow() + LEASE)
            )
            session.commit()

    def settle(self, who: Who, answer: tuple[int, str | None, bytes, str] | None) -> None:
        """Keep `answer` (status, content type, body, fingerprint), or forget the key so
        that a retry runs again."""
        with self.sessionmaker() as session:
            record = session.scalar(_query(who))
            if record is None:
                return
            if answer is None:
                session.delete(record)
            else:
                record.status, record.content_type, record.body, record.fingerprint = answer
                record.lease_expires_at = None
            session.commit()


def seconds_left(record: IdempotencyRecord) -> int:
    """Whole seconds until a pending record's lease passes (at least 1)."""
    expires: datetime = record.lease_expires_at or utcnow()
    return max(1, int((expires - utcnow()).total_seconds()) + 1)


def _pending(who: Who) -> IdempotencyRecord:
    caller, key = who
    return IdempotencyRecord(
        caller=caller,
        key=key,
        fingerprint="",
        status=PENDING,
        body=b"",
        lease_expires_at=utcnow() + LEASE,
    )


def _matches(who: Who) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    caller, key = who
    return (IdempotencyRecord.caller == caller, IdempotencyRecord.key == key)


def _query(who: Who) -> Select[IdempotencyRecord]:
    return select(IdempotencyRecord).where(*_matches(who))
