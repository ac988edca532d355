"""A real headless Chromium driven by Selenium (Debian `chromium` + `chromium-driver`).

Use the `chromium` fixture: a fresh browser (empty profile) per test. Chromium's
background network traffic is switched off: this machine has no network beyond loopback.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[object]:
    """A Selenium WebDriver on headless Chromium, downloads going to `tmp_path/downloads`."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def click_to_next_page(driver: Any, element: Any, timeout: float) -> None:
    """Click `element` and wait until the page it leads to has loaded.

    The current document is marked first; the wait ends on a loaded document without the
    mark. Waiting for the clicked element to go stale is not enough: while Chromium swaps
    documents, ChromeDriver may answer "Node with given id does not belong to the
    document" instead of a stale-element error, so every WebDriver error counts as "not yet".
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.wait import WebDriverWait

    driver.execute_script("window.ortifPreviousPage = true")
    element.click()
    WebDriverWait(driver, timeout, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return !window.ortifPreviousPage && document.readyState === 'complete'"
        )
    )
