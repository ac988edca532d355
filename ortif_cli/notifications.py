"""Notifications: read them, mark them read, and watch for new ones politely.

`watch` asks only for what is newer than the last one seen (`since_id`), waits between
polls, and waits longer (up to a few minutes) while the platform cannot be reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Notification
from ortif_cli.errors import ConnectionFailure

DEFAULT_INTERVAL = 15.0
MAX_BACKOFF = 300.0

Sleep = Callable[[float], None]


def latest_id(items: list[Notification]) -> int:
    return max((n.id for n in items), default=0)


def watch(
    client: PlatformClient,
    since_id: int,
    interval: float = DEFAULT_INTERVAL,
    sleep: Sleep = time.sleep,
    on_unreachable: Callable[[ConnectionFailure, float], None] | None = None,
) -> Iterator[Notification]:
    """Yield each new notification, oldest first, forever (until the caller stops)."""
    wait = interval
    while True:
        sleep(wait)
        try:
            fresh = client.notifications(since_id=since_id)
        except ConnectionFailure as failure:
            wait = min(wait * 2, MAX_BACKOFF)
            if on_unreachable:
                on_unreachable(failure, wait)
            continue
        wait = interval
        for notification in sorted(fresh, key=lambda n: n.id):
            if notification.id > since_id:
                since_id = notification.id
                yield notification
