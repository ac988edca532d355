"""Sign-in with Pro Santé Connect, brokered for the CLI: each pending sign-in is a database
row (several server processes may serve one platform), from its start to the session the
CLI collects with its one-time handle.

Browser mode: authorization code with PKCE; the provider sends the browser back to
`/auth/psc/callback`, where the `state` is used once. CIBA mode: the platform asks the
provider to push the request to the professional's e-CPS app and polls for the answer.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ortif_server import signin
from ortif_server.auth_schemas import SessionPublic
from ortif_server.config import PscSettings, ServerSettings
from ortif_server.models import PscLogin, Token, User, utcnow
from ortif_server.oidc import (
    Identity,
    OpenIdClient,
    Pkce,
    ProviderError,
    ProviderUnreachable,
    TokenRejected,
)
from ortif_server.psc_failures import PscFailure, failure_for_provider_error, unknown_professional
from ortif_server.security import new_token, token_digest

log = logging.getLogger(__name__)
SHORT_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
KEEP_FINISHED = timedelta(days=1)


@dataclass(frozen=True)
class Started:
    """What the CLI needs to follow a sign-in: its poll handle, and the URL or the message."""

    handle: str = field(repr=False)
    expires_at: datetime
    interval: int
    url: str | None = None
    binding_message: str | None = None


@dataclass(frozen=True)
class Pending:
    interval: int


def national_ids(rpps: str) -> tuple[str, str]:
    """An RPPS number as stored on a user, and as PSC's `SubjectNameID` (`8` + RPPS)."""
    return rpps, "8" + rpps


def rpps_of(national_id: str) -> str | None:
    """The RPPS number of a `SubjectNameID` (`8` + RPPS); None for another kind of id."""
    return national_id[1:] if national_id.startswith("8") and national_id[1:].isdigit() else None


def start_browser(session: Session, psc: PscSettings, client: OpenIdClient) -> Started:
    """Record a pending authorization-code sign-in; its short URL leads to the provider."""
    metadata = client.metadata()
    state, nonce, pkce = secrets.token_urlsafe(24), secrets.token_urlsafe(24), Pkce()
    short_code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(10))
    handle = new_token()
    row = PscLogin(
        handle_sha256=token_digest(handle),
        mode="browser",
        short_code=short_code,
        state=state,
        nonce=nonce,
        code_verifier=pkce.verifier,
        authorize_url=client.authorization_url(metadata, state, nonce, pkce),
        expires_at=utcnow() + psc.login_ttl,
    )
    _save_new(session, row)
    url = f"{psc.public_url.rstrip('/')}/auth/psc/go/{short_code}"
    return Started(handle, row.expires_at, row.poll_interval, url=url)


def start_ciba(session: Session, client: OpenIdClient, rpps: str) -> Started:
    """Ask the provider to push a request to the professional's e-CPS app."""
    if _user_by_rpps(session, rpps) is None:
        raise unknown_professional("8" + rpps)
    metadata = client.metadata()
    binding_message = f"ORTIF-{secrets.randbelow(10000):04d}"
    try:
        answer = client.backchannel_authorize(metadata, "8" + rpps, binding_message)
    except ProviderError as exc:
        raise failure_for_provider_error(exc) from None
    handle = new_token()
    row = PscLogin(
        handle_sha256=token_digest(handle),
        mode="ciba",
        auth_req_id=str(answer["auth_req_id"]),
        binding_message=binding_message,
        requested_rpps=rpps,
        poll_interval=max(2, int(answer.get("interval", 5))),
        expires_at=utcnow() + timedelta(seconds=int(answer["expires_in"])),
    )
    _save_new(session, row)
    return Started(handle, row.expires_at, row.poll_interval, binding_message=binding_message)


def _save_new(session: Session, row: PscLogin) -> None:
    """Add `row`, forgetting sign-ins that ended long ago without giving a session."""
    session.execute(
        delete(PscLogin).where(
            PscLogin.expires_at < utcnow() - KEEP_FINISHED, PscLogin.status != "delivered"
        )
    )
    session.add(row)
    session.commit()


def authorize_url(session: Session, short_code: str) -> str:
    """Where the short URL leads: the provider's authorization endpoint, while pending."""
    row = session.scalar(select(PscLogin).where(PscLogin.short_code == short_code))
    if row is None or row.authorize_url is None:
        raise PscFailure("psc_unknown_login", "This sign-in link is not known.")
    if row.status != "pending" or row.state_used_at is not None or _expired(row):
        raise PscFailure("psc_link_used", "This sign-in link was already used or has expired.")
    return row.authorize_url


def complete_callback(session: Session, client: OpenIdClient, params: dict[str, str]) -> PscLogin:
    """The provider sent the browser back: use the state once, check who signed in."""
    row = _claim_state(session, params.get("state", ""))
    try:
        if _expired(row):
            raise PscFailure("psc_expired", "The sign-in took too long; start it again.")
        if "error" in params:
            raise failure_for_provider_error(
                ProviderError(params["error"], params.get("error_description"))
            )
        assert row.code_verifier is not None
        metadata = client.metadata()
        if params.get("iss", metadata.issuer) != metadata.issuer:  # RFC 9207
            raise TokenRejected("the answer names another issuer (iss)")
        tokens = client.exchange_code(metadata, params.get("code", ""), row.code_verifier)
        _approve(session, row, client.identity(metadata, tokens, row.nonce))
    except (PscFailure, ProviderError, ProviderUnreachable, TokenRejected) as exc:
        failure = _as_failure(exc, client.settings)
        _fail(session, row, failure)
        raise failure from None
    return row


