"""What the guest's dossier page shows: the same content as `ortif dossier show`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ortif_server.config import ServerSettings
from ortif_server.invitation_messages import establishment_of
from ortif_server.models import Document, Dossier, Instance, Invitation, Step, Study, User
from ortif_server.web.pages import viewer_installed

GUEST_STEP_KINDS = ("answer", "info")


@dataclass(frozen=True)
class ExamRow:
    study: Study
    series: int
    step: Step


@dataclass(frozen=True)
class DocumentRow:
    document: Document
    step: Step


@dataclass
class StepForm:
    """What the guest typed in "Ajouter une étape", and what is wrong with it."""

    kind: str = "answer"
    comment: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)


def exams(session: Session, dossier: Dossier) -> list[ExamRow]:
    """Each exam once (the step that first carried it), with its series count."""
    first: dict[str, tuple[Study, Step]] = {}
    for step in dossier.steps:
        for exam in step.exams:
            first.setdefault(exam.study_instance_uid, (exam.study, step))
    counts = dict(
        session.execute(
            select(Instance.study_instance_uid, func.count(distinct(Instance.series_instance_uid)))
            .where(Instance.study_instance_uid.in_(first))
            .group_by(Instance.study_instance_uid)
        )
        .tuples()
        .all()
    )
    return [ExamRow(study, counts.get(uid, 0), step) for uid, (study, step) in first.items()]


def documents(dossier: Dossier) -> list[DocumentRow]:
    return [DocumentRow(d.document, step) for step in dossier.steps for d in step.documents]


def context(
    session: Session,
    settings: ServerSettings,
    dossier: Dossier,
    invitation: Invitation,
    form: StepForm | None = None,
) -> dict[str, Any]:
    """The dossier page's template context."""
    return {
        "dossier": dossier,
        "invitation": invitation,
        "inviter": session.get(User, invitation.inviter_id),
        "establishment": establishment_of(dossier),
        "exams": exams(session, dossier),
        "documents": documents(dossier),
        "viewer": viewer_installed(settings),
        "step_kinds": GUEST_STEP_KINDS,
        "form": form or StepForm(),
        "open": dossier.status == "sent",
    }
