"""Password hashing (argon2) and bearer tokens (random, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
import threading
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Each argon2 hash takes 64 MiB for its duration: a burst of sign-ins may hash only this
# many at once per process (the others wait their turn), so memory stays bounded.
HASHING_SLOTS = 2
_hashing = threading.BoundedSemaphore(HASHING_SLOTS)


def hash_password(password: str) -> str:
    with _hashing:
        return str(_hasher.hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; with no hash, spend the same time and say no."""
    if password_hash is None:
        _matches(_dummy_hash(), password)
        return False
    return _matches(password_hash, password)


def _matches(password_hash: str, password: str) -> bool:
    try:
        with _hashing:
            return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
