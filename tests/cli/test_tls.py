"""TLS: verified against the system store or the profile's CA bundle; failures exit 7.

`ortif-server serve` has no TLS options, so uvicorn is started here on the app factory,
with certificates made by trustme.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import trustme

from ortif_cli.localserver import LocalServer, free_port
from tests.conftest import PATIENCE, REQUESTER, Ortif

SERVE = """
import sys
from pathlib import Path
import uvicorn
from ortif_server.app import create_app
from ortif_server.config import ServerSettings
data, port, cert, key = sys.argv[1:]
uvicorn.run(create_app(ServerSettings(Path(data))), host="127.0.0.1", port=int(port),
            ssl_certfile=cert, ssl_keyfile=key, log_level="warning")
"""


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Hospital PKI")


def _serve(data: Path, cert: trustme.LeafCert, ca: trustme.CA, name: str) -> Iterator[str]:
    cert_file, key_file = data / f"{name}.pem", data / f"{name}.key"
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    port = free_port()
    log = (data / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(data), str(port), str(cert_file), str(key_file)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    url = f"https://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    """Wait for the handshake only (the expired certificate would fail verification)."""
    probe = ssl.create_default_context()
    probe.check_hostname, probe.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{url}/api/v1/health", verify=probe, timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"the TLS server on {url} did not start")


@pytest.fixture(scope="module")
def tls_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    server = LocalServer(tmp_path_factory.mktemp("tls-platform"))
    server.init()
    server.add_user(REQUESTER)
    return server.data_dir


@pytest.fixture(scope="module")
def tls_server(tls_data: Path, ca: trustme.CA) -> Iterator[str]:
    yield from _serve(tls_data, ca.issue_cert("127.0.0.1", "localhost"), ca, "good")


@pytest.fixture(scope="module")
def expired_server(tls_data: Path, ca: trustme.CA) -> Iterator[str]:
    past = datetime.now(timezone.utc) - timedelta(days=30)
    cert = ca.issue_cert("127.0.0.1", not_before=past - timedelta(days=365), not_after=past)
    yield from _serve(tls_data, cert, ca, "expired")


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "hospital-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def login(url: str) -> object:
    return Ortif(url)(
        "login", "--username", REQUESTER.username, "--password-stdin",
        input=REQUESTER.password + "\n",
    )  # fmt: skip


def test_untrusted_certificate_exits_7_naming_host_and_reason(tls_server: str) -> None:
    result = login(tls_server)
    assert result.exit_code == 7  # type: ignore[attr-defined]
    stderr = result.stderr  # type: ignore[attr-defined]
    assert "The certificate of 127.0.0.1 is not trusted" in stderr
    assert "unable to get local issuer certificate" in stderr or "self" in stderr
    assert "ca_bundle" in stderr


def test_profile_ca_bundle_is_trusted(tls_server: str, ca_file: Path) -> None:
    ortif = Ortif(tls_server)
    assert ortif("config", "set", "ca_bundle", str(ca_file)).exit_code == 0
    result = login(tls_server)
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    whoami = ortif("--json", "whoami")
    assert whoami.exit_code == 0, whoami.stderr
    assert whoami.json()["server"] == tls_server


def test_system_store_is_used(
    tls_server: str, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OpenSSL's default paths (here SSL_CERT_FILE) are the system store."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    result = login(tls_server)
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]


def test_expired_certificate_exits_7(expired_server: str, ca_file: Path) -> None:
    assert Ortif(expired_server)("config", "set", "ca_bundle", str(ca_file)).exit_code == 0
    result = login(expired_server)
    assert result.exit_code == 7  # type: ignore[attr-defined]
    assert "certificate has expired" in result.stderr  # type: ignore[attr-defined]
    assert "127.0.0.1" in result.stderr  # type: ignore[attr-defined]


def test_unreadable_ca_bundle_is_refused(tls_server: str, tmp_path: Path) -> None:
    result = Ortif(tls_server)("config", "set", "ca_bundle", str(tmp_path / "missing.pem"))
    assert result.exit_code == 2
    assert "missing.pem" in result.stderr


def test_there_is_no_switch_to_disable_verification() -> None:
    from typer.main import get_command

    from ortif_cli.cli.main import app

    def options(command: object) -> set[str]:
        names = {o for p in getattr(command, "params", []) for o in getattr(p, "opts", [])}
        for sub in getattr(command, "commands", {}).values():
            names |= options(sub)
        return names

    every = options(get_command(app))
    assert not {o for o in every if "insecure" in o or "verify" in o or "no-tls" in o}
