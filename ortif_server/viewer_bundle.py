"""The OHIF viewer bundle: the prebuilt `dist/` of the npm package `@ohif/app`, pinned.

`install` takes the package's tarball (from `npm pack`, or a file downloaded beforehand),
checks it against the pinned npm integrity (SHA-512), unpacks its `dist/` under the data
directory and relocates it to `/viewer/`: the release is built for the root of a site
(`PUBLIC_URL` "/"), so the absolute paths of `index.html`, `manifest.json`, the style
sheets and the webpack runtimes are rewritten. Its service worker (which loads code from
a CDN) is not registered. Nothing of it is committed; `serve` serves `DATA/viewer/dist`
when present.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "@ohif/app"
VERSION = "3.13.2"
INTEGRITY = (  # npm view @ohif/app@3.13.2 dist.integrity
    "sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4f"
    "jEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA=="
)
BASE = "/viewer/"
MARKER = "ortif-viewer.json"
_DIST = "package/dist/"
_SERVICE_WORKER = re.compile(r'<script[^>]*src="/init-service-worker\.js"[^>]*></script>')
_PUBLIC_PATH = '__webpack_require__.p = "/";'


class ViewerInstallError(Exception):
    """The viewer could not be installed; the message says why and what to do."""


@dataclass(frozen=True)
class InstalledViewer:
    version: str
    dist: Path


def viewer_dir(data_dir: Path) -> Path:
    return data_dir / "viewer"


def installed(data_dir: Path) -> InstalledViewer | None:
    """The viewer installed under `data_dir`, if any (a complete installation only)."""
    root = viewer_dir(data_dir)
    try:
        marker = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return None
    dist = root / "dist"
    if not (dist / "index.html").is_file():
        return None
    return InstalledViewer(str(marker.get("version", "?")), dist)


def install(data_dir: Path, tarball: Path | None = None) -> InstalledViewer:
    """Install the pinned viewer under `data_dir` from `tarball`, or from npm if None."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="viewer-", dir=data_dir) as scratch:
        work = Path(scratch)
        source = tarball if tarball is not None else _npm_pack(work)
        check_integrity(source)
        staged = work / "viewer"
        _unpack_dist(source, staged / "dist")
        relocate(staged / "dist")
        marker = {"package": PACKAGE, "version": VERSION, "integrity": INTEGRITY}
        (staged / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        _replace(staged, viewer_dir(data_dir), work / "old")
    found = installed(data_dir)
    assert found is not None
    return found


def check_integrity(tarball: Path) -> None:
    """Refuse a tarball whose SHA-512 is not the pinned one (npm's `dist.integrity`)."""
    digest = hashlib.sha512()
    try:
        with tarball.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise ViewerInstallError(f"cannot read {tarball}: {exc.strerror}") from None
    found = "sha512-" + base64.b64encode(digest.digest()).decode()
    if found != INTEGRITY:
        raise ViewerInstallError(
            f"{tarball} is not {PACKAGE}@{VERSION}: its checksum is {found}, expected {INTEGRITY}"
        )


def _npm_pack(work: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise ViewerInstallError(
            f"npm is not installed; install it, or download {PACKAGE}@{VERSION}'s tarball "
            "and give it with --from"
        )
    command = [npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(work), "--silent"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise ViewerInstallError(f"npm pack {PACKAGE}@{VERSION} failed: {detail[0]}")
    return work / done.stdout.strip().splitlines()[-1]


def _unpack_dist(tarball: Path, target: Path) -> None:
    """Extract the regular files under `package/dist/` only, never outside `target`."""
    count = 0
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            relative = _dist_path(member)
            if relative is None:
                continue
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            with source, path.open("wb") as out:
                shutil.copyfileobj(source, out)
            count += 1
    if not (target / "index.html").is_file():
        raise ViewerInstallError(f"{tarball} holds no {_DIST}index.html ({count} files)")


def _dist_path(member: tarfile.TarInfo) -> str | None:
    if not member.isfile() or not member.name.startswith(_DIST):
        return None
    relative = member.name[len(_DIST) :]
    parts = relative.split("/")
    if not relative or relative.startswith("/") or ".." in parts or "" in parts:
        return None
    return relative


def relocate(dist: Path) -> None:
    """Rewrite the root-relative paths of a release built for "/" to `BASE`: in
    `index.html`, `manifest.json`, the style sheets and the webpack runtimes."""
    (dist / "app-config.js").unlink(missing_ok=True)  # the server writes its own
    html = _relocate_index(dist / "index.html")
    manifest = dist / "manifest.json"
    if manifest.is_file():
        manifest.write_text(manifest.read_text().replace('"/assets/', f'"{BASE}assets/'))
    for sheet in dist.glob("*.css"):
        css = sheet.read_text(encoding="utf-8")
        sheet.write_text(re.sub(r"""url\((["']?)/(?!/)""", rf"url(\1{BASE}", css), encoding="utf-8")
    if BASE not in html or _relocate_runtimes(dist) == 0:
        raise ViewerInstallError("this release's public path could not be relocated")


def _relocate_index(index: Path) -> str:
    html = _SERVICE_WORKER.sub("", index.read_text())
    html = html.replace('window.PUBLIC_URL="/"', f'window.PUBLIC_URL="{BASE}"')
    html = re.sub(r'(href|src)="/(?!/)', rf'\1="{BASE}', html)
    index.write_text(html)
    return html


def _relocate_runtimes(dist: Path) -> int:
    """Point the webpack runtimes' public path at `BASE`; how many there were."""
    runtimes = 0
    for script in dist.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        if _PUBLIC_PATH in text:
            script.write_text(text.replace(_PUBLIC_PATH, f'__webpack_require__.p = "{BASE}";'))
            runtimes += 1
    return runtimes


def _replace(staged: Path, target: Path, old: Path) -> None:
    """Put `staged` in place of `target` (a rename each; the previous one is removed)."""
    if target.exists():
        target.rename(old)
    staged.rename(target)
    shutil.rmtree(old, ignore_errors=True)
