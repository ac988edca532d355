"""completions/ is generated from the app, and bash completes commands and dossier ids."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ortif_cli.api.client import PlatformClient
from ortif_cli.localserver import LocalServer
from tests.conftest import REQUESTER, Ortif

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_current(shell: str) -> None:
    generated = subprocess.run(
        [sys.executable, "-m", "ortif_cli"],
        env={**os.environ, "_ORTIF_COMPLETE": f"source_{shell}"},
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    committed = (ROOT / "completions" / f"ortif.{shell}").read_text()
    assert generated == committed, "run scripts/gen-completions"


@pytest.fixture
def ortif_on_path(tmp_path: Path) -> dict[str, str]:
    """An `ortif` on PATH that runs this interpreter and this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "ortif"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ortif_cli "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}


def complete(env: dict[str, str], *words: str) -> list[str]:
    """What bash offers after `words` (the last one being completed), with our script."""
    array = " ".join(f"'{w}'" for w in words)
    script = (
        f"source {ROOT / 'completions' / 'ortif.bash'}\n"
        f"COMP_WORDS=({array}); COMP_CWORD={len(words) - 1}\n"
        "_ortif_completion ortif\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.split()


def test_bash_completes_subcommands(ortif_on_path: dict[str, str]) -> None:
    assert "dossier" in complete(ortif_on_path, "ortif", "dos")
    assert {"show", "send"} <= set(complete(ortif_on_path, "ortif", "dossier", "s"))
    assert {"create", "list", "revoke"} <= set(complete(ortif_on_path, "ortif", "token", ""))


def test_bash_completes_a_dossier_id(
    live_server: LocalServer, ortif: Ortif, ortif_on_path: dict[str, str]
) -> None:
    ortif.login(REQUESTER)
    with PlatformClient(live_server.url) as anonymous:
        token = anonymous.login(REQUESTER.username, REQUESTER.password).access_token
    with PlatformClient(live_server.url, token) as client:
        expert = client.search_directory("MARTIN").professionals[0].user
        dossier = client.create_dossier(
            {
                "type": "imaging-transfer",
                "visibility": "me",
                "correspondents": [{"kind": "user", "id": expert.id}],
                "patient": {"last_name": "COMPLETION", "identifier": "PID-COMP"},
            }
        )
    offered = complete(ortif_on_path, "ortif", "dossier", "show", "")
    assert str(dossier.id) in offered
    assert not any("COMPLETION" in word for word in offered)
    assert str(dossier.id) in complete(ortif_on_path, "ortif", "ack", str(dossier.id))


def test_no_session_completes_nothing(ortif_on_path: dict[str, str]) -> None:
    assert complete(ortif_on_path, "ortif", "dossier", "show", "") == []
