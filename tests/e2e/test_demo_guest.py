"""`ortif demo --guest`: a local invitation whose link and code open the guest's pages."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import httpx
import pexpect
import pytest

from tests.conftest import Ortif
from tests.server.guest_pages_helpers import SIGNIN_TOKEN

pytestmark = pytest.mark.e2e


def test_demo_guest_shows_a_link_and_code_that_open_the_dossier(tmp_path: Path) -> None:
    env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "NO_COLOR": "1"}
    command = ["-m", "ortif_cli", "demo", "--guest", "--keep", str(tmp_path / "demo")]
    child = pexpect.spawn(
        sys.executable, command, env=env, encoding="utf-8", timeout=180, dimensions=(50, 200)
    )
    child.expect(r"https?://\S+/guest/[A-Za-z0-9_-]+")
    link = child.match.group(0)
    child.expect(r"\b([A-Z0-9]{8})\b")
    code = child.match.group(1)
    child.expect_exact("Press Enter when done")
    with httpx.Client(timeout=30, headers={"Accept-Language": "fr"}) as browser:
        form = browser.get(link)
        token = SIGNIN_TOKEN.search(form.text)
        assert token, form.text
        signed = browser.post(link, data={"code": code, "signin_token": token.group(1)})
        assert signed.status_code == 303
        page = browser.get(link).text
    assert "LEFÈVRE Hélène" in page and "Avis sur scanner thoracique, merci." in page
    time.sleep(0.15)  # let the prompt take the terminal before typing
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert re.search(r"dossier \d+ is closed", child.before or "")


def test_demo_guest_needs_a_terminal() -> None:
    result = Ortif()("--no-input", "demo", "--guest")
    assert result.exit_code == 2
    assert "waits while you try the guest's pages" in result.stderr
