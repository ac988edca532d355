"""Guest invitations: matching known professionals, creation and delivery, guest sign-in."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ortif_server import audit, delivery, invitation_messages, serialize
from ortif_server.caller import Caller
from ortif_server.config import ServerSettings
from ortif_server.errors import ApiError
from ortif_server.invitation_schemas import InvitationCreate, InvitationPublic
from ortif_server.models import Dossier, Invitation, User, utcnow
from ortif_server.security import hash_password, new_token, token_digest
from ortif_server.textsearch import search_key
from ortif_server.workflow import participant_user_ids, require_status

log = logging.getLogger(__name__)
VALIDITY = timedelta(days=92)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def matches(session: Session, wanted: InvitationCreate) -> list[User]:
    """Known professionals with that name, email, phone or ENRS login."""
    name = search_key(wanted.last_name, wanted.first_name).split()
    conditions = [*(User.search_key.contains(t, autoescape=True) for t in name)]
    alternatives = [
        func.lower(User.email) == (wanted.email or "").lower() if wanted.email else None,
        User.phone == wanted.phone if wanted.phone else None,
        User.enrs_login == wanted.enrs_login if wanted.enrs_login else None,
    ]
    any_of = [c for c in alternatives if c is not None]
    by_name = select(User.id).where(*conditions)
    query = select(User).where(or_(User.id.in_(by_name), *any_of))
    return list(session.scalars(query.order_by(User.last_name, User.id).limit(50)))


def require_inviter(session: Session, caller: Caller, dossier: Dossier) -> None:
    require_status(dossier, "draft", "sent")
    if caller.token.user_id not in participant_user_ids(session, dossier):
        raise ApiError(403, "forbidden", "Only the dossier's participants may invite.")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def invite(
    session: Session,
    settings: ServerSettings,
    context: tuple[Caller, Dossier, str],
    wanted: InvitationCreate,
) -> InvitationPublic:
    """Create the invitation, then send the link and the code as two messages."""
    caller, dossier, base_url = context
    link_token, code = new_token(), new_code()
    inviter = caller.require_user()
    row = _new_invitation(wanted, dossier, inviter.id, (link_token, code))
    session.add(row)
    session.flush()
    audit.record(session, caller, "invite", ("dossier", dossier.id), dossier.id)
    link = f"{(settings.delivery.public_url or base_url).rstrip('/')}/guest/{link_token}"
    sent = invitation_messages.messages(row, dossier, inviter, (link, code), settings.language)
    for message in sent:
        delivery.deliver(settings.delivery, message)
    session.commit()
    return serialize.invitation(row)


def _new_invitation(
    wanted: InvitationCreate, dossier: Dossier, inviter_id: int, secrets_: tuple[str, str]
) -> Invitation:
    """The row, secrets hashed; the link by mail if possible, the code by SMS if possible."""
    link_token, code = secrets_
    return Invitation(
        dossier_id=dossier.id,
        inviter_id=inviter_id,
        last_name=wanted.last_name,
        first_name=wanted.first_name,
        email=wanted.email,
        phone=wanted.phone,
        enrs_login=wanted.enrs_login,
        link_token_sha256=token_digest(link_token),
        code_hash=hash_password(code),
        link_channel="email" if wanted.email else "sms",
        code_channel="sms" if wanted.phone else "email",
        expires_at=utcnow() + VALIDITY,
    )
