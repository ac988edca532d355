"""Limits set by `serve` options: document size (413) and lockout threshold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.server_process import ServerProcess


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess.seeded(tmp_path_factory.mktemp("small") / "data", None)
    process.extra_args = ["--max-document-mb", "1", "--max-failed-logins", "2"]
    process.start()
    yield process
    process.stop()


def test_a_document_over_the_limit_is_413_and_leaves_nothing(
    small_server: ServerProcess,
) -> None:
    headers = {"Authorization": f"Bearer {small_server.token()}"}
    url = f"{small_server.url}/api/v1/documents"
    big = b"x" * (1024 * 1024 + 1)
    answer = httpx.post(url, content=big, headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "too_large")

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 100_000

    answer = httpx.post(url, content=chunks(), headers=headers)
    assert answer.status_code == 413
    tmp_dir: Path = small_server.settings.tmp_dir
    assert list(tmp_dir.iterdir()) == []
    ok = httpx.post(url, content=b"z" * 1000, headers=headers)
    assert ok.status_code == 201


def test_serve_options_set_the_lockout(small_server: ServerProcess) -> None:
    url = f"{small_server.url}/api/v1/session"
    wrong = {"username": "eve", "password": "wrong"}
    codes = [httpx.post(url, json=wrong).json()["error"]["code"] for _ in range(2)]
    assert codes == ["invalid_credentials", "account_locked"]
