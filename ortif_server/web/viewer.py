"""The OHIF viewer at `/viewer/`: its files, its configuration, and the one-time links.

`/viewer/open/{link}` uses up a link of `ortif dossier view`, sets the browser session
cookie (HttpOnly, SameSite=Strict, Secure under HTTPS) and redirects to the viewer on
the dossier's studies. The viewer reads the platform's own `/dicomweb` (same origin), where
the cookie lets it see that dossier's studies and nothing else.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ortif_server import browser_sessions, viewer_bundle, viewer_links
from ortif_server.deps import SessionDep, SettingsDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/viewer", include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}

APP_CONFIG = """\
/* Written by the ortif platform: OHIF reads the platform's own DICOMweb (same origin). */
window.config = {
  routerBasename: '/viewer',
  extensions: [],
  modes: [],
  customizationService: {},
  showStudyList: true,
  maxNumberOfWebWorkers: 3,
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: true,
  showLoadingIndicator: true,
  strictZSpacingForVolumeViewport: true,
  defaultDataSourceName: 'ortif',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'ortif',
      configuration: {
        friendlyName: 'ortif',
        name: 'ortif',
        qidoRoot: window.location.origin + '/dicomweb',
        wadoRoot: window.location.origin + '/dicomweb',
        wadoUriRoot: window.location.origin + '/dicomweb',
        qidoSupportsIncludeField: true,
        supportsReject: false,
        supportsFuzzyMatching: true,
        supportsWildcard: true,
        imageRendering: 'wadors',
        thumbnailRendering: 'thumbnail',
        enableStudyLazyLoad: true,
        staticWado: false,
        singlepart: 'bulkdata,video',
        bulkDataURI: { enabled: true },
        omitQuotationForMultipartRequest: true,
      },
    },
  ],
};
"""

_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p></main></body></html>
"""


def _page(status: int, title: str, text: str) -> HTMLResponse:
    body = _PAGE.format(title=html.escape(title), text=html.escape(text))
    return HTMLResponse(body, status_code=status, headers=NO_STORE)


NOT_INSTALLED = (
    "Le visualiseur d'images n'est pas installé sur cette plateforme. "
    "Son administrateur l'installe avec « ortif-server viewer install »."
)
LINK_INVALID = (
    "Ce lien ne peut plus servir : il a déjà été utilisé ou il a expiré. "
    "Demandez-en un nouveau avec « ortif dossier view »."
)


@router.get("/app-config.js")
def app_config() -> Response:
    return Response(APP_CONFIG, media_type="text/javascript", headers=NO_STORE)


@router.get("/open/{secret}")
def open_link(secret: str, request: Request, session: SessionDep) -> Response:
    """Use up a viewer link: set the session cookie and go to the dossier's studies."""
    remote = request.client.host if request.client else None
    opened = viewer_links.follow(session, secret, remote)
    if opened is None:
        return _page(404, "Lien expiré", LINK_INVALID)
    uids = quote(",".join(opened.study_instance_uids), safe=",")
    response = RedirectResponse(f"/viewer/viewer?StudyInstanceUIDs={uids}", status_code=303)
    browser_sessions.set_cookie(response, request, opened.secret, opened.expires_at, "strict")
    response.headers.update(NO_STORE)
    return response


@router.get("", include_in_schema=False)
def viewer_root() -> RedirectResponse:
    return RedirectResponse("/viewer/", status_code=308)


@router.get("/{path:path}")
def viewer_file(path: str, settings: SettingsDep) -> Response:
    """A file of the viewer; any other path is one of its pages (index.html)."""
    viewer = viewer_bundle.installed(settings.data_dir)
    if viewer is None:
        return _page(404, "Visualiseur non installé", NOT_INSTALLED)
    found = _file_in(viewer.dist, path)
    if found is not None:
        return FileResponse(found)
    if "." in path.rsplit("/", 1)[-1]:
        return _page(404, "Introuvable", "Ce fichier n'existe pas.")
    return FileResponse(viewer.dist / "index.html", headers={"Cache-Control": "no-cache"})


def _file_in(root: Path, path: str) -> Path | None:
    """`root/path` if it is a file inside `root` (no way out through `..` or links)."""
    base = root.resolve()
    candidate = (base / path).resolve()
    if candidate.is_relative_to(base) and candidate.is_file():
        return candidate
    return None


def log_viewer_state(data_dir: Path) -> None:
    """Say at start whether the viewer is served, and how to install it when not."""
    viewer = viewer_bundle.installed(data_dir)
    if viewer is None:
        log.warning(
            "The OHIF viewer is not installed: /viewer/ answers 404 and `ortif dossier view` "
            "is refused. Install it with `ortif-server viewer install --data %s`.",
            data_dir,
        )
    else:
        log.info("Serving the OHIF viewer %s at /viewer/", viewer.version)
