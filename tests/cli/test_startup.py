"""Startup stays light: `--version`, `--help` and `dossier list` import no DICOM or server
code, and queries to a PACS neither pydicom nor pynetdicom.

Measured with `python -X importtime` in a subprocess (bench/startup.py times it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ortif_cli.localserver import LocalServer
from tests.conftest import REQUESTER
from tests.dicom_factory import QueryRetrieveSCP, write_study

HEAVY = ("pydicom", "pynetdicom", "fastapi", "starlette", "sqlalchemy", "ortif_server")


def imported_modules(*args: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ortif_cli", *args],
        env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY}


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("dossier", "--help")])
def test_version_and_help_stay_light(args: tuple[str, ...]) -> None:
    modules = imported_modules(*args)
    assert "ortif_cli.cli.main" in modules
    assert heavy(modules) == set()
    assert "httpx" not in modules  # 50-70 ms: only commands that talk to the platform pay it


def test_dossier_list_stays_light(live_server: LocalServer) -> None:
    from ortif_cli.api.client import PlatformClient

    with PlatformClient(live_server.url) as anonymous:
        token = anonymous.login(REQUESTER.username, REQUESTER.password).access_token
    modules = imported_modules(
        "--json", "dossier", "list", env={"ORTIF_TOKEN": token, "ORTIF_SERVER": live_server.url}
    )
    assert "httpx" in modules  # it did talk to the platform
    assert heavy(modules) == set()


def test_pacs_queries_stay_light(tmp_path: Path) -> None:
    """C-FIND (and the C-GET beside it) use ortif's own DICOM client: no pydicom (0.25 s
    with numpy) and no pynetdicom on the way to a PACS."""
    write_study(tmp_path / "pacs", series=1, instances_per_series=1)
    pacs = QueryRetrieveSCP(tmp_path / "pacs").start()
    try:
        add = ["pacs", "add", "t", "--host", "127.0.0.1", "--port", str(pacs.port)]
        imported_modules(*add, "--aet", "TESTPACS")
        modules = imported_modules("--json", "exam", "find", "--pacs", "t")
    finally:
        pacs.stop()
    assert "ortif_cli.dicom.upper_layer" in modules
    assert heavy(modules) == set()
