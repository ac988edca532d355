"""`ortif login --psc`: the authorization-code flow with PKCE, driven in a real Chromium
against a real OpenID provider, the CLI waiting in its own process."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import httpx
import pytest

from ortif_cli.psc_provider import PscAccount
from tests.conftest import Ortif
from tests.psc.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    DURAND,
    PSC_DURAND,
    PSC_FAULTY_AUDIENCE,
    PSC_FAULTY_SIGNATURE,
    PSC_UNKNOWN,
    URL,
    CliProcess,
    PscPlatform,
)

TIMEOUT = 60


def start_login(platform: PscPlatform, *options: str) -> tuple[CliProcess, str]:
    cli = CliProcess("--server", platform.url, *options, "login", "--psc", "--no-browser")
    return cli, cli.wait_for(URL.pattern).group(0)


def sign_in_at_provider(driver: Any, link: str, account: PscAccount) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(link)
    wait = WebDriverWait(driver, TIMEOUT)
    wait.until(expected_conditions.presence_of_element_located((By.ID, "national_id")))
    driver.find_element(By.ID, "national_id").send_keys(account.SubjectNameID)
    driver.find_element(By.ID, "pin").send_keys(account.pin)
    driver.find_element(By.ID, "submit").click()


def outcome(driver: Any) -> str:
    """The `data-outcome` of the platform's result page under /auth/psc/."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    locator = (By.ID, "psc-result")
    result = WebDriverWait(driver, TIMEOUT).until(
        expected_conditions.presence_of_element_located(locator)
    )
    value: str = result.get_attribute("data-outcome")
    return value


def latest_login(platform: PscPlatform) -> dict[str, Any]:
    with sqlite3.connect(platform.database()) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM psc_login ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row)


def introspect(platform: PscPlatform, token: str) -> bool:
    answer = httpx.post(
        f"{platform.provider.issuer}/token/introspection",
        data={"token": token},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    answer.raise_for_status()
    active: bool = answer.json()["active"]
    return active


def test_signs_in_with_the_card_then_logout_ends_the_provider_session(
    psc_platform: PscPlatform, chromium: Any
) -> None:
    cli, link = start_login(psc_platform, "--json")
    sign_in_at_provider(chromium, link, PSC_DURAND)
    assert outcome(chromium) == "signed_in"
    assert "revenir à votre terminal" in chromium.page_source
    code, stdout, stderr = cli.finish()
    assert code == 0, stderr
    assert json.loads(stdout)["user"]["username"] == DURAND.username
    ortif = Ortif(psc_platform.url)
    who = ortif("--json", "whoami").json()
    assert who["authentication"] == "psc" and who["rpps"] == DURAND.rpps
    assert "Pro Santé Connect" in ortif("whoami").stdout
    provider_token = latest_login(psc_platform)["provider_access_token"]
    assert introspect(psc_platform, provider_token)
    assert ortif("logout").exit_code == 0
    assert not introspect(psc_platform, provider_token)
    assert latest_login(psc_platform)["provider_session_ended_at"] is not None


def test_a_replayed_answer_opens_no_second_session(
    psc_platform: PscPlatform, chromium: Any
) -> None:
    cli, link = start_login(psc_platform)
    sign_in_at_provider(chromium, link, PSC_DURAND)
    assert outcome(chromium) == "signed_in"
    callback = chromium.current_url
    assert "/auth/psc/callback?" in callback and "state=" in callback
    assert cli.finish()[0] == 0
    sessions = _session_count(psc_platform)
    replay = httpx.get(callback, timeout=30)
    assert replay.status_code == 400
    assert 'data-outcome="psc_state_used"' in replay.text
    assert _session_count(psc_platform) == sessions
    again = httpx.get(link, timeout=30, follow_redirects=False)
    assert again.status_code == 400 and 'data-outcome="psc_link_used"' in again.text


def _session_count(platform: PscPlatform) -> int:
    with sqlite3.connect(platform.database()) as db:
        (count,) = db.execute("SELECT count(*) FROM token WHERE authentication = 'psc'").fetchone()
    return int(count)


def test_an_unknown_professional_is_told_to_ask_the_administrator(
    psc_platform: PscPlatform, chromium: Any
) -> None:
    cli, link = start_login(psc_platform)
    sign_in_at_provider(chromium, link, PSC_UNKNOWN)
    assert outcome(chromium) == "psc_unknown_professional"
    assert "administrateur" in chromium.page_source
    code, _, stderr = cli.finish()
    assert code == 3
    assert "No account of this platform has your national identifier (RPPS)." in stderr
    assert "Ask the platform's administrator to record your RPPS number" in stderr


@pytest.mark.parametrize(
    ("account", "reason"),
    [(PSC_FAULTY_AUDIENCE, "'aud'"), (PSC_FAULTY_SIGNATURE, "bad_signature")],
    ids=["wrong-audience", "bad-signature"],
)
def test_an_id_token_that_fails_its_checks_is_refused(
    psc_platform: PscPlatform, chromium: Any, account: PscAccount, reason: str
) -> None:
    cli, link = start_login(psc_platform)
    sign_in_at_provider(chromium, link, account)
    assert outcome(chromium) == "psc_rejected"
    code, _, stderr = cli.finish()
    assert code == 3
    assert "The platform refused the answer of Pro Santé Connect." in stderr
    row = latest_login(psc_platform)
    assert row["status"] == "failed" and reason in row["failure_message"]
    assert row["user_id"] is None


def test_cancelling_at_the_provider_ends_the_wait_with_exit_3(
    psc_platform: PscPlatform, chromium: Any
) -> None:
    from selenium.webdriver.common.by import By

    cli, link = start_login(psc_platform)
    chromium.get(link)
    chromium.find_element(By.ID, "cancel").click()
    assert outcome(chromium) == "psc_denied"
    code, _, stderr = cli.finish()
    assert code == 3
    assert "The sign-in was cancelled or refused at Pro Santé Connect." in stderr
    assert "ortif login --psc" in stderr


def test_ctrl_c_while_waiting_exits_130(psc_platform: PscPlatform) -> None:
    cli, _link = start_login(psc_platform)
    cli.wait_for("Ctrl-C")
    cli.interrupt()
    code, _, _ = cli.finish()
    assert code == 130
