"""A burst of sign-ins hashes at most HASHING_SLOTS passwords at once per process: each
argon2 hash holds 64 MiB, so a process's memory stays bounded whatever the burst."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from argon2 import PasswordHasher

from ortif_server import security


class _CountingHasher(PasswordHasher):
    """The real hasher, counting how many hashes run at the same time."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.running = self.peak = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Any:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


def test_a_burst_of_sign_ins_hashes_a_few_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = security.hash_password("right")
    counting = _CountingHasher()
    monkeypatch.setattr(security, "_hasher", counting)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: security.verify_password(stored, "right"), range(8)))
    assert answers == [True] * 8
    assert 1 <= counting.peak <= security.HASHING_SLOTS
