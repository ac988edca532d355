"""Where the session lives: the OS keyring, or ORTIF_TOKEN for scripts.

The keyring entry of a profile and server holds the session as JSON: the access token,
the refresh token (rotated at every refresh), their expiry and the token's kind. There
is no plain-text fallback: when no secure keyring backend works, sign-in fails with a
message that says how to fix it.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from types import ModuleType

from ortif_cli.errors import CredentialStoreError
from ortif_cli.i18n import _

SERVICE = "ortif"
TOKEN_ENV = "ORTIF_TOKEN"


def _fix() -> str:
    return _(
        "Install a keyring backend (e.g. gnome-keyring or KWallet on Linux), "
        "or pass a token from `ortif token create` in the ORTIF_TOKEN environment variable."
    )


@dataclass
class StoredSession:
    """What is kept for one profile and server; `kind` is session, guest or personal."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    kind: str = "session"
    from_environment: bool = False

    def to_text(self) -> str:
        data = asdict(self)
        data.pop("from_environment")
        for key in ("expires_at", "refresh_expires_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return json.dumps(data)

    @classmethod
    def from_text(cls, text: str) -> StoredSession:
        try:
            data = json.loads(text)
        except ValueError:
            return cls(text)  # a bare token, as stored by ortif 0.1
        if not isinstance(data, dict):
            return cls(text)
        return cls(
            data["access_token"],
            data.get("refresh_token"),
            expires_at=_time(data.get("expires_at")),
            refresh_expires_at=_time(data.get("refresh_expires_at")),
            kind=data.get("kind", "session"),
        )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _account(profile: str, server: str) -> str:
    return f"{profile}@{server.rstrip('/')}"


def _keyring() -> ModuleType:
    """The keyring backend, refusing the ones that are not secure unless chosen explicitly."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    chosen = os.environ.get("PYTHON_KEYRING_BACKEND")
    insecure = type(backend).__module__.startswith("keyrings.alt")
    if isinstance(backend, fail.Keyring) or (insecure and not chosen):
        raise CredentialStoreError(
            _("No secure keyring is available to keep your session."), _fix()
        )
    return keyring


def load_session(profile: str, server: str) -> StoredSession | None:
    """ORTIF_TOKEN if set, else the session stored for this profile and server."""
    if token := os.environ.get(TOKEN_ENV):
        return StoredSession(token, kind="personal", from_environment=True)
    try:
        stored: str | None = _keyring().get_password(SERVICE, _account(profile, server))
    except CredentialStoreError:
        return None
    except Exception as exc:  # keyring backends raise their own error types
        message = _("The keyring could not be read: {error}.").format(error=exc)
        raise CredentialStoreError(message, _fix()) from exc
    return StoredSession.from_text(stored) if stored else None


def save_session(profile: str, server: str, session: StoredSession) -> None:
    if session.from_environment:
        return
    try:
        _keyring().set_password(SERVICE, _account(profile, server), session.to_text())
    except CredentialStoreError:
        raise
    except Exception as exc:
        message = _("The keyring refused to store the session: {error}.").format(error=exc)
        raise CredentialStoreError(message, _fix()) from exc


def delete_session(profile: str, server: str) -> None:
    import keyring.errors

    with contextlib.suppress(keyring.errors.PasswordDeleteError, CredentialStoreError):
        _keyring().delete_password(SERVICE, _account(profile, server))


def load_token(profile: str, server: str) -> str | None:
    """The access token alone (ORTIF_TOKEN first)."""
    session = load_session(profile, server)
    return session.access_token if session else None


def save_token(profile: str, server: str, token: str) -> None:
    save_session(profile, server, StoredSession(token))


delete_token = delete_session
