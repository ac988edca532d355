"""Inviting a guest: the contact details, checked with email-validator and phonenumbers."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Invitation, Json, Professional
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _

DEFAULT_REGION = "FR"


def normalise_email(text: str) -> str:
    """The address as the platform should store it; UsageError if it is not one."""
    try:
        return str(validate_email(text.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise UsageError(
            _("--email {text!r} is not an email address: {why}").format(text=text, why=exc),
        ) from exc


def normalise_phone(text: str) -> str:
    """E.164 (`+33612345678`); French numbers may be typed 06 12 34 56 78 or +33 6..."""
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise UsageError(_("--phone {text!r} is not a phone number.").format(text=text)) from exc
    if not phonenumbers.is_valid_number(number):
        raise UsageError(
            _("--phone {text!r} is not a valid phone number.").format(text=text),
            hint=_("Write it as 06 12 34 56 78 or +33 6 12 34 56 78."),
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class Contact:
    """Who is invited, and where the link and the access code go."""

    last_name: str
    first_name: str
    email: str | None = None
    phone: str | None = None
    enrs_login: str | None = None

    @classmethod
    def checked(
        cls,
        last_name: str,
        first_name: str,
        email: str | None,
        phone: str | None,
        enrs_login: str | None = None,
    ) -> Contact:
        if not last_name.strip() or not first_name.strip():
            raise UsageError(_("An invitation needs the guest's last name and first name."))
        if not email and not phone:
            raise UsageError(
                _("An invitation needs an email address or a phone number."),
                hint=_("Give --email ADDRESS or --phone NUMBER (or both)."),
            )
        return cls(
            last_name.strip(),
            first_name.strip(),
            normalise_email(email) if email else None,
            normalise_phone(phone) if phone else None,
            enrs_login.strip() if enrs_login else None,
        )

    def to_json(self) -> Json:
        body: Json = {"last_name": self.last_name, "first_name": self.first_name}
        for key in ("email", "phone", "enrs_login"):
            if value := getattr(self, key):
                body[key] = value
        return body


def known_professionals(
    client: PlatformClient, dossier_id: int, contact: Contact
) -> list[Professional]:
    """The platform's professionals who may be this person (name, email, phone, ENRS)."""
    return client.invitation_matches(dossier_id, contact.to_json())


def invite(client: PlatformClient, dossier_id: int, contact: Contact) -> Invitation:
    return client.invite(dossier_id, contact.to_json())
