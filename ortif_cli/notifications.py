"""Notifications: read them, mark them read, and watch for new ones politely.

`watch` asks only for what is newer than the last one seen (`since_id`); the platform holds
each request up to `interval` seconds and answers as soon as something new arrives. While
the platform cannot be reached, it waits longer between tries (up to a few minutes).
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
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Notification]:
    """Yield each new notification, oldest first, forever (until the caller stops)."""
    backoff = interval
    while True:
        started = clock()
        try:
            fresh = client.notifications(since_id=since_id, wait=interval)
        except ConnectionFailure as failure:
            backoff = min(backoff * 2, MAX_BACKOFF)
            if on_unreachable:
                on_unreachable(failure, backoff)
            sleep(backoff)
            continue
        backoff = interval
        new = sorted((n for n in fresh if n.id > since_id), key=lambda n: n.id)
        if not new:  # a platform that cannot hold the request answers at once: pace it
            sleep(max(0.0, interval - (clock() - started)))
        for notification in new:
            since_id = notification.id
            yield notification
