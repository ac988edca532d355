"""`ortif-server audit`: a dossier's audit trail as text, JSON or FHIR R4 AuditEvents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ortif_server.models import AuditEvent, Step, StepDocument, StepExam

# FHIR AuditEvent.action: C create, R read, U update, E execute.
FHIR_ACTIONS = {
    "create": "C",
    "upload": "C",
    "store": "C",
    "invite": "C",
    "read": "R",
    "read_manifest": "R",
    "download": "R",
    "retrieve": "R",
    "search": "R",
}
SYSTEMS = {"dossier": "urn:ortif:dossier", "document": "urn:ortif:document"}


def events(session: Session, dossier_id: int) -> list[AuditEvent]:
    """Events on the dossier and on its exams and documents, oldest first."""
    steps = select(Step.id).where(Step.dossier_id == dossier_id)
    exams = select(StepExam.study_instance_uid).where(StepExam.step_id.in_(steps))
    documents = select(StepDocument.document_id).where(StepDocument.step_id.in_(steps))
    document_ids = [str(i) for i in session.scalars(documents)]
    query = select(AuditEvent).where(
        or_(
            AuditEvent.dossier_id == dossier_id,
            and_(AuditEvent.object_type == "exam", AuditEvent.object_id.in_(exams)),
            and_(AuditEvent.object_type == "document", AuditEvent.object_id.in_(document_ids)),
        )
    )
    return list(session.scalars(query.order_by(AuditEvent.id)))


def who(event: AuditEvent) -> str:
    if event.user is not None:
        return f"user:{event.user.username}"
    if event.invitation is not None:
        return f"guest:{event.invitation.id}"
    return "unknown"


def as_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "recorded_at": event.recorded_at.isoformat(timespec="seconds"),
        "who": who(event),
        "user_id": event.user_id,
        "guest_id": event.invitation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "dossier_id": event.dossier_id,
        "remote_address": event.remote_address,
        "authentication": event.authentication,
    }


def as_text(event: AuditEvent) -> str:
    row = as_dict(event)
    return (
        "\t".join(
            str(row[k] if row[k] is not None else "-")
            for k in ("recorded_at", "who", "action", "object_type", "object_id", "remote_address")
        )
        + f"\t{event.authentication}"
    )


def fhir_bundle(rows: list[AuditEvent]) -> dict[str, Any]:
    """A FHIR R4 `Bundle` (type collection) of `AuditEvent` resources."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": fhir_event(e)} for e in rows],
    }


def fhir_event(event: AuditEvent) -> dict[str, Any]:
    agent: dict[str, Any] = {
        "who": {"display": who(event)},
        "requestor": True,
        "network": {"address": event.remote_address or "unknown", "type": "2"},
        "policy": [f"urn:ortif:authentication:{event.authentication}"],
    }
    return {
        "resourceType": "AuditEvent",
        "id": str(event.id),
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation",
        },
        "subtype": [{"system": "urn:ortif:audit-action", "code": event.action}],
        "action": _fhir_action(event.action),
        "recorded": event.recorded_at.isoformat(timespec="seconds"),
        "outcome": "0",
        "agent": [agent],
        "source": {"observer": {"display": "ortif-server"}},
        "entity": [_entity(event)],
    }


def _fhir_action(action: str) -> str:
    return "C" if action.startswith("add_step") else FHIR_ACTIONS.get(action, "U")


def _entity(event: AuditEvent) -> dict[str, Any]:
    """The object, by identifier: a dossier or document id, or a study's DICOM UID."""
    if event.object_type == "exam":
        identifier = {"system": "urn:dicom:uid", "value": f"urn:oid:{event.object_id}"}
    else:
        system = SYSTEMS.get(event.object_type, f"urn:ortif:{event.object_type}")
        identifier = {"system": system, "value": event.object_id}
    return {"what": {"identifier": identifier}, "type": {"code": event.object_type}}
