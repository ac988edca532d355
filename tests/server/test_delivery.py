"""Invitation messages through a real SMTP server (STARTTLS, login) and an SMS gateway."""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from ortif_server.config import DeliverySettings, SmtpSettings
from ortif_server.delivery import Message, deliver
from ortif_server.errors import ApiError
from tests.server.invitation_helpers import CODE, guest_client, secrets_of
from tests.server.server_process import ServerProcess

SMTP_LOGIN, SMTP_PASSWORD = "ortif", "smtp-s3cret"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        mail = message_from_bytes(envelope.content)
        payload = mail.get_payload(decode=True)
        assert isinstance(payload, bytes)
        self.messages.append({"to": str(mail["To"]), "text": payload.decode()})
        return "250 OK"


def _authenticate(*args: Any) -> AuthResult:
    auth_data = args[-1]
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_LOGIN.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def mailbox(ca: trustme.CA) -> Iterator[tuple[Mailbox, int]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    box, port = Mailbox(), _free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield box, port
    controller.stop()


class SmsHandler(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def sms_gateway() -> Iterator[tuple[list[dict[str, str]], str]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), SmsHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield SmsHandler.received, f"http://127.0.0.1:{httpd.server_port}/send"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def mailing_server(
    tmp_path_factory: pytest.TempPathFactory,
    ca: trustme.CA,
    mailbox: tuple[Mailbox, int],
    sms_gateway: tuple[list[dict[str, str]], str],
) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("mailing")
    ca_file, password_file = tmp / "ca.pem", tmp / "smtp-password"
    ca.cert_pem.write_to_path(str(ca_file))
    password_file.write_text(SMTP_PASSWORD + "\n")
    process = ServerProcess.seeded(tmp / "data", None)
    process.extra_args = _delivery_args(mailbox[1], password_file, sms_gateway[1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", str(ca_file))
        process.start()
    yield process
    process.stop()


def _delivery_args(smtp_port: int, password_file: Path, gateway: str) -> list[str]:
    return [
        *("--smtp", f"127.0.0.1:{smtp_port}", "--smtp-starttls"),
        *("--smtp-user", SMTP_LOGIN, "--smtp-password-file", str(password_file)),
        *("--mail-from", "platform@example.org", "--sms-gateway", gateway),
        *("--public-url", "https://ortif.example.org/"),
    ]


def _new_dossier(server: ServerProcess, headers: dict[str, str]) -> int:
    bob_id = httpx.get(f"{server.url}/api/v1/directory?q=bob", headers=headers).json()
    body = {
        "type": "imaging-transfer",
        "visibility": "me",
        "correspondents": [{"kind": "user", "id": bob_id["professionals"][0]["id"]}],
        "patient": {"last_name": "DOE", "identifier": "PID-1"},
    }
    answer = httpx.post(f"{server.url}/api/v1/dossiers", json=body, headers=headers)
    dossier_id: int = answer.json()["id"]
    return dossier_id


def test_link_by_mail_and_code_by_sms(
    mailing_server: ServerProcess,
    mailbox: tuple[Mailbox, int],
    sms_gateway: tuple[list[dict[str, str]], str],
) -> None:
    headers = {"Authorization": f"Bearer {mailing_server.token()}"}
    dossier_id = _new_dossier(mailing_server, headers)
    contact = {"email": "gaston@example.org", "phone": "+33612345678"}
    url = f"{mailing_server.url}/api/v1/dossiers/{dossier_id}/invitations"
    body = {"last_name": "GUEST", "first_name": "Gaston", **contact}
    assert httpx.post(url, json=body, headers=headers).status_code == 201
    [mail] = [m for m in mailbox[0].messages if m["to"] == "gaston@example.org"]
    [sms] = [m for m in sms_gateway[0] if m["to"] == "+33612345678"]
    assert "https://ortif.example.org/guest/" in mail["text"] and "code:" not in mail["text"]
    link_token, code = secrets_of([mail, sms])
    with guest_client(mailing_server.url, link_token, code) as guest:
        assert guest.get(f"/api/v1/dossiers/{dossier_id}").status_code == 200


def test_both_messages_by_mail_without_a_phone(
    mailing_server: ServerProcess, mailbox: tuple[Mailbox, int]
) -> None:
    headers = {"Authorization": f"Bearer {mailing_server.token()}"}
    dossier_id = _new_dossier(mailing_server, headers)
    url = f"{mailing_server.url}/api/v1/dossiers/{dossier_id}/invitations"
    body = {"last_name": "GUEST", "first_name": "Mail", "email": "only-mail@example.org"}
    answer = httpx.post(url, json=body, headers=headers)
    assert (answer.json()["link_channel"], answer.json()["code_channel"]) == ("email", "email")
    mails = [m for m in mailbox[0].messages if m["to"] == "only-mail@example.org"]
    assert len(mails) == 2
    assert "/guest/" in mails[0]["text"] and CODE.search(mails[1]["text"])


def test_an_unreachable_channel_is_502(tmp_path: Path) -> None:
    message = Message("email", "x@example.org", "subject", "text")
    unreachable = DeliverySettings(smtp=SmtpSettings("127.0.0.1", _free_port()))
    for settings in (unreachable, DeliverySettings(sms_gateway="http://127.0.0.1:1/")):
        with pytest.raises(ApiError) as caught:
            deliver(settings, message)
        assert (caught.value.status, caught.value.code) == (502, "delivery_failed")
    deliver(DeliverySettings(outbox_dir=tmp_path / "outbox"), message)
    [written] = (tmp_path / "outbox").iterdir()
    assert re.fullmatch(r"\d{8}T\d{12}-\d+-email\.json", written.name)
    assert json.loads(written.read_text())["subject"] == "subject"
