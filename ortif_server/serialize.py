"""ORM rows -> Public schemas."""

from __future__ import annotations

from ortif_server import models, schemas


def user_ref(user: models.User) -> schemas.UserRef:
    return schemas.UserRef(
        id=user.id, username=user.username, last_name=user.last_name, first_name=user.first_name
    )


def community(row: models.Community) -> schemas.CommunityPublic:
    establishment = schemas.EstablishmentRef(id=row.establishment.id, name=row.establishment.name)
    return schemas.CommunityPublic(id=row.id, name=row.name, establishment=establishment)


def professional(user: models.User) -> schemas.Professional:
    communities = [community(c) for c in user.communities]
    return schemas.Professional(**user_ref(user).model_dump(), communities=communities)


def correspondent(row: models.Correspondent) -> schemas.CorrespondentPublic:
    if row.user is not None:
        label = f"{row.user.last_name.upper()} {row.user.first_name}"
        return schemas.CorrespondentPublic(kind="user", id=row.user.id, label=label)
    assert row.community is not None
    label = f"{row.community.establishment.name}/{row.community.name}"
    return schemas.CorrespondentPublic(kind="community", id=row.community.id, label=label)


def exam(row: models.StepExam) -> schemas.ExamPublic:
    study = row.study
    return schemas.ExamPublic(
        study_instance_uid=study.study_instance_uid,
        patient_name=study.patient_name,
        patient_id=study.patient_id,
        patient_birth_date=study.patient_birth_date,
        study_date=study.study_date,
        study_description=study.study_description,
        modalities=sorted(m for m in study.modalities.split("\\") if m),
        instance_count=study.instance_count,
        size_bytes=study.size_bytes,
        added_at=row.added_at,
    )


def step(row: models.Step) -> schemas.StepPublic:
    return schemas.StepPublic(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        author=user_ref(row.author),
        created_at=row.created_at,
        comment=row.comment,
        exams=[exam(e) for e in row.exams],
    )


def _dossier_fields(row: models.Dossier) -> dict[str, object]:
    patient = schemas.Patient(
        last_name=row.patient_last_name,
        first_name=row.patient_first_name,
        identifier=row.patient_identifier,
        birth_date=row.patient_birth_date,
        sex=row.patient_sex,  # type: ignore[arg-type]
    )
    return {
        "id": row.id,
        "type": row.type,
        "status": row.status,
        "visibility": row.visibility,
        "community": community(row.community) if row.community else None,
        "owner": user_ref(row.owner),
        "correspondents": [correspondent(c) for c in row.correspondents],
        "patient": patient,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
        "closed_at": row.closed_at,
    }


def dossier(row: models.Dossier) -> schemas.DossierPublic:
    return schemas.DossierPublic.model_validate(
        {**_dossier_fields(row), "steps": [step(s) for s in row.steps]}
    )


def dossier_summary(row: models.Dossier) -> schemas.DossierSummary:
    exam_count = sum(len(s.exams) for s in row.steps)
    return schemas.DossierSummary.model_validate({**_dossier_fields(row), "exam_count": exam_count})


def notification(row: models.Notification) -> schemas.NotificationPublic:
    return schemas.NotificationPublic(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        dossier_id=row.dossier_id,
        actor=user_ref(row.actor),
        created_at=row.created_at,
        read=row.read_at is not None,
    )
