"""A local OpenID provider that behaves like Pro Santé Connect, run with Node.js (for `ortif
demo --psc` and the tests): `tests/psc_provider/provider.js` of the source tree, on the
`oidc-provider` package that `npm ci` installs there.

It plays the e-CPS app too: `pending`, `approve` and `deny` answer its CIBA requests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ortif_cli.errors import ConnectionFailure, UsageError
from ortif_cli.localserver import ChildProcess, free_port

READY_TIMEOUT = 30.0
SOURCE_DIR = Path(__file__).resolve().parent.parent / "tests" / "psc_provider"


@dataclass(frozen=True)
class PscAccount:
    """A professional known to the provider: national identifier (`8` + RPPS) and PIN.

    `fault` makes the provider misbehave for this account: "audience" or "signature"."""

    id: str
    SubjectNameID: str  # noqa: N815 - PSC's claim name
    family_name: str
    given_name: str
    pin: str = field(repr=False)
    fault: str | None = None


@dataclass(frozen=True)
class PscClient:
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...] = ()


def provider_dir(directory: Path | None = None) -> Path:
    """The provider's folder, with Node.js and its npm packages installed; else exit 2."""
    folder = directory or SOURCE_DIR
    if shutil.which("node") is None:
        raise UsageError(
            "Node.js is needed to run the local Pro Santé Connect provider.",
            hint="Install it (Debian: apt-get install nodejs npm).",
        )
    if not (folder / "provider.js").is_file():
        raise UsageError(
            f"The local Pro Santé Connect provider is not in {folder}.",
            hint="It comes with ortif's source tree (tests/psc_provider); give --psc-provider DIR.",
        )
    if not (folder / "node_modules" / "oidc-provider").is_dir():
        raise UsageError(
            "The packages of the local Pro Santé Connect provider are not installed.",
            hint=f"Install them with: npm ci --prefix {folder}",
        )
    return folder


@dataclass
class LocalPscProvider(ChildProcess):
    """`node provider.js` on a free loopback port; stopped on exit."""

    workdir: Path
    clients: list[PscClient]
    accounts: list[PscAccount]
    directory: Path = field(default_factory=provider_dir)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalPscProvider:
        config = self.workdir / "psc-provider.json"
        document = {
            "port": self.port,
            "clients": [
                {**asdict(c), "redirect_uris": list(c.redirect_uris)} for c in self.clients
            ],
            "accounts": [asdict(a) for a in self.accounts],
        }
        config.write_text(json.dumps(document), encoding="utf-8")
        with (self.workdir / "psc-provider.log").open("wb") as log:
            self.process = subprocess.Popen(
                ["node", str(self.directory / "provider.js"), str(config)],
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        url = f"{self.issuer}/.well-known/openid-configuration"
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                break
            try:
                httpx.get(url, timeout=2.0).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise ConnectionFailure(
            f"The local Pro Santé Connect provider did not start on {self.issuer}.",
            hint=f"See {self.workdir / 'psc-provider.log'}.",
        )

    def pending(self, national_id: str) -> list[dict[str, Any]]:
        """The CIBA requests waiting in the e-CPS app of `national_id`: {id, binding_message}."""
        params = {"SubjectNameID": national_id}
        answer = httpx.get(f"{self.issuer}/ecps/requests", params=params, timeout=10.0)
        answer.raise_for_status()
        requests: list[dict[str, Any]] = answer.json()
        return requests

    def approve(self, request_id: str) -> None:
        self._answer(request_id, "approve")

    def deny(self, request_id: str) -> None:
        self._answer(request_id, "deny")

    def _answer(self, request_id: str, action: str) -> None:
        url = f"{self.issuer}/ecps/requests/{request_id}/{action}"
        httpx.post(url, timeout=10.0).raise_for_status()
