"""Viewer links: one use, two minutes, a cookie that reads one dossier's images only.

A platform of its own (module-wide) serves a viewer installation whose `index.html` is
a plain page: what is tested here is the platform's side (links, cookie, files, pages),
not OHIF (tests/e2e/test_viewer_browser.py drives the real one in Chromium).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ortif_server.browser_sessions import COOKIE_NAME
from ortif_server.cli import app as server_cli
from tests.server.conftest import Server
from tests.server.dossier_helpers import create_dossier, upload_study
from tests.server.server_process import ServerProcess
from tests.viewer_setup import INDEX, expire_link, install_plain_viewer


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("viewer") / "data"
    process = ServerProcess.seeded(data_dir, database_url)
    install_plain_viewer(data_dir)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _client(platform: ServerProcess, username: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {platform.token(username)}"}
    return httpx.Client(base_url=platform.url, headers=headers, timeout=10)


def _dossier_of_bob(alice: httpx.Client, bob_id: int) -> tuple[int, str]:
    study_uid = upload_study(alice)
    dossier = create_dossier(alice, [{"kind": "user", "id": bob_id}])
    path = f"/api/v1/dossiers/{dossier['id']}/exams"
    alice.post(path, json={"study_instance_uids": [study_uid]}).raise_for_status()
    return dossier["id"], study_uid


def _bob(platform: ServerProcess) -> int:
    with _client(platform, "bob") as bob:
        return _user_id(bob)


def _user_id(client: httpx.Client) -> int:
    user_id: int = client.get("/api/v1/me").json()["id"]
    return user_id


def _link(client: httpx.Client, dossier_id: int) -> dict[str, Any]:
    answer = client.post(f"/api/v1/dossiers/{dossier_id}/viewer-links")
    assert answer.status_code == 201, answer.text
    link: dict[str, Any] = answer.json()
    return link


def test_following_a_link_opens_the_viewer_on_the_dossier(platform: ServerProcess) -> None:
    with _client(platform, "alice") as alice, _client(platform, "bob") as bob:
        dossier_id, study_uid = _dossier_of_bob(alice, _user_id(bob))
        link = _link(bob, dossier_id)
    assert link["studies"] == [study_uid]
    assert link["url"].startswith(f"{platform.url}/viewer/open/")
    with httpx.Client(timeout=10) as browser:
        opened = browser.get(link["url"])
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/viewer/viewer?StudyInstanceUIDs={study_uid}"
        cookie = opened.headers["set-cookie"]
        assert f"{COOKIE_NAME}=" in cookie
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert "Max-Age=43200" in cookie or "Max-Age=43199" in cookie
        assert "Secure" not in cookie  # plain HTTP on loopback; Secure under HTTPS
        found = browser.get(f"{platform.url}/dicomweb/studies").json()
        assert [s["0020000D"]["Value"][0] for s in found] == [study_uid]
        page = browser.get(f"{platform.url}/viewer/viewer?StudyInstanceUIDs={study_uid}")
        assert page.status_code == 200 and page.text == INDEX


def test_a_link_is_used_once(platform: ServerProcess) -> None:
    with _client(platform, "alice") as alice:
        dossier_id, _ = _dossier_of_bob(alice, _bob(platform))
        link = _link(alice, dossier_id)
    with httpx.Client(timeout=10) as first, httpx.Client(timeout=10) as second:
        assert first.get(link["url"]).status_code == 303
        again = second.get(link["url"])
        assert again.status_code == 404 and "déjà été utilisé" in again.text
        assert COOKIE_NAME not in again.cookies
        assert second.get(f"{platform.url}/dicomweb/studies").status_code == 401


def test_an_expired_link_shows_nothing(platform: ServerProcess) -> None:
    with _client(platform, "alice") as alice:
        dossier_id, _ = _dossier_of_bob(alice, _bob(platform))
        link = _link(alice, dossier_id)
    secret = link["url"].rsplit("/", 1)[1]
    expire_link(platform.settings.effective_database_url, secret)
    with httpx.Client(timeout=10) as browser:
        answer = browser.get(link["url"])
        assert answer.status_code == 404
        assert "set-cookie" not in answer.headers


def test_the_cookie_reads_its_dossier_only(platform: ServerProcess) -> None:
    with _client(platform, "alice") as alice:
        bob = _bob(platform)
        dossier_id, study_uid = _dossier_of_bob(alice, bob)
        _, other_study = _dossier_of_bob(alice, bob)
        link = _link(alice, dossier_id)
    with httpx.Client(base_url=platform.url, timeout=10) as browser:
        browser.get(link["url"])
        assert browser.get(f"/dicomweb/studies/{study_uid}/series").status_code == 200
        assert browser.get(f"/dicomweb/studies/{other_study}/series").status_code == 404
        assert browser.get(f"/dicomweb/studies/{other_study}").status_code == 404
        assert browser.get("/api/v1/me").status_code == 401


def test_logout_ends_the_browser_sessions(platform: ServerProcess) -> None:
    with _client(platform, "carol") as carol, _client(platform, "alice") as alice:
        dossier_id, study_uid = _dossier_of_bob(alice, _user_id(carol))
        link = _link(carol, dossier_id)
        unused = _link(carol, dossier_id)
        with httpx.Client(base_url=platform.url, timeout=10) as browser:
            browser.get(link["url"])
            assert browser.get(f"/dicomweb/studies/{study_uid}/series").status_code == 200
            assert carol.delete("/api/v1/session").status_code == 204
            assert browser.get(f"/dicomweb/studies/{study_uid}/series").status_code == 401
            assert browser.get(unused["url"]).status_code == 404


def test_refusals(platform: ServerProcess) -> None:
    with _client(platform, "alice") as alice, _client(platform, "eve") as eve:
        bob = _bob(platform)
        dossier_id, _ = _dossier_of_bob(alice, bob)
        empty = create_dossier(alice, [{"kind": "user", "id": bob}])
        hidden = eve.post(f"/api/v1/dossiers/{dossier_id}/viewer-links")
        assert hidden.status_code == 404
        no_exam = alice.post(f"/api/v1/dossiers/{empty['id']}/viewer-links")
        assert no_exam.status_code == 409 and no_exam.json()["error"]["code"] == "no_exams"
    with httpx.Client(base_url=platform.url, timeout=10) as anonymous:
        assert anonymous.post(f"/api/v1/dossiers/{dossier_id}/viewer-links").status_code == 401
        assert anonymous.get("/viewer/open/not-a-link").status_code == 404


def test_every_view_is_audited(platform: ServerProcess) -> None:
    with _client(platform, "alice") as alice, _client(platform, "bob") as bob:
        dossier_id, _ = _dossier_of_bob(alice, _user_id(bob))
        link = _link(bob, dossier_id)
    with httpx.Client(timeout=10) as browser:
        browser.get(link["url"])
    command = ["audit", "--data", str(platform.settings.data_dir), "--dossier", str(dossier_id)]
    if platform.settings.database_url:
        command += ["--database", platform.settings.database_url]
    result = CliRunner().invoke(server_cli, [*command, "--json"])
    assert result.exit_code == 0, result.output
    seen = [(e["who"], e["action"], e["authentication"]) for e in json.loads(result.stdout)]
    assert ("user:bob", "view_link", "password") in seen
    assert ("user:bob", "view", "link") in seen


def test_viewer_files_and_pages(platform: ServerProcess) -> None:
    with httpx.Client(base_url=platform.url, timeout=10) as browser:
        assert browser.get("/viewer").headers["location"] == "/viewer/"
        assert browser.get("/viewer/").text == INDEX
        assert browser.get("/viewer/app.bundle.js").text == "console.log('viewer');"
        config = browser.get("/viewer/app-config.js")
        assert config.headers["content-type"].startswith("text/javascript")
        assert "routerBasename: '/viewer'" in config.text
        assert "qidoRoot: window.location.origin + '/dicomweb'" in config.text
        assert browser.get("/viewer/missing.js").status_code == 404
        assert browser.get("/viewer/..%2F..%2Fortif.db").status_code == 404
        assert browser.get("/viewer/%2E%2E/ortif-viewer.json").status_code in (200, 404)
        assert "version" not in browser.get("/viewer/%2E%2E/ortif-viewer.json").text


def test_without_the_viewer_the_platform_says_how_to_install_it(
    server: Server, signed_in: Any
) -> None:
    alice = signed_in("alice")
    dossier_id, _ = _dossier_of_bob(alice, server.users["bob"])
    refused = alice.post(f"/api/v1/dossiers/{dossier_id}/viewer-links")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "viewer_not_installed"
    page = httpx.get(f"{server.url}/viewer/viewer?StudyInstanceUIDs=1.2.3", timeout=10)
    assert page.status_code == 404 and "ortif-server viewer install" in page.text
    log = (server.data_dir.parent / "server.log").read_text()
    assert "The OHIF viewer is not installed" in log
