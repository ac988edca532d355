"""`ortif demo --psc`: the demo's sign-ins go through a local Pro Santé Connect provider.

The requester signs in the way `ortif login --psc` does (the provider's sign-in page,
here filled in by the demo itself over HTTP, as a browser would); the expert the way
`ortif login --psc --ciba` does, the demo playing the e-CPS app that approves it.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ortif_cli.api.auth import SessionTokens
from ortif_cli.api.client import PlatformClient
from ortif_cli.errors import AuthError
from ortif_cli.localserver import Account, LocalServer
from ortif_cli.psc_login import wait_for_session
from ortif_cli.psc_provider import LocalPscProvider, PscAccount, PscClient

Say = Callable[[str], None]
CLIENT_ID = "ortif-demo"
LOGIN_FORM = re.compile(r'action="(/interaction/[^"]+/login)"')


def start_provider(
    workdir: Path, server: LocalServer, accounts: list[Account], directory: Path | None
) -> LocalPscProvider:
    """The provider, knowing `accounts` (each given a PIN) and the platform as its client."""
    from ortif_cli.psc_provider import provider_dir

    client = PscClient(CLIENT_ID, secrets.token_urlsafe(24), (f"{server.url}/auth/psc/callback",))
    known = [_psc_account(account) for account in accounts]
    provider = LocalPscProvider(workdir, [client], known, directory=provider_dir(directory))
    secret = workdir / "psc-client-secret"
    secret.write_text(client.client_secret, encoding="utf-8")
    server.serve_args += (
        "--psc-issuer",
        provider.issuer,
        "--psc-client-id",
        CLIENT_ID,
        "--psc-client-secret-file",
        str(secret),
    )
    return provider.start()


def _psc_account(account: Account) -> PscAccount:
    assert account.rpps is not None
    return PscAccount(
        f"f:{account.username}",
        "8" + account.rpps,
        account.last_name,
        account.first_name,
        f"{secrets.randbelow(10000):04d}",
    )


@dataclass
class PscSignIns:
    """One sign-in with PSC per account, kept for the rest of the demo."""

    url: str
    provider: LocalPscProvider
    say: Say
    sessions: dict[str, SessionTokens] = field(default_factory=dict)

    def client(self, account: Account) -> PlatformClient:
        if account.username not in self.sessions:
            first = not self.sessions
            sign_in = self._browser if first else self._ciba
            self.sessions[account.username] = sign_in(account)
        return PlatformClient(self.url, self.sessions[account.username].access_token)

    def _browser(self, account: Account) -> SessionTokens:
        psc = self._known(account)
        with PlatformClient(self.url) as platform:
            started = platform.start_psc_login()
            assert started.url is not None
            self.say(
                f"   {account.username} signs in with Pro Santé Connect: {started.url} leads to "
                f"the provider's page, where the identifier {psc.SubjectNameID} and the PIN "
                "are typed (by the demo, as a browser would)."
            )
            _fill_sign_in_page(started.url, psc)
            return wait_for_session(platform, started)

    def _ciba(self, account: Account) -> SessionTokens:
        psc = self._known(account)
        with PlatformClient(self.url) as platform:
            started = platform.start_psc_login(account.rpps)
            self.say(
                f"   {account.username} signs in with the e-CPS app (CIBA): the request shows "
                f"{started.binding_message}; the demo approves it in the app."
            )
            self._approve(psc.SubjectNameID, started.binding_message or "")
            return wait_for_session(platform, started)

    def _known(self, account: Account) -> PscAccount:
        return next(a for a in self.provider.accounts if a.id == f"f:{account.username}")

    def _approve(self, national_id: str, binding_message: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for request in self.provider.pending(national_id):
                if request["binding_message"] == binding_message:
                    self.provider.approve(str(request["id"]))
                    return
            time.sleep(0.2)
        raise AuthError("The e-CPS request did not reach the local provider.")


def _fill_sign_in_page(url: str, account: PscAccount) -> None:
    """What a browser does: follow the short URL, post the form, follow back to the platform."""
    with httpx.Client(follow_redirects=True, timeout=30.0) as browser:
        page = browser.get(url)
        form = LOGIN_FORM.search(page.text)
        if form is None:
            raise AuthError("The local provider did not show its sign-in page.")
        fields = {"national_id": account.SubjectNameID, "pin": account.pin}
        answer = browser.post(str(page.url.join(form.group(1))), data=fields)
        if 'data-outcome="signed_in"' not in answer.text:
            raise AuthError("The platform did not accept the sign-in with Pro Santé Connect.")
