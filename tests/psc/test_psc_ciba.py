"""`ortif login --psc --ciba`: the e-CPS app (CIBA) approves, refuses, or lets it expire;
and what the CLI says when the platform cannot offer Pro Santé Connect."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from ortif_cli.localserver import LocalServer, free_port
from tests.conftest import Ortif
from tests.psc.conftest import (
    CIBA_EXPIRY,
    DURAND,
    MARTIN_RPPS,
    PSC_DURAND,
    PSC_MARTIN,
    CliProcess,
    PscPlatform,
    psc_serve_args,
)

BINDING = r"code (ORTIF-\d{4})"


def start_ciba(platform: PscPlatform, rpps: str) -> tuple[CliProcess, str]:
    cli = CliProcess("--server", platform.url, "login", "--psc", "--ciba", "--rpps", rpps)
    return cli, cli.wait_for(BINDING).group(1)


def request_in_app(platform: PscPlatform, national_id: str, binding: str) -> str:
    """The id of the request the e-CPS app shows with `binding`, once it arrived."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for request in platform.provider.pending(national_id):
            if request["binding_message"] == binding:
                return str(request["id"])
        time.sleep(0.2)
    raise AssertionError(f"no request {binding} for {national_id}")


def test_approved_in_the_app_signs_in_an_account_imported_without_password(
    psc_platform: PscPlatform,
) -> None:
    cli, binding = start_ciba(psc_platform, MARTIN_RPPS)
    psc_platform.provider.approve(request_in_app(psc_platform, PSC_MARTIN.SubjectNameID, binding))
    code, _, stderr = cli.finish()
    assert code == 0, stderr
    assert "Signed in to" in stderr and "MARTIN Pierre" in stderr
    who = Ortif(psc_platform.url)("--json", "whoami").json()
    assert who["user"]["username"] == "pmartin"
    assert who["authentication"] == "psc" and who["rpps"] == MARTIN_RPPS
    password = {"username": "pmartin", "password": "anything"}
    assert httpx.post(f"{psc_platform.url}/api/v1/session", json=password).status_code == 401


def test_refused_in_the_app_exits_3_with_the_reason(psc_platform: PscPlatform) -> None:
    cli, binding = start_ciba(psc_platform, DURAND.rpps or "")
    psc_platform.provider.deny(request_in_app(psc_platform, PSC_DURAND.SubjectNameID, binding))
    code, _, stderr = cli.finish()
    assert code == 3
    assert "The sign-in was cancelled or refused at Pro Santé Connect." in stderr


def test_unanswered_until_it_expires_exits_3(psc_platform: PscPlatform) -> None:
    started = time.monotonic()
    cli, binding = start_ciba(psc_platform, DURAND.rpps or "")
    request_in_app(psc_platform, PSC_DURAND.SubjectNameID, binding)
    code, _, stderr = cli.finish(timeout=CIBA_EXPIRY + 90)
    assert code == 3
    assert "The sign-in with Pro Santé Connect was not completed in time." in stderr
    assert time.monotonic() - started >= CIBA_EXPIRY


def test_an_unknown_rpps_is_refused_before_asking_the_app(psc_platform: PscPlatform) -> None:
    result = Ortif(psc_platform.url)("login", "--psc", "--ciba", "--rpps", "10009999999")
    assert result.exit_code == 3
    assert "No account of this platform has your national identifier (RPPS)." in result.stderr
    assert psc_platform.provider.pending("810009999999") == []


def test_the_provider_down_exits_7_naming_it(tmp_path: Path) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"
    server = LocalServer(tmp_path / "platform", serve_args=psc_serve_args(tmp_path, issuer))
    server.init()
    with server:
        server.start()
        result = Ortif(server.url)("login", "--psc", "--no-browser")
    assert result.exit_code == 7
    assert f"The platform cannot reach Pro Santé Connect ({issuer})." in result.stderr


def test_a_platform_without_psc_says_so(live_server: LocalServer) -> None:
    result = Ortif(live_server.url)("login", "--psc", "--no-browser")
    assert result.exit_code == 5
    assert "This platform does not offer sign-in with Pro Santé Connect." in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("login", "--ciba"),
        ("login", "--psc", "--username", "mdurand"),
        ("login", "--psc", "--rpps", "10001234567"),
        ("--no-input", "login", "--psc", "--ciba"),
        ("login", "--psc", "--ciba", "--rpps", "1234"),
    ],
    ids=["ciba-without-psc", "psc-with-password", "rpps-without-ciba", "no-rpps", "bad-rpps"],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = Ortif("http://127.0.0.1:9")(*args)
    assert result.exit_code == 2, result.stderr
