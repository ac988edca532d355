"""What every command gets from the global options: output, profile, a platform client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

import typer

from ortif_cli.errors import AuthError, UsageError
from ortif_cli.i18n import _
from ortif_cli.settings import DEFAULT_PROFILE, Config, Profile, load_config
from ortif_cli.ui.console import Output, is_interactive

if TYPE_CHECKING:
    import httpx

    from ortif_cli.api.auth import SessionTokens
    from ortif_cli.api.client import PlatformClient
    from ortif_cli.credentials import StoredSession

CsvOption = Annotated[
    bool, typer.Option("--csv", help="Print the rows as CSV (a header line, then one per row).")
]
"""The `--csv` flag of list commands; give its value to `ui.rows.RowFormat.pick`."""


@dataclass
class AppContext:
    output: Output
    profile_name: str = DEFAULT_PROFILE
    server_option: str | None = None
    no_input: bool = False
    _config: Config | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config()
        return self._config

    @property
    def profile(self) -> Profile:
        return self.config.profile(self.profile_name)

    @property
    def can_prompt(self) -> bool:
        return not self.no_input and is_interactive()

    def server(self) -> str:
        server = self.server_option or self.profile.server
        if not server:
            raise UsageError(
                _("No platform server is set for this profile."),
                hint=_("Sign in with `ortif --server URL login`, or set ORTIF_SERVER."),
            )
        return server.rstrip("/")

    def session(self) -> StoredSession:
        """The stored session (or ORTIF_TOKEN); exit 3 saying to sign in when there is none."""
        from ortif_cli.credentials import load_session

        server = self.server()
        stored = load_session(self.profile_name, server)
        if stored is None:
            raise AuthError(
                _("You are not signed in to {server} (profile {profile}).").format(
                    server=server, profile=self.profile_name
                ),
                hint=_("Run `ortif login`, or set ORTIF_TOKEN."),
            )
        return stored

    def client(self, *, signed_in: bool = True, server: str | None = None) -> PlatformClient:
        """A client of the platform; signed in, it renews and stores tokens by itself."""
        from ortif_cli.api.client import PlatformClient

        server = server or self.server()
        profile, trace = self.profile, self.output.trace if self.output.verbose else None
        stored = self.session() if signed_in else None
        return PlatformClient(
            server,
            stored.access_token if stored else None,
            refresh_token=stored.refresh_token if stored else None,
            expires_at=stored.expires_at if stored else None,
            on_refresh=lambda tokens: self._store_refreshed(server, tokens),
            reload=lambda: self._reload(server),
            ca_bundle=profile.ca_bundle,
            timeout=_timeout(profile),
            trace=trace,
        )

    def _store_refreshed(self, server: str, tokens: SessionTokens) -> None:
        from ortif_cli.credentials import StoredSession, save_session

        renewed = StoredSession(
            tokens.access_token,
            tokens.refresh_token,
            tokens.expires_at,
            tokens.refresh_expires_at,
            kind="session",
        )
        save_session(self.profile_name, server, renewed)

    def _reload(self, server: str) -> SessionTokens | None:
        """The session as stored now (another ortif may have renewed it meanwhile)."""
        from ortif_cli.api.auth import SessionTokens
        from ortif_cli.credentials import load_session

        stored = load_session(self.profile_name, server)
        if stored is None:
            return None
        return SessionTokens(
            stored.access_token,
            stored.refresh_token,
            stored.expires_at,
            stored.refresh_expires_at,
            user=None,
        )


def _timeout(profile: Profile) -> httpx.Timeout:
    import httpx

    return httpx.Timeout(profile.timeout, connect=profile.connect_timeout)


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.obj
    assert isinstance(obj, AppContext)
    return obj


def missing(flag: str) -> UsageError:
    """The error for a value that is needed and cannot be prompted for."""
    return UsageError(
        _("Missing {flag}.").format(flag=flag),
        hint=_("Give {flag}, or run on a terminal without --no-input.").format(flag=flag),
    )
