"""The audit log: append-only records of reads and changes, never their content."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ortif_server.caller import Caller
from ortif_server.models import AuditEvent


def record(
    session: Session,
    caller: Caller,
    action: str,
    target: tuple[str, object],
    dossier_id: int | None,
) -> None:
    """Add one event (committed with the caller's transaction); `target` = (type, id)."""
    object_type, object_id = target
    session.add(
        AuditEvent(
            user_id=caller.token.user_id,
            invitation_id=caller.token.invitation_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            dossier_id=dossier_id,
            remote_address=caller.remote_address,
            authentication=caller.token.authentication,
        )
    )
