"""The invited guest in a real headless Chromium: link and code from the outbox, the dossier,
downloads (a document, a study zip with its DICOMDIR), an answer with a PDF, sign-out.

Then the requester sees the answer (`ortif dossier show`) and its notification.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from ortif_cli.dicom.sample import write_sample_study
from ortif_server.admin import admin_session
from ortif_server.config import ServerSettings
from ortif_server.models import Invitation
from tests.browser import (
    chromium,  # noqa: F401 (a fixture, used by `french`)
    click_to_next_page,
)
from tests.conftest import REQUESTER, Ortif
from tests.e2e.conftest import FlowPlatform
from tests.server.guest_pages_helpers import dicomdir_instances

pytestmark = pytest.mark.e2e
DOWNLOAD_TIMEOUT = 60.0
PAGE_TIMEOUT = 30.0


@pytest.fixture
def french(chromium: Any) -> Any:  # noqa: F811 (the fixture imported above)
    """Chromium asking for French pages, as a French guest's browser does."""
    agent = chromium.execute_script("return navigator.userAgent")
    override = {"userAgent": agent, "acceptLanguage": "fr-FR,fr;q=0.9"}
    chromium.execute_cdp_cmd("Emulation.setUserAgentOverride", override)
    return chromium


def ok(ortif: Ortif, *args: str) -> Any:
    result = ortif("--profile", REQUESTER.username, "--json", *args)
    assert result.exit_code == 0, result.stderr
    return result.json()


def sent_dossier(ortif: Ortif, tmp_path: Path, pid: str) -> tuple[dict[str, Any], Path]:
    """A sent dossier of the requester: a CT of 2 series x 3 images and a PDF report."""
    write_sample_study(tmp_path / pid, patient_name="LEFÈVRE^Hélène", patient_id=pid)
    report = tmp_path / "compte-rendu.pdf"
    report.write_bytes(b"%PDF-1.4 compte rendu de " + pid.encode())
    dossier = ok(
        ortif, "dossier", "create", "--to", "CHU Lyon/Neuroradiologie/Martin",
        "--patient-name", "Lefèvre", "--patient-first-name", "Hélène", "--patient-id", pid,
        "--patient-birth-date", "14/02/1970", "--comment", "Avis sur scanner, merci.",
        "--exam-dir", str(tmp_path / pid), "--attach", str(report), "--send",
    )  # fmt: skip
    return dossier, report


def invite(ortif: Ortif, platform: FlowPlatform, dossier_id: int, email: str) -> tuple[str, str]:
    ok(
        ortif, "invite", str(dossier_id), "--last-name", "Noël", "--first-name", "Chloé",
        "--email", email, "--yes",
    )  # fmt: skip
    return platform.outbox.guest_access(email, None)


def wait_for_download(folder: Path, suffix: str) -> Path:
    """The finished download ending in `suffix` (Chromium writes .crdownload first)."""
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} download in {folder}: {list(folder.iterdir())}")


def submit(driver: Any, button_selector: str) -> None:
    """Click a form's button and wait for the page it leads to."""
    from selenium.webdriver.common.by import By

    click_to_next_page(driver, driver.find_element(By.CSS_SELECTOR, button_selector), PAGE_TIMEOUT)


