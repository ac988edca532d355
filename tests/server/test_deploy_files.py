"""deploy/: the systemd unit and the compose file name only options `serve` has, and pass
their tools' own validators where those are installed (no image is ever pulled)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ortif_server.cli import app
from tests.server.conftest import REPO

DEPLOY = REPO / "deploy"
UNIT = DEPLOY / "systemd" / "ortif-server.service"
COMPOSE = DEPLOY / "compose" / "compose.yaml"


def _serve_options() -> set[str]:
    help_text = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    return set(re.findall(r"--[a-z][a-z-]+", help_text))


@pytest.mark.parametrize("path", [UNIT, COMPOSE], ids=["systemd", "compose"])
def test_deploy_files_use_only_options_serve_has(path: Path) -> None:
    text = path.read_text()
    match = re.search(r"\bserve\b", text)
    assert match, path
    serve = text[match.start() :]
    used = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", serve)) - {"--build"}
    assert used, path
    assert used <= _serve_options(), used - _serve_options()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_the_systemd_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    ortif_server = Path(sys.executable).with_name("ortif-server")
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/opt/ortif/venv/bin/ortif-server", str(ortif_server)))
    check = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0 and check.stderr == "", check.stderr


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=60)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.mark.skipif(_compose_command() is None, reason="no docker compose to validate with")
def test_the_compose_file_passes_docker_compose_config() -> None:
    command = _compose_command()
    assert command is not None
    environment = {**os.environ, "POSTGRES_PASSWORD": "validate-only"}
    check = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
