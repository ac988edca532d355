"""Where the access token lives: the OS keyring, or ORTIF_TOKEN for scripts.

There is no plain-text fallback: when no secure keyring backend works, sign-in fails
with a message that says how to fix it.
"""

from __future__ import annotations

import contextlib
import os
from types import ModuleType

from ortif_cli.errors import CredentialStoreError

SERVICE = "ortif"
TOKEN_ENV = "ORTIF_TOKEN"
_FIX = (
    "Install a keyring backend (e.g. gnome-keyring or KWallet on Linux), "
    "or pass a token from `ortif token create` in the ORTIF_TOKEN environment variable."
)


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
        raise CredentialStoreError("No secure keyring is available to keep your session.", _FIX)
    return keyring


def load_token(profile: str, server: str) -> str | None:
    """ORTIF_TOKEN if set, else the token stored for this profile and server."""
    if token := os.environ.get(TOKEN_ENV):
        return token
    try:
        stored: str | None = _keyring().get_password(SERVICE, _account(profile, server))
    except CredentialStoreError:
        return None
    except Exception as exc:  # keyring backends raise their own error types
        raise CredentialStoreError(f"The keyring could not be read: {exc}.", _FIX) from exc
    return stored


def save_token(profile: str, server: str, token: str) -> None:
    try:
        _keyring().set_password(SERVICE, _account(profile, server), token)
    except CredentialStoreError:
        raise
    except Exception as exc:
        raise CredentialStoreError(
            f"The keyring refused to store the session: {exc}.", _FIX
        ) from exc


def delete_token(profile: str, server: str) -> None:
    import keyring.errors

    with contextlib.suppress(keyring.errors.PasswordDeleteError, CredentialStoreError):
        _keyring().delete_password(SERVICE, _account(profile, server))
