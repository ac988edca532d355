"""Clients for commands, with the guest's limits and the end of its access said first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortif_cli.cli.context import AppContext

if TYPE_CHECKING:
    from ortif_cli.api.client import PlatformClient


def member_client(app_: AppContext, command: str) -> PlatformClient:
    """For commands a guest may not run (exit 4 with a sentence saying what it may do)."""
    from ortif_cli import guest

    session = app_.session()
    guest.check_not_ended(session)
    guest.refuse_guest(session, command)
    return app_.client()


def participant_client(app_: AppContext) -> PlatformClient:
    """For what members and guests alike may do: show, pull, step add."""
    from ortif_cli import guest

    guest.check_not_ended(app_.session())
    return app_.client()