def sign_in(driver: Any, link: str, code: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(link)
    field = driver.find_element(By.ID, "code")
    field.clear()
    field.send_keys(code)
    submit(driver, "form button[type=submit]")


def test_the_guest_reads_downloads_answers_and_signs_out(
    flows: Ortif, flow_platform: FlowPlatform, french: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = french
    dossier, report = sent_dossier(flows, tmp_path, "PID-WEB")
    other, _ = sent_dossier(flows, tmp_path / "other", "PID-WEB2")
    link, code = invite(flows, flow_platform, dossier["id"], "chloe.noel@cabinet.example")
    ok(flows, "notifications", "--unread", "--read-all")

    sign_in(driver, link, "WRONG000")
    assert "Code d'accès erroné." in driver.find_element(By.CLASS_NAME, "error-summary").text
    sign_in(driver, link, code)
    heading = driver.find_element(By.TAG_NAME, "h1").text
    assert heading.startswith(f"Télédossier n° {dossier['id']}")
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "Avis sur scanner, merci." in page and "LEFÈVRE Hélène" in page
    assert "Marie DURAND" in page and "compte-rendu.pdf" in page

    downloads = tmp_path / "downloads"
    driver.find_element(By.CSS_SELECTOR, "#documents-title + table a.button").click()
    assert wait_for_download(downloads, ".pdf").read_bytes() == report.read_bytes()
    driver.find_element(By.CSS_SELECTOR, "#exams-title + table a[href$='/zip']").click()
    study_zip = wait_for_download(downloads, ".zip")
    assert study_zip.name == "LEFEVRE_Helene_2026-11-20.zip"
    check_study_zip(flows, dossier["id"], study_zip, tmp_path)

    session_cookie = driver.get_cookie("ortif_session")
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Lax"
    replayed = httpx.Client(
        base_url=flow_platform.url, cookies={"ortif_session": session_cookie["value"]}
    )
    with replayed:
        other_study = other["steps"][0]["exams"][0]["study_instance_uid"]
        guest_page = link.removeprefix(flow_platform.url)
        assert replayed.get(f"/dicomweb/studies/{other_study}/series").status_code == 404
        assert replayed.get(f"{guest_page}/studies/{other_study}/zip").status_code == 404

    answer_pdf = tmp_path / "avis-chloe-noel.pdf"
    answer_pdf.write_bytes(b"%PDF-1.4 avis de l'invitee")
    driver.find_element(By.ID, "kind-answer").click()
    driver.find_element(By.ID, "comment").send_keys("Pas de lésion évolutive. Chloé Noël.")
    driver.find_element(By.ID, "files").send_keys(str(answer_pdf))
    submit(driver, "#add-step form button[type=submit]")
    last_step = driver.find_elements(By.CSS_SELECTOR, ".timeline > li")[-1].text
    assert "Réponse" in last_step and "Pas de lésion évolutive." in last_step
    assert "avis-chloe-noel.pdf" in last_step and "NOËL (invité)" in last_step

    submit(driver, ".signout button")
    assert "Vous êtes déconnecté." in driver.find_element(By.TAG_NAME, "main").text
    driver.get(link)
    assert driver.find_elements(By.ID, "code")  # the code again, not the dossier

    shown = flows("--profile", REQUESTER.username, "dossier", "show", str(dossier["id"]))
    assert "Pas de lésion évolutive. Chloé Noël." in shown.stdout
    assert "avis-chloe-noel.pdf" in shown.stdout
    news = ok(flows, "notifications", "--unread")["items"]
    by_guest = [n for n in news if n["kind"] == "step_added"]
    assert [(n["step_kind"], n["guest_actor"]["last_name"]) for n in by_guest] == [
        ("answer", "Noël")
    ]


def check_study_zip(flows: Ortif, dossier_id: int, study_zip: Path, tmp_path: Path) -> None:
    """Every instance the platform stores, byte for byte, each found through the DICOMDIR."""
    pulled = ok(flows, "dossier", "pull", str(dossier_id), "--out", str(tmp_path / "pulled"))
    stored = {hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in pulled["instances"]}
    with zipfile.ZipFile(study_zip) as archive:
        archive.extractall(tmp_path / "cd")
        assert len(archive.namelist()) == len(stored) + 1
    instances = dicomdir_instances(tmp_path / "cd" / "DICOMDIR")
    found = {hashlib.sha256(path.read_bytes()).hexdigest() for path, _ in instances}
    assert len(stored) == 6 and found == stored
    assert {patient_id for _, patient_id in instances} == {"PID-WEB"}


def test_lockout_and_ended_access_in_the_browser(
    flows: Ortif, flow_platform: FlowPlatform, french: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = french
    dossier, _ = sent_dossier(flows, tmp_path, "PID-LOCK")
    link, code = invite(flows, flow_platform, dossier["id"], "lock@cabinet.example")
    for _ in range(5):
        sign_in(driver, link, "WRONG000")
    summary = driver.find_element(By.CLASS_NAME, "error-summary").text
    assert "Trop de codes erronés : l'accès est bloqué jusqu'au" in summary
    sign_in(driver, link, code)
    assert "bloqué" in driver.find_element(By.CLASS_NAME, "error-summary").text

    settings = ServerSettings(flow_platform.server.data_dir)
    with admin_session(settings) as session:
        row = session.query(Invitation).filter_by(email="lock@cabinet.example").one()
        row.expires_at = row.created_at.replace(year=2026, month=2, day=26)
        session.commit()
    driver.get(link)
    ended = driver.find_element(By.TAG_NAME, "main").text
    assert "Votre accès à ce télédossier a pris fin le 26/02/2026" in ended


def test_a_form_without_its_csrf_token_is_refused(
    flows: Ortif, flow_platform: FlowPlatform, french: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = french
    dossier, _ = sent_dossier(flows, tmp_path, "PID-CSRF")
    link, code = invite(flows, flow_platform, dossier["id"], "csrf@cabinet.example")
    sign_in(driver, link, code)
    driver.execute_script("document.querySelector('#add-step input[name=csrf_token]').remove()")
    driver.find_element(By.ID, "comment").send_keys("Sans jeton.")
    submit(driver, "#add-step form button[type=submit]")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Formulaire expiré"
    steps = ok(flows, "dossier", "show", str(dossier["id"]))["steps"]
    assert [s["kind"] for s in steps] == ["request"]
