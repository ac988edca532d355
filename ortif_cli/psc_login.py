"""Waiting for a sign-in with Pro Santé Connect that the platform brokers.

The CLI holds no secret of the provider: the platform runs the OpenID flow and hands
the session over to whoever polls with the one-time handle it gave when the sign-in
started (like OAuth's device flow)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

from ortif_cli.api.auth import PscLoginStart, SessionTokens
from ortif_cli.api.client import PlatformClient
from ortif_cli.errors import AuthError, UsageError
from ortif_cli.i18n import _

GRACE_SECONDS = 30.0


def rpps_number(text: str) -> str:
    """An RPPS number (11 digits), also accepted as PSC's national identifier `8` + RPPS."""
    digits = text.strip().replace(" ", "")
    if len(digits) == 12 and digits.startswith("8"):
        digits = digits[1:]
    if len(digits) != 11 or not digits.isdigit():
        raise UsageError(
            _("{value} is not an RPPS number.").format(value=repr(text)),
            hint=_("An RPPS number has 11 digits, as on your CPS card."),
        )
    return digits


def wait_for_session(
    client: PlatformClient,
    started: PscLoginStart,
    sleep: Callable[[float], None] = time.sleep,
) -> SessionTokens:
    """Poll the platform until the sign-in gives a session; AuthError when it failed or
    the platform has not settled it well after its expiry."""
    deadline = _seconds_left(started.expires_at) + GRACE_SECONDS + time.monotonic()
    while True:
        tokens = client.poll_psc_login(started.handle)
        if tokens is not None:
            return tokens
        if time.monotonic() > deadline:
            raise AuthError(
                _("The sign-in with Pro Santé Connect was not completed in time."),
                hint=_("Run `ortif login --psc` to try again."),
            )
        sleep(started.interval)


def _seconds_left(expires_at: datetime | None) -> float:
    if expires_at is None:
        return 600.0
    return max(0.0, (expires_at - datetime.now(timezone.utc)).total_seconds())
