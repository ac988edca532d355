"""`ortif dossier view`: the link opened in the default browser or printed, and refusals.

What the browser shows is not looked at here: test_viewer_browser.py drives OHIF in
Chromium. The default browser is the one of
the BROWSER variable, as for any program using Python's `webbrowser`: a script that
writes down the link it was given.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from ortif_cli.dicom.sample import write_sample_study
from tests.conftest import EXPERT, OUTSIDER, REQUESTER, Ortif
from tests.viewer_setup import ViewerPlatform

pytestmark = pytest.mark.e2e


@pytest.fixture
def people(viewer_platform: ViewerPlatform) -> Ortif:
    ortif = Ortif(viewer_platform.url)
    for account in (REQUESTER, EXPERT, OUTSIDER):
        ortif.login(account, account.username)
    return ortif


def new_dossier(ortif: Ortif, tmp_path: Path, pid: str, *, exam: bool = True) -> int:
    exam_args: tuple[str, ...] = ()
    if exam:
        write_sample_study(tmp_path / pid, patient_id=pid, series=1, instances_per_series=1)
        exam_args = ("--exam-dir", str(tmp_path / pid))
    result = ortif(
        "--profile", REQUESTER.username, "--json", "dossier", "create",
        "--to", "CHU Lyon/Neuroradiologie/Martin",
        "--patient-name", "Lefèvre", "--patient-first-name", "Hélène",
        "--patient-id", pid, "--patient-birth-date", "14/02/1970", "--patient-sex", "F",
        *exam_args, "--send" if exam else "--draft",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    dossier_id: int = result.json()["id"]
    return dossier_id


def follow(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


def test_view_opens_the_link_in_the_default_browser(
    people: Ortif, viewer_platform: ViewerPlatform, tmp_path: Path
) -> None:
    dossier_id = new_dossier(people, tmp_path, "PID-VIEW-1")
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    browser.chmod(0o755)
    command = [sys.executable, "-m", "ortif_cli", "--server", viewer_platform.url]
    command += ["--profile", EXPERT.username, "dossier", "view", str(dossier_id)]
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "BROWSER": str(browser)}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the link went to the browser, not to the terminal
    assert f"dossier {dossier_id} (1 study)" in done.stderr
    answer = follow(opened.read_text())
    assert answer.status_code == 303 and "ortif_session=" in answer.headers["set-cookie"]


def test_no_browser_prints_the_link(people: Ortif, tmp_path: Path) -> None:
    dossier_id = new_dossier(people, tmp_path, "PID-VIEW-2")
    plain = people("--profile", EXPERT.username, "dossier", "view", str(dossier_id), "--no-browser")
    assert plain.exit_code == 0, plain.stderr
    assert "usable once until" in plain.stderr
    url = plain.stdout.strip()
    assert follow(url).status_code == 303
    assert follow(url).status_code == 404  # used once
    document = people(
        "--profile", EXPERT.username, "--json", "dossier", "view", str(dossier_id), "--no-browser"
    )
    assert document.exit_code == 0, document.stderr
    link: dict[str, Any] = document.json()
    assert sorted(link) == ["expires_at", "studies", "url"]
    assert len(link["studies"]) == 1 and link["url"] != url


def test_refusals_say_why(people: Ortif, tmp_path: Path) -> None:
    with_exam = new_dossier(people, tmp_path, "PID-VIEW-3")
    without_exam = new_dossier(people, tmp_path, "PID-VIEW-4", exam=False)
    view = ("dossier", "view", "--no-browser")
    empty = people("--profile", REQUESTER.username, *view, str(without_exam))
    assert empty.exit_code == 6
    assert f"Dossier {without_exam} has no exam to view." in empty.stderr
    assert "ortif exam add" in empty.stderr
    for who, dossier_id in ((OUTSIDER, with_exam), (EXPERT, 999999)):
        hidden = people("--profile", who.username, *view, str(dossier_id))
        assert hidden.exit_code == 5, hidden.stderr
        assert hidden.stdout == ""


def test_a_platform_without_the_viewer(ortif: Ortif, tmp_path: Path) -> None:
    ortif.login(REQUESTER, REQUESTER.username)
    dossier_id = new_dossier(ortif, tmp_path, "PID-VIEW-5")
    result = ortif("--profile", REQUESTER.username, "dossier", "view", str(dossier_id))
    assert result.exit_code == 6
    assert "This platform does not serve the image viewer." in result.stderr
    assert "ortif-server viewer install" in result.stderr
    assert "ortif dossier pull" in result.stderr


def test_demo_view_needs_a_terminal() -> None:
    result = Ortif()("demo", "--view")
    assert result.exit_code == 2
    assert "--view needs a terminal" in result.stderr
