"""Outgoing messages: SMTP mail, an HTTP SMS gateway, or files in an outbox directory."""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from itertools import count

import httpx

from ortif_server.config import DeliverySettings, SmtpSettings
from ortif_server.errors import ApiError

log = logging.getLogger(__name__)
TIMEOUT = 10
_sequence = count(1)


@dataclass(frozen=True)
class Message:
    channel: str  # "email" or "sms"
    to: str
    subject: str
    text: str


def deliver(settings: DeliverySettings, message: Message) -> None:
    """Send one message by its channel; 502 `delivery_failed` if that is impossible."""
    try:
        if settings.outbox_dir is not None:
            _write_outbox(settings, message)
        elif message.channel == "email" and settings.smtp is not None:
            _send_mail(settings.smtp, message)
        elif message.channel == "sms" and settings.sms_gateway is not None:
            _send_sms(settings.sms_gateway, message)
        else:
            raise ApiError(502, "delivery_failed", f"No {message.channel} channel is configured.")
    except (OSError, smtplib.SMTPException, httpx.HTTPError) as exc:
        log.warning("Delivery by %s failed: %s", message.channel, type(exc).__name__)
        raise ApiError(
            502, "delivery_failed", f"The {message.channel} could not be sent."
        ) from None
    log.info("Delivered one %s message", message.channel)


def _write_outbox(settings: DeliverySettings, message: Message) -> None:
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = settings.outbox_dir / f"{stamp}-{next(_sequence)}-{message.channel}.json"
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(asdict(message), ensure_ascii=False), encoding="utf-8")
    temp.replace(path)


def _send_mail(smtp: SmtpSettings, message: Message) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = smtp.mail_from, message.to, message.subject
    mail.set_content(message.text)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username is not None and smtp.password is not None:
            client.login(smtp.username, smtp.password)
        client.send_message(mail)


def _send_sms(url: str, message: Message) -> None:
    answer = httpx.post(url, json={"to": message.to, "text": message.text}, timeout=TIMEOUT)
    answer.raise_for_status()
