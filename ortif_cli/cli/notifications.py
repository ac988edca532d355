"""`ortif notifications`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from ortif_cli.cli.access import member_client
from ortif_cli.cli.context import AppContext, CsvOption, app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.i18n import _
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json

if TYPE_CHECKING:
    from ortif_cli.api.client import PlatformClient
    from ortif_cli.api.models import Notification
    from ortif_cli.errors import ConnectionFailure


def notifications(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="Only the unread ones.")] = False,
    read_all: Annotated[
        bool, typer.Option("--read-all", help="Then mark them all as read.")
    ] = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="Stay on screen and print new notifications as they come; Ctrl-C stops "
            "(exit 0). With --json, one JSON object per line.",
        ),
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            min=1.0,
            max=60.0,
            metavar="SECONDS",
            help="With --watch: the longest one request waits on the platform, which "
            "answers as soon as something new arrives.",
        ),
    ] = 15.0,
    csv: CsvOption = False,
) -> None:
    """List your notifications, newest first: new dossiers, steps, acknowledgements."""
    from ortif_cli.ui.rows import RowFormat, render_rows

    app_ = app_context(ctx)
    row_format = RowFormat.pick(app_.output, csv)
    with member_client(app_, "notifications") as client:
        items = client.notifications(unread=unread)
        if read_all:
            client.mark_all_read()
        if watch:
            _watch(app_, client, items, interval)
            return
    render_rows(
        app_.output,
        render.notification_columns(),
        items,
        row_format=row_format,
        json_document={"items": to_json(items)},
        row_id=lambda n: n.id,
        empty=_("No notifications."),
    )
    if read_all:
        app_.output.message(_("All notifications marked as read."))


def _watch(
    app_: AppContext, client: PlatformClient, items: list[Notification], interval: float
) -> None:
    """Print the unread, then what is new until Ctrl-C, which ends the watch (exit 0)."""
    from ortif_cli.notifications import latest_id, watch

    for n in sorted(items, key=lambda n: n.id):
        if not n.read:
            _print_one(app_, n)
    app_.output.message(_("Watching for new notifications; Ctrl-C to stop."))
    try:
        for notification in watch(client, latest_id(items), interval, on_unreachable=_lost(app_)):
            _print_one(app_, notification)
    except KeyboardInterrupt:
        app_.output.message(_("Stopped watching."))


def _print_one(app_: AppContext, notification: Notification) -> None:
    if app_.output.json_mode:
        line = json.dumps(to_json(notification), ensure_ascii=False)
        app_.output.out.print(line, markup=False, highlight=False, soft_wrap=True)
    else:
        app_.output.data(render.notification_line(notification))
    app_.output.out.file.flush()


def _lost(app_: AppContext) -> Callable[[ConnectionFailure, float], None]:
    def warn(failure: ConnectionFailure, wait: float) -> None:
        app_.output.warning(
            _("{problem} Trying again in {seconds:.0f} s.").format(
                problem=failure.message, seconds=wait
            )
        )

    return warn


def register(app: OrtifTyper) -> None:
    app.command()(notifications)
