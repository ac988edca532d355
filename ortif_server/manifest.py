"""A dossier's manifest: every instance and document to download, with hashes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ortif_server import serialize
from ortif_server.models import Document, Dossier, Instance, Study
from ortif_server.schemas import Manifest, ManifestExam, ManifestInstance


def build(session: Session, dossier: Dossier) -> Manifest:
    studies: dict[str, Study] = {}
    documents: dict[int, Document] = {}
    for step in dossier.steps:
        studies.update((e.study_instance_uid, e.study) for e in step.exams)
        documents.update((d.document_id, d.document) for d in step.documents)
    return Manifest(
        exams=[_exam(session, study) for study in studies.values()],
        documents=[serialize.document(d) for d in documents.values()],
    )


def _exam(session: Session, study: Study) -> ManifestExam:
    rows = session.scalars(
        select(Instance)
        .where(Instance.study_instance_uid == study.study_instance_uid)
        .order_by(Instance.series_number, Instance.series_instance_uid, Instance.instance_number)
    )
    return ManifestExam(
        study_instance_uid=study.study_instance_uid,
        patient_name=study.patient_name,
        study_description=study.study_description,
        instances=[_instance(i) for i in rows],
    )


def _instance(row: Instance) -> ManifestInstance:
    return ManifestInstance(
        sop_instance_uid=row.sop_instance_uid,
        series_instance_uid=row.series_instance_uid,
        series_description=row.series_description,
        modality=row.modality,
        instance_number=row.instance_number,
        size=row.size_bytes,
        sha256=row.sha256,
    )
