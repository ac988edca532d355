"""The expert sees the dossier's images in OHIF, in a real headless Chromium.

The requester sends studies whose one image is half bright, half dark; the expert runs
`ortif dossier view --no-browser`, Chromium follows the link, and the test waits until
the viewport of the screenshot shows that pattern (uncompressed, JPEG Lossless, JPEG
Baseline). Then what must show nothing: the same link again, an expired link, another
dossier's study.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import EXPERT, REQUESTER, Ortif
from tests.viewer_setup import (
    ViewerPlatform,
    expire_link,
    halves,
    link_viewer,
    require_ohif,
    write_pattern_study,
)

pytestmark = pytest.mark.e2e
DRAWN_TIMEOUT = 180  # OHIF parses ~20 MB of JavaScript: slow on a loaded 2-core machine
BRIGHT_ENOUGH, DARK_ENOUGH = 150, 90


@pytest.fixture
def people(viewer_platform: ViewerPlatform) -> Ortif:
    require_ohif(viewer_platform)
    ortif = Ortif(viewer_platform.url)
    for account in (REQUESTER, EXPERT):
        ortif.login(account, account.username)
    return ortif


def ok(ortif: Ortif, username: str, *args: str) -> Any:
    result = ortif("--profile", username, "--json", *args)
    assert result.exit_code == 0, result.stderr
    return result.json()


def send_study(people: Ortif, folder: Path, pid: str) -> int:
    dossier = ok(
        people, REQUESTER.username, "dossier", "create",
        "--to", "CHU Lyon/Neuroradiologie/Martin",
        "--patient-name", "Lefèvre", "--patient-first-name", "Hélène",
        "--patient-id", pid, "--patient-birth-date", "14/02/1970", "--patient-sex", "F",
        "--exam-dir", str(folder), "--send",
    )  # fmt: skip
    dossier_id: int = dossier["id"]
    return dossier_id


def viewer_link(people: Ortif, dossier_id: int) -> dict[str, Any]:
    link: dict[str, Any] = ok(
        people, EXPERT.username, "dossier", "view", str(dossier_id), "--no-browser"
    )
    return link


def viewport_box(driver: Any) -> tuple[int, int, int, int] | None:
    """(left, top, width, height) of the first viewport's canvas, once it has a size."""
    from selenium.webdriver.common.by import By

    canvases = driver.find_elements(By.CSS_SELECTOR, "canvas.cornerstone-canvas")
    if not canvases:
        return None
    rect = canvases[0].rect
    left, top, width, height = (int(rect[k]) for k in ("x", "y", "width", "height"))
    return None if width < 64 or height < 64 else (left, top, width, height)


def viewport_halves(driver: Any) -> tuple[float, float] | None:
    """The mean grey of the image's two halves in the first viewport, once it is drawn."""
    box = viewport_box(driver)
    return None if box is None else halves(driver.get_screenshot_as_png(), box)


def wait_for_pattern(driver: Any, bright_left: bool, where: Path) -> tuple[float, float]:
    """Poll the screenshot until the viewport shows the study's halves (or time out)."""
    from selenium.common.exceptions import TimeoutException

    seen: list[tuple[float, float] | None] = [None]

    def drawn(driver: Any) -> bool:
        seen[0] = viewport_halves(driver)
        if seen[0] is None:
            return False
        left, right = seen[0] if bright_left else seen[0][::-1]
        return left > BRIGHT_ENOUGH and right < DARK_ENOUGH

    try:
        WebDriverWait(driver, DRAWN_TIMEOUT, poll_frequency=0.5).until(drawn)
    except TimeoutException:
        driver.save_screenshot(str(where / "viewer-timeout.png"))
        raise AssertionError(
            f"the viewport never showed the study (last halves {seen[0]}); "
            f"see {where / 'viewer-timeout.png'} and the browser log {browser_log(driver)}"
        ) from None
    assert seen[0] is not None
    return seen[0]


def browser_log(driver: Any) -> list[str]:
    with contextlib.suppress(Exception):
        return [entry["message"] for entry in driver.get_log("browser")][-10:]
    return []


