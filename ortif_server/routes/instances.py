"""Which instances the server already holds, for resumable uploads."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from ortif_server.deps import CurrentCaller, SessionDep
from ortif_server.models import Instance
from ortif_server.schemas import InstancesLookup, InstancesPresent, PresentInstance
from ortif_server.visibility import visible_study_uids

router = APIRouter(prefix="/instances", tags=["instances"])


@router.post("/lookup")
def lookup_instances(
    body: InstancesLookup, caller: CurrentCaller, session: SessionDep
) -> InstancesPresent:
    """The instances held whose study the caller uploaded or may see through a dossier."""
    rows = session.execute(
        select(Instance.sop_instance_uid, Instance.sha256).where(
            Instance.sop_instance_uid.in_(body.sop_instance_uids),
            Instance.study_instance_uid.in_(visible_study_uids(caller)),
        )
    )
    present = [PresentInstance(sop_instance_uid=uid, sha256=sha) for uid, sha in rows]
    return InstancesPresent(present=present)
