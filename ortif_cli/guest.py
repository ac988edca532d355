"""What a guest [invité] may do: read the one dossier it was invited to, and add steps.

The platform enforces it (403 `guest_forbidden`); the CLI says it first, in a sentence,
so that a guest does not upload images for a command that cannot succeed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ortif_cli.api.client import GUEST_HINT, GUEST_LIMITS
from ortif_cli.credentials import StoredSession
from ortif_cli.errors import AuthError, ForbiddenError
from ortif_cli.i18n import _

GUEST_KIND = "guest"


def is_guest(session: StoredSession) -> bool:
    return session.kind == GUEST_KIND


def check_not_ended(session: StoredSession, now: datetime | None = None) -> None:
    """Exit 3 naming the day a guest's access ended (an invitation lasts three months)."""
    if not is_guest(session) or session.expires_at is None:
        return
    now = now or datetime.now(timezone.utc)
    ended = session.expires_at
    if ended.tzinfo is None:
        ended = ended.replace(tzinfo=timezone.utc)
    if ended <= now:
        raise AuthError(
            _("Your guest access ended on {day}.").format(day=ended.date().isoformat()),
            hint=_("Ask the person who invited you for a new invitation."),
        )


def refuse_guest(session: StoredSession, command: str) -> None:
    """Exit 4 with the guest's limits, for a command only members may run."""
    if is_guest(session):
        raise ForbiddenError(
            _("`ortif {command}` is not open to guests. {limits}").format(
                command=command, limits=_(GUEST_LIMITS)
            ),
            hint=_(GUEST_HINT),
        )
