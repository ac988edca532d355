"""What every command gets from the global options: output, profile, a platform client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

from ortif_cli.errors import AuthError, UsageError
from ortif_cli.settings import DEFAULT_PROFILE, Config, Profile, load_config
from ortif_cli.ui.console import Output, is_interactive

if TYPE_CHECKING:
    from ortif_cli.api.client import PlatformClient


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
                "No platform server is set for this profile.",
                hint="Sign in with `ortif --server URL login`, or set ORTIF_SERVER.",
            )
        return server.rstrip("/")

    def client(self, *, signed_in: bool = True) -> PlatformClient:
        from ortif_cli.api.client import PlatformClient
        from ortif_cli.credentials import load_token

        server = self.server()
        token = load_token(self.profile_name, server) if signed_in else None
        if signed_in and not token:
            raise AuthError(
                f"You are not signed in to {server} (profile {self.profile_name}).",
                hint="Run `ortif login`, or set ORTIF_TOKEN.",
            )
        return PlatformClient(server, token)


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.obj
    assert isinstance(obj, AppContext)
    return obj


def missing(flag: str) -> UsageError:
    """The error for a value that is needed and cannot be prompted for."""
    return UsageError(
        f"Missing {flag}.", hint=f"Give {flag}, or run on a terminal without --no-input."
    )
