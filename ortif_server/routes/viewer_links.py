"""One-time links that open the OHIF viewer on a dossier's studies (`ortif dossier view`)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ortif_server import viewer_bundle, viewer_links
from ortif_server.deps import CurrentCaller, IdPath, SessionDep, SettingsDep
from ortif_server.schemas import ViewerLinkPublic

router = APIRouter(prefix="/dossiers", tags=["dossiers"])


@router.post("/{dossier_id}/viewer-links", status_code=201)
def create_viewer_link(
    dossier_id: IdPath,
    request: Request,
    caller: CurrentCaller,
    session: SessionDep,
    settings: SettingsDep,
) -> ViewerLinkPublic:
    """A link valid for two minutes and one use; following it opens the viewer."""
    ready = viewer_bundle.installed(settings.data_dir) is not None
    link = viewer_links.create(session, caller, dossier_id, viewer_installed=ready)
    url = str(request.base_url).rstrip("/") + f"/viewer/open/{link.secret}"
    return ViewerLinkPublic(url=url, expires_at=link.expires_at, studies=link.study_instance_uids)
