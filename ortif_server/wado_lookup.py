"""The instances a WADO-RS request names, if the caller may see their study; audited."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server import audit
from ortif_server.caller import Caller
from ortif_server.config import ServerSettings
from ortif_server.errors import not_found
from ortif_server.models import Instance
from ortif_server.visibility import visible_study

Uids = tuple[str, "str | None", "str | None"]
"""(study, series or None, SOP instance or None)."""


def visible_instances(session: Session, caller: Caller, uids: Uids) -> list[Instance]:
    """The instances of the study, series or instance, in order; 404 if none is visible.

    Each retrieval is one audit event on the study, as the existing WADO-RS routes do.
    """
    study_uid, series_uid, sop_uid = uids
    visible_study(session, caller, study_uid)
    query = select(Instance).where(Instance.study_instance_uid == study_uid)
    if series_uid is not None:
        query = query.where(Instance.series_instance_uid == series_uid)
    if sop_uid is not None:
        query = query.where(Instance.sop_instance_uid == sop_uid)
    order = (Instance.series_number, Instance.instance_number, Instance.id)
    rows = list(session.scalars(query.order_by(*order)))
    if not rows:
        raise not_found(f"Instances of study {study_uid}")
    audit.record(session, caller, "retrieve", ("exam", study_uid), None)
    session.commit()
    return rows


def public_base_url(request: Request) -> str:
    """The platform's URL for the URLs we hand out (Retrieve URL, BulkDataURI): the
    `--public-url` of `serve` if set, else what the request was sent to. (dicomweb-client
    sends `Host` without the port, so the request alone can mislead.)"""
    settings: ServerSettings = request.app.state.settings
    return (settings.delivery.public_url or str(request.base_url)).rstrip("/")


def instance_path(base_url: str, row: Instance) -> str:
    return (
        f"{base_url}/dicomweb/studies/{row.study_instance_uid}/series/"
        f"{row.series_instance_uid}/instances/{row.sop_instance_uid}"
    )
