"""`ortif login`, `logout`, `whoami`: sessions kept in the OS keyring."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ortif_cli.cli.context import AppContext, app_context, missing
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.errors import AuthError, UsageError
from ortif_cli.i18n import _
from ortif_cli.ui.serialize import to_json

if TYPE_CHECKING:
    from ortif_cli.api.auth import SessionTokens, TokenInfo
    from ortif_cli.api.models import Me

OTP_REQUIRED = "otp_required"


def login(
    ctx: typer.Context,
    username: Annotated[
        str | None, typer.Option(metavar="NAME", help="Your platform username.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    otp: Annotated[
        str | None, typer.Option(metavar="CODE", help="The 6-digit code of your authenticator.")
    ] = None,
    guest: Annotated[
        str | None,
        typer.Option(metavar="LINK", help="Sign in as a guest with an invitation's link."),
    ] = None,
    code_stdin: Annotated[
        bool, typer.Option("--code-stdin", help="With --guest: read the access code from stdin.")
    ] = False,
    psc: Annotated[
        bool,
        typer.Option("--psc", help="Sign in with Pro Santé Connect (CPS card or e-CPS app)."),
    ] = False,
    ciba: Annotated[
        bool,
        typer.Option("--ciba", help="With --psc: approve the sign-in in your e-CPS app."),
    ] = False,
    rpps: Annotated[
        str | None,
        typer.Option(metavar="NUMBER", help="With --ciba: your RPPS number (11 digits)."),
    ] = None,
    no_browser: Annotated[
        bool,
        typer.Option("--no-browser", help="With --psc: print the address, do not open a browser."),
    ] = False,
) -> None:
    """Sign in; the session is kept in the OS keyring and renewed by itself."""
    from ortif_cli.cli import psc_login

    app = app_context(ctx)
    others = bool(username or password_stdin or otp or guest or code_stdin)
    psc_login.check_flags(psc, ciba, rpps, no_browser, others)
    if psc:
        _psc_login(app, ciba, rpps, no_browser)
        return
    if guest:
        _guest_login(app, guest, code_stdin)
        return
    if code_stdin:
        raise UsageError(_("--code-stdin goes with --guest LINK."))
    server = app.server()
    username = username or app.profile.username or _ask(app, "--username", _("Username"))
    password = _secret(app, password_stdin, "--password-stdin", _("Password"))
    with app.client(signed_in=False, server=server) as client:
        try:
            tokens = client.login(username, password, otp)
        except AuthError as error:
            if error.code != OTP_REQUIRED or otp:
                raise
            otp = _ask(app, "--otp", _("Code from your authenticator app"))
            tokens = client.login(username, password, otp)
    _keep(app, server, tokens, "session", username=username)
    name = tokens.user.display_name if tokens.user else username
    _signed_in(app, server, tokens, _("Signed in to {server} as {name}."), name)


def _psc_login(app: AppContext, ciba: bool, rpps: str | None, no_browser: bool) -> None:
    from ortif_cli.cli import psc_login

    server = app.server()
    tokens = psc_login.sign_in(app, server, ciba, rpps, no_browser)
    username = tokens.user.username if tokens.user else None
    _keep(app, server, tokens, "session", username=username)
    name = tokens.user.display_name if tokens.user else ""
    _signed_in(app, server, tokens, _("Signed in to {server} as {name}."), name)


def _guest_login(app: AppContext, link: str, code_stdin: bool) -> None:
    server, link_token = parse_guest_link(link)
    code = _secret(app, code_stdin, "--code-stdin", _("Access code (received by SMS or email)"))
    with app.client(signed_in=False, server=server) as client:
        try:
            tokens = client.guest_login(link_token, code.strip())
        except AuthError as error:
            if error.code == "invalid_credentials":
                error.message = _("Wrong access code.")
                error.hint = _("Check the code received by SMS or email, and try again.")
            raise
    _keep(app, server, tokens, "guest")
    name = tokens.guest.display_name if tokens.guest else ""
    _signed_in(app, server, tokens, _("Signed in to {server} as {name}, guest."), name)


def parse_guest_link(link: str) -> tuple[str, str]:
    """`https://host[/prefix]/guest/TOKEN` -> (`https://host[/prefix]`, `TOKEN`)."""
    base, marker, rest = link.strip().partition("/guest/")
    token = rest.split("?")[0].split("#")[0].strip("/")
    if not marker or not base.startswith(("http://", "https://")) or not token or "/" in token:
        raise UsageError(
            _("{link} is not an invitation link.").format(link=repr(link)),
            hint=_("Copy the whole link of the invitation: https://.../guest/..."),
        )
    return base.rstrip("/"), token


def _ask(app: AppContext, flag: str, question: str) -> str:
    from ortif_cli.ui import prompts

    if not app.can_prompt:
        raise missing(flag)
    return prompts.text(question).strip()


def _secret(app: AppContext, from_stdin: bool, flag: str, question: str) -> str:
    from ortif_cli.ui import prompts

    if from_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif app.can_prompt:
        secret = prompts.password(question)
    else:
        raise missing(flag)
    if not secret:
        raise UsageError(_("The value for {flag} is empty.").format(flag=flag))
    return secret


def _keep(
    app: AppContext, server: str, tokens: SessionTokens, kind: str, username: str | None = None
) -> None:
    from ortif_cli.credentials import StoredSession, save_session

    stored = StoredSession(
        tokens.access_token,
        tokens.refresh_token,
        tokens.expires_at,
        tokens.refresh_expires_at,
        kind=kind,
    )
    save_session(app.profile_name, server, stored)
    profile = app.profile
    profile.server = server
    if username:
        profile.username = username
    app.config.save()


def _signed_in(
    app: AppContext, server: str, tokens: SessionTokens, message: str, name: str
) -> None:
    if app.output.json_mode:
        app.output.emit_json(
            {
                "user": to_json(tokens.user),
                "guest": to_json(tokens.guest),
                "dossier_id": tokens.dossier_id,
                "kind": "guest" if tokens.guest else "session",
                "server": server,
                "profile": app.profile_name,
                "expires_at": to_json(tokens.expires_at),
                "refresh_expires_at": to_json(tokens.refresh_expires_at),
            }
        )
    else:
        app.output.message(message.format(server=server, name=name))


def logout(ctx: typer.Context) -> None:
    """Sign out: revoke the session on the platform and forget it here."""
    from ortif_cli.credentials import delete_session, load_session
    from ortif_cli.errors import OrtifError

    app = app_context(ctx)
    server = app.server()
    stored = load_session(app.profile_name, server)
    if stored and stored.from_environment:
        app.output.warning(_("the token of ORTIF_TOKEN is not revoked; unset the variable."))
    elif stored:
        try:
            with app.client() as client:
                client.logout()
        except OrtifError as error:
            app.output.warning(
                _("the platform could not revoke the session: {error}").format(error=error.message)
            )
    delete_session(app.profile_name, server)
    if app.output.json_mode:
        app.output.emit_json({"signed_out": True, "server": server, "profile": app.profile_name})
    else:
        app.output.message(_("Signed out of {server}.").format(server=server))


def whoami(ctx: typer.Context) -> None:
    """Show who you are signed in as: user, profile, server, token kind and expiry."""
    app = app_context(ctx)
    with app.client() as client:
        info = client.session_info()
        me = client.me() if info.user else None
    communities = me.communities if me else ()
    document: dict[str, Any] = {
        "user": to_json(info.user),
        "guest": to_json(info.guest),
        "dossier_id": info.dossier_id,
        "communities": [c.to_json() for c in communities],
        "profile": app.profile_name,
        "server": client.base_url,
        "kind": info.kind,
        "authentication": info.authentication,
        "rpps": me.rpps if me else None,
        "expires_at": to_json(info.expires_at),
    }
    if app.output.json_mode:
        app.output.emit_json(document)
    else:
        render_whoami(app, info, me, client.base_url)


def render_whoami(app: AppContext, info: TokenInfo, me: Me | None, server: str) -> None:
    from ortif_cli.dates import format_time

    if info.user:
        name = f"{info.user.display_name} ({info.user.username})"
    else:
        name = f"{info.guest.display_name} ({_('guest')})" if info.guest else ""
    lines = [
        (_("user"), name),
        (_("profile"), app.profile_name),
        (_("server"), server),
        (_("token"), KIND_LABELS().get(info.kind, info.kind)),
        (_("expires"), format_time(info.expires_at) if info.expires_at else _("never")),
    ]
    if info.authentication:
        lines.append((_("authentication"), AUTHENTICATION_LABELS().get(info.authentication, "")))
    if me and me.rpps:
        lines.append((_("RPPS"), me.rpps))
    if info.dossier_id is not None:
        lines.append((_("dossier"), str(info.dossier_id)))
    lines += [(_("community"), c.path) for c in me.communities] if me else []
    width = max(len(label) for label, _value in lines) + 1
    for label, value in lines:
        app.output.data(f"{label + ':':<{width}} {value}")


def KIND_LABELS() -> dict[str, str]:  # noqa: N802 - a table, translated at call time
    return {
        "session": _("session (renewed by itself)"),
        "personal": _("personal access token"),
        "guest": _("guest access"),
    }


def AUTHENTICATION_LABELS() -> dict[str, str]:  # noqa: N802 - a table, translated at call time
    return {
        "password": _("password"),
        "otp": _("password and authenticator code"),
        "guest-code": _("invitation access code"),
        "personal-token": _("personal access token"),
        "psc": _("Pro Santé Connect"),
    }


def register(app: OrtifTyper) -> None:
    app.command()(login)
    app.command()(logout)
    app.command()(whoami)