def _claim_state(session: Session, state: str) -> PscLogin:
    """The pending browser sign-in of `state`, marked used in the same statement."""
    claimed = session.execute(
        update(PscLogin)
        .where(PscLogin.state == state, PscLogin.state_used_at.is_(None))
        .where(PscLogin.mode == "browser", PscLogin.status == "pending")
        .values(state_used_at=utcnow())
    )
    session.commit()
    row = session.scalar(select(PscLogin).where(PscLogin.state == state)) if state else None
    if row is None:
        raise PscFailure("psc_unknown_login", "This sign-in answer matches no sign-in.")
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        log.warning("Replayed Pro Santé Connect state refused (sign-in %d)", row.id)
        raise PscFailure("psc_state_used", "This sign-in answer was already used.")
    return row


def poll(
    session: Session, settings: ServerSettings, client: OpenIdClient, handle: str
) -> SessionPublic | Pending:
    """The session of a finished sign-in (once), Pending, or the failure as PscFailure."""
    row = session.scalar(select(PscLogin).where(PscLogin.handle_sha256 == token_digest(handle)))
    if row is None or row.status == "delivered":
        raise PscFailure("psc_unknown_login", "This sign-in is not known or already finished.")
    if row.status == "pending" and _expired(row):
        _fail(session, row, PscFailure("psc_expired", "The sign-in took too long."))
    if row.status == "pending" and row.mode == "ciba":
        _poll_provider(session, client, row)
    if row.status == "failed":
        raise PscFailure(row.failure_code or "psc_failed", row.failure_message or "")
    if row.status == "approved":
        return _deliver(session, settings, row) or Pending(row.poll_interval)
    return Pending(row.poll_interval)


def _poll_provider(session: Session, client: OpenIdClient, row: PscLogin) -> None:
    """Ask the provider about a CIBA request, at most once per interval across processes."""
    now = utcnow()
    claimed = session.execute(
        update(PscLogin)
        .where(PscLogin.id == row.id, PscLogin.status == "pending")
        .where(PscLogin.next_poll_at <= now)
        .values(next_poll_at=now + timedelta(seconds=row.poll_interval))
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return
    assert row.auth_req_id is not None
    try:
        metadata = client.metadata()
        tokens = client.poll_backchannel(metadata, row.auth_req_id)
        identity = client.identity(metadata, tokens, None)
        if identity.national_id not in national_ids(row.requested_rpps or ""):
            raise TokenRejected("the provider answered for another professional")
        _approve(session, row, identity)
    except ProviderError as exc:
        if exc.error == "slow_down":
            row.poll_interval += 5
            session.commit()
        elif exc.error != "authorization_pending":
            _fail(session, row, failure_for_provider_error(exc))
    except (PscFailure, ProviderUnreachable, TokenRejected) as exc:
        _fail(session, row, _as_failure(exc, client.settings))


def _approve(session: Session, row: PscLogin, identity: Identity) -> None:
    user = _user_by_national_id(session, identity.national_id)
    if user is None:
        raise unknown_professional(identity.national_id)
    row.status, row.user_id = "approved", user.id
    row.provider_access_token, row.provider_id_token = identity.access_token, identity.id_token
    row.code_verifier = row.nonce = None
    session.commit()
    log.info("User %d signed in with Pro Santé Connect (%s)", user.id, row.mode)


def _deliver(session: Session, settings: ServerSettings, row: PscLogin) -> SessionPublic | None:
    """The session of an approved sign-in, to the first poll that claims it."""
    claimed = session.execute(
        update(PscLogin)
        .where(PscLogin.id == row.id, PscLogin.status == "approved")
        .values(status="delivered")
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    user = session.get(User, row.user_id)
    assert user is not None
    access = Token(user=user, user_id=user.id, authentication="psc", psc_login_id=row.id)
    return signin.issue_pair(session, settings, access)


def _fail(session: Session, row: PscLogin, failure: PscFailure) -> None:
    row.status, row.failure_code, row.failure_message = "failed", failure.code, failure.message
    row.code_verifier = row.nonce = None
    session.commit()
    log.info("Pro Santé Connect sign-in %d failed: %s", row.id, failure.code)


def _as_failure(exc: Exception, psc: PscSettings) -> PscFailure:
    if isinstance(exc, PscFailure):
        return exc
    if isinstance(exc, ProviderError):
        return failure_for_provider_error(exc)
    if isinstance(exc, ProviderUnreachable):
        return PscFailure(
            "psc_unreachable", f"Pro Santé Connect ({psc.issuer}) cannot be reached: {exc}."
        )
    return PscFailure("psc_rejected", f"The platform refused the provider's answer: {exc}.")


def end_provider_session(session: Session, client: OpenIdClient, access: Token) -> None:
    """Revoke the provider's access token of the sign-in that gave `access`, if any."""
    row = session.get(PscLogin, access.psc_login_id) if access.psc_login_id else None
    if row is None or row.provider_access_token is None or row.provider_session_ended_at:
        return
    try:
        client.revoke(client.metadata(), row.provider_access_token)
    except (ProviderError, ProviderUnreachable) as exc:
        log.warning("Could not end the Pro Santé Connect session of sign-in %d: %s", row.id, exc)
        return
    row.provider_session_ended_at, row.provider_access_token = utcnow(), None
    session.commit()


def _expired(row: PscLogin) -> bool:
    return row.expires_at <= utcnow()


def _user_by_rpps(session: Session, rpps: str) -> User | None:
    users = session.scalars(select(User).where(User.rpps == rpps)).all()
    return users[0] if len(users) == 1 else None


def _user_by_national_id(session: Session, national_id: str) -> User | None:
    rpps = rpps_of(national_id)
    return _user_by_rpps(session, rpps) if rpps else None
