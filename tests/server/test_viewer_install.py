"""`ortif-server viewer install`: the pinned release only, unpacked safely, relocated."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ortif_server import viewer_bundle
from ortif_server.cli import app
from tests.viewer_setup import VIEWER_DATA

runner = CliRunner()
INDEX = (
    '<html><head><script>window.PUBLIC_URL="/"</script>'
    '<link rel="manifest" href="/manifest.json"><script src="/app-config.js"></script>'
    '<script rel="preload" as="script" type="module" src="/init-service-worker.js"></script>'
    '<script defer src="/app.bundle.abc.js"></script><a href="//example.org/">x</a></head></html>'
)
RUNTIME = '// webpack/runtime/public_path\n(() => {\n__webpack_require__.p = "/";\n})();\n'


def _release(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    """A tarball shaped like @ohif/app's (package/dist/...), plus `extra` members."""
    files = {
        "package/package.json": b"{}",
        "package/dist/index.html": INDEX.encode(),
        "package/dist/app.bundle.abc.js": RUNTIME.encode(),
        "package/dist/app-config.js": b"window.config = {aws: true};",
        "package/dist/manifest.json": b'{"icons": [{"src": "/assets/a.png"}]}',
        "package/dist/assets/a.png": b"png",
        "package/dist/app.bundle.css": b"@font-face{src:url(/f.woff2)}a{b:url('//cdn/x')}",
        **(extra or {}),
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        link = tarfile.TarInfo("package/dist/escape")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    return path


def _pin(monkeypatch: pytest.MonkeyPatch, tarball: Path) -> None:
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    monkeypatch.setattr(viewer_bundle, "INTEGRITY", "sha512-" + base64.b64encode(digest).decode())


def test_install_unpacks_dist_only_and_relocates_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = _release(tmp_path / "app.tgz", {"package/dist/../../outside.txt": b"no"})
    _pin(monkeypatch, tarball)
    data = tmp_path / "data"
    result = runner.invoke(app, ["viewer", "install", "--data", str(data), "--from", str(tarball)])
    assert result.exit_code == 0, result.output
    dist = data / "viewer" / "dist"
    html = (dist / "index.html").read_text()
    assert 'window.PUBLIC_URL="/viewer/"' in html
    assert 'src="/viewer/app.bundle.abc.js"' in html and 'href="/viewer/manifest.json"' in html
    assert 'href="//example.org/"' in html  # another site's address is left alone
    assert "init-service-worker" not in html
    assert '__webpack_require__.p = "/viewer/";' in (dist / "app.bundle.abc.js").read_text()
    assert "/viewer/assets/a.png" in (dist / "manifest.json").read_text()
    css = (dist / "app.bundle.css").read_text()
    assert "url(/viewer/f.woff2)" in css and "url('//cdn/x')" in css
    assert not (dist / "app-config.js").exists()  # the server writes its own
    assert not (dist / "escape").exists() and not (tmp_path / "outside.txt").exists()
    assert sorted(p.name for p in (data / "viewer").iterdir()) == ["dist", "ortif-viewer.json"]
    assert json.loads((data / "viewer" / "ortif-viewer.json").read_text())["version"] == "3.13.2"
    assert [p.name for p in data.iterdir()] == ["viewer"]  # no scratch left behind


def test_a_tarball_that_is_not_the_pinned_release_is_refused(tmp_path: Path) -> None:
    tarball = _release(tmp_path / "app.tgz")
    data = tmp_path / "data"
    result = runner.invoke(app, ["viewer", "install", "--data", str(data), "--from", str(tarball)])
    assert result.exit_code == 1
    assert "is not @ohif/app@3.13.2: its checksum is sha512-" in result.stderr
    assert viewer_bundle.installed(data) is None
    missing = runner.invoke(
        app, ["viewer", "install", "--data", str(data), "--from", str(tmp_path / "none.tgz")]
    )
    assert missing.exit_code == 1 and "cannot read" in missing.stderr


def test_without_npm_it_says_how_to_install_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(app, ["viewer", "install", "--data", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "npm is not installed" in result.stderr and "--from" in result.stderr


def test_installing_again_keeps_the_installed_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = _release(tmp_path / "app.tgz")
    _pin(monkeypatch, tarball)
    data = tmp_path / "data"
    viewer_bundle.install(data, tarball)
    again = runner.invoke(app, ["viewer", "install", "--data", str(data)])
    assert again.exit_code == 0
    assert "already installed" in again.stderr


def test_the_release_installed_for_the_tests_is_relocated() -> None:
    viewer = viewer_bundle.installed(VIEWER_DATA)
    if viewer is None:
        pytest.skip(f"the OHIF viewer is not installed in {VIEWER_DATA} (.ci/run installs it)")
    assert viewer.version == viewer_bundle.VERSION
    html = (viewer.dist / "index.html").read_text()
    assert 'src="/viewer/app.bundle.' in html and 'src="/app' not in html
    assert "init-service-worker" not in html
