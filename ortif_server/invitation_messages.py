"""The two messages of an invitation: the link (who invites, to what, until when), the code."""

from __future__ import annotations

from datetime import datetime

from ortif_server.delivery import Message
from ortif_server.i18n import translations
from ortif_server.models import Dossier, Invitation, User


def establishment_of(dossier: Dossier) -> str | None:
    """The dossier's establishment: its community's, else its owner's first community's."""
    community = dossier.community or next(iter(dossier.owner.communities), None)
    return community.establishment.name if community else None


def inviter_label(inviter: User, establishment: str | None) -> str:
    name = f"{inviter.first_name} {inviter.last_name.upper()}"
    return f"{name} ({establishment})" if establishment else name


def day(value: datetime, language: str) -> str:
    return value.strftime("%d/%m/%Y" if language == "fr" else "%Y-%m-%d")


def messages(
    row: Invitation, dossier: Dossier, inviter: User, secrets_: tuple[str, str], language: str
) -> list[Message]:
    """The link by its channel, the code alone by the other, in `language`."""
    link, code = secrets_
    _ = translations(language).gettext
    link_text = _(
        "Hello {guest},\n\n"
        "{inviter} invites you to take part in a tele-file on the ortif telemedicine "
        "platform.\n\nOpen this link in your browser:\n{link}\n\n"
        "There you can read the request and its documents, view the images and add a "
        "step (an answer, further information) until {day}.\n\n"
        "The access code comes in a separate message."
    ).format(
        guest=f"{row.first_name} {row.last_name}",
        inviter=inviter_label(inviter, establishment_of(dossier)),
        link=link,
        day=day(row.expires_at, language),
    )
    code_text = _("Your ortif access code: {code}").format(code=code)
    return [
        _message(row, row.link_channel, _("ortif invitation"), link_text),
        _message(row, row.code_channel, _("ortif access code"), code_text),
    ]


def _message(row: Invitation, channel: str, subject: str, text: str) -> Message:
    address = (row.email if channel == "email" else row.phone) or ""
    return Message(channel, address, subject, text)
