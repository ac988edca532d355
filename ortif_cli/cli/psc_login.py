"""`ortif login --psc [--ciba]`: sign in with Pro Santé Connect (CPS card or e-CPS app)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortif_cli.cli.context import AppContext, missing
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _

if TYPE_CHECKING:
    from ortif_cli.api.auth import PscLoginStart, SessionTokens


def check_flags(psc: bool, ciba: bool, rpps: str | None, no_browser: bool, others: bool) -> None:
    """--ciba, --rpps and --no-browser go with --psc; --psc with no password flag."""
    if not psc and (ciba or rpps or no_browser):
        raise UsageError(_("--ciba, --rpps and --no-browser go with --psc."))
    if psc and others:
        raise UsageError(
            _("--psc signs in with Pro Santé Connect: leave out the password options.")
        )
    if rpps and not ciba:
        raise UsageError(_("--rpps goes with --ciba."))


def sign_in(
    app: AppContext, server: str, ciba: bool, rpps: str | None, no_browser: bool
) -> SessionTokens:
    """Start the sign-in on the platform, show the way to finish it, wait for the session."""
    from ortif_cli.psc_login import rpps_number, wait_for_session

    number = rpps_number(rpps or _ask_rpps(app)) if ciba else None
    with app.client(signed_in=False, server=server) as client:
        started = client.start_psc_login(number)
        if started.binding_message:
            _show_ciba(app, started)
        else:
            _show_url(app, started, no_browser)
        return wait_for_session(client, started)


def _ask_rpps(app: AppContext) -> str:
    from ortif_cli.ui import prompts

    if not app.can_prompt:
        raise missing("--rpps")
    return prompts.text(_("Your RPPS number")).strip()


def _show_url(app: AppContext, started: PscLoginStart, no_browser: bool) -> None:
    assert started.url is not None
    opened = False
    if not no_browser and _has_display():
        import webbrowser

        opened = webbrowser.open(started.url)
    if opened:
        _say(app, _("Your browser opens Pro Santé Connect; if not, open this address:"))
    else:
        _say(app, _("Open this address in a browser to sign in with Pro Santé Connect:"))
    _say(app, f"  {started.url}")
    _say(app, _("Waiting for the sign-in to finish (Ctrl-C to abandon)..."))


def _has_display() -> bool:
    """A graphical session to open a browser in; over SSH, a text browser would take the
    terminal over, so the address is only printed."""
    import os
    import sys

    graphical = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    return sys.platform in ("darwin", "win32") or bool(graphical)


def _show_ciba(app: AppContext, started: PscLoginStart) -> None:
    message = _("Approve the request in your e-CPS app; it shows the code {code}.")
    _say(app, message.format(code=started.binding_message))
    _say(app, _("Waiting for your approval (Ctrl-C to abandon)..."))


def _say(app: AppContext, text: str) -> None:
    """Shown even with -q: the sign-in cannot go on without it (stderr, never wrapped)."""
    app.output.err.print(text, markup=False, highlight=False, soft_wrap=True)