def fetch_status(driver: Any, path: str) -> int:
    """The status of a same-origin GET from the page: what the viewer itself would get."""
    script = (
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status));"
    )
    status: int = driver.execute_async_script(script, path)
    return status


def test_the_expert_sees_the_images_in_the_viewer(
    people: Ortif, viewer_platform: ViewerPlatform, chromium: Any, tmp_path: Path
) -> None:
    """Uncompressed, JPEG Lossless and JPEG Baseline, one dossier each, one browser."""
    for jpeg in (None, "lossless", "baseline"):
        pid = f"PID-VIEW-{jpeg or 'native'}"
        study_uid = write_pattern_study(tmp_path / pid, pid, jpeg=jpeg)
        dossier_id = send_study(people, tmp_path / pid, pid)
        link = viewer_link(people, dossier_id)
        assert link["studies"] == [study_uid]
        chromium.get(link["url"])
        assert "/viewer/viewer?StudyInstanceUIDs=" in chromium.current_url
        left, right = wait_for_pattern(chromium, bright_left=True, where=tmp_path)
        assert left - right > 100, jpeg
    # every file the viewer asked for was where it looked (its paths relocated to /viewer/)
    log = (viewer_platform.server.data_dir / "server.log").read_text()
    assert re.findall(r'"GET /(?!dicomweb/)\S* HTTP/1.1" 404', log) == []


def test_what_the_browser_must_not_show(
    people: Ortif, viewer_platform: ViewerPlatform, chromium: Any, tmp_path: Path
) -> None:
    shown_uid = write_pattern_study(tmp_path / "shown", "PID-VIEW-A")
    hidden_uid = write_pattern_study(tmp_path / "hidden", "PID-VIEW-B", bright_left=False)
    dossier_id = send_study(people, tmp_path / "shown", "PID-VIEW-A")
    send_study(people, tmp_path / "hidden", "PID-VIEW-B")
    link = viewer_link(people, dossier_id)
    chromium.get(link["url"])
    wait_for_pattern(chromium, bright_left=True, where=tmp_path)
    # the cookie reads this dossier's study, never the other one (404: not even a hint)
    assert fetch_status(chromium, f"/dicomweb/studies/{shown_uid}/metadata") == 200
    for path in ("/metadata", "/series", ""):
        assert fetch_status(chromium, f"/dicomweb/studies/{hidden_uid}{path}") == 404
    # the link again: it was used, so a page saying so, and no new session
    chromium.delete_all_cookies()
    chromium.get(link["url"])
    assert "déjà été utilisé" in chromium.page_source
    assert chromium.get_cookies() == []
    assert fetch_status(chromium, f"/dicomweb/studies/{shown_uid}/metadata") == 401
    # an expired link: the same page, no session
    expired = viewer_link(people, dossier_id)
    database = f"sqlite:///{viewer_platform.server.data_dir / 'ortif.db'}"
    expire_link(database, expired["url"].rsplit("/", 1)[1])
    chromium.get(expired["url"])
    assert "déjà été utilisé ou il a expiré" in chromium.page_source
    assert chromium.get_cookies() == []


def test_the_demo_expert_sees_the_study_in_the_viewer(chromium: Any, tmp_path: Path) -> None:
    """`ortif demo --view`: while the platform is up, the expert's link shows the CT."""
    from ortif_cli.demo import run_demo

    if not link_viewer(tmp_path / "demo" / "platform"):
        pytest.skip("the OHIF viewer is not installed for the tests (.ci/run installs it)")
    said: list[str] = []

    def view(url: str) -> None:
        chromium.get(url)
        WebDriverWait(chromium, DRAWN_TIMEOUT, poll_frequency=0.5).until(something_drawn)

    result = run_demo(tmp_path / "demo", said.append, view=view)
    assert result.status == "closed"
    assert any(line.startswith("6b. pmartin opens the images in the viewer") for line in said)


def something_drawn(driver: Any) -> bool:
    """The first viewport shows an image: its pixels are not all alike."""
    from PIL import Image, ImageStat

    box = viewport_box(driver)
    if box is None:
        return False
    left, top, width, height = box
    screenshot = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("L")
    patch = screenshot.crop((left, top, left + width, top + height))
    return bool(ImageStat.Stat(patch).stddev[0] > 20)
