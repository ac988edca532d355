"""ORM rows -> Public schemas."""

from __future__ import annotations

from ortif_server import models, schemas
from ortif_server.auth_schemas import PersonalToken, TokenInfo
from ortif_server.invitation_schemas import InvitationPublic


def user_ref(user: models.User) -> schemas.UserRef:
    return schemas.UserRef(
        id=user.id, username=user.username, last_name=user.last_name, first_name=user.first_name
    )


def establishment(row: models.Establishment) -> schemas.EstablishmentRef:
    return schemas.EstablishmentRef(id=row.id, name=row.name)


def community(row: models.Community) -> schemas.CommunityPublic:
    parent = establishment(row.establishment)
    return schemas.CommunityPublic(id=row.id, name=row.name, establishment=parent)


def professional(user: models.User) -> schemas.Professional:
    return schemas.Professional(
        **user_ref(user).model_dump(),
        profession=user.profession,
        rpps=user.rpps,
        enrs_login=user.enrs_login,
        email=user.email,
        phone=user.phone,
        communities=[community(c) for c in user.communities],
    )


def guest(row: models.Invitation) -> schemas.GuestPublic:
    return schemas.GuestPublic(id=row.id, last_name=row.last_name, first_name=row.first_name)


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


def document(row: models.Document) -> schemas.DocumentPublic:
    return schemas.DocumentPublic(
        id=row.id,
        filename=row.filename,
        media_type=row.media_type,
        size=row.size,
        sha256=row.sha256,
        created_at=row.created_at,
    )


def step(row: models.Step, added: list[models.Correspondent]) -> schemas.StepPublic:
    return schemas.StepPublic(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        author=user_ref(row.author) if row.author else None,
        guest_author=guest(row.guest_author) if row.guest_author else None,
        created_at=row.created_at,
        comment=row.comment,
        exams=[exam(e) for e in row.exams],
        documents=[document(d.document) for d in row.documents],
        correspondents=[correspondent(c) for c in added],
    )


def patient(row: models.Patient) -> schemas.Patient:
    qualified = row.identity_status == "qualified"
    return schemas.Patient.model_validate(
        {
            "id": row.id,
            "last_name": row.last_name,
            "used_name": row.used_name,
            "first_name": row.first_name,
            "first_names": [n for n in row.first_names.split("\n") if n],
            "used_first_name": row.used_first_name,
            "birth_date": row.birth_date,
            "sex": row.sex,
            "birthplace_code": row.birthplace_code,
            "identifier": row.identifier,
            "identifier_issuer": row.identifier_issuer,
            "ins_matricule": row.ins_matricule if qualified else None,
            "ins_oid": row.ins_oid if qualified else None,
            "identity_status": row.identity_status,
        }
    )


def _dossier_fields(row: models.Dossier, unread: bool) -> dict[str, object]:
    return {
        "id": row.id,
        "type": row.type,
        "status": row.status,
        "visibility": row.visibility,
        "community": community(row.community) if row.community else None,
        "owner": user_ref(row.owner),
        "correspondents": [correspondent(c) for c in row.correspondents],
        "patient": patient(row.patient),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "sent_at": row.sent_at,
        "closed_at": row.closed_at,
        "unread": unread,
    }


def dossier(row: models.Dossier, unread: bool = False) -> schemas.DossierPublic:
    steps = [step(s, [c for c in row.correspondents if c.step_id == s.id]) for s in row.steps]
    return schemas.DossierPublic.model_validate({**_dossier_fields(row, unread), "steps": steps})


def notification(row: models.Notification) -> schemas.NotificationPublic:
    return schemas.NotificationPublic(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        step_kind=row.step_kind,  # type: ignore[arg-type]
        dossier_id=row.dossier_id,
        actor=user_ref(row.actor) if row.actor else None,
        guest_actor=guest(row.guest_actor) if row.guest_actor else None,
        created_at=row.created_at,
        read=row.read_at is not None,
    )


def token_info(token: models.Token) -> TokenInfo:
    invitation = token.invitation
    return TokenInfo(
        kind=token.kind,  # type: ignore[arg-type]
        expires_at=token.expires_at,
        user=user_ref(token.user) if token.user else None,
        guest=guest(invitation) if invitation else None,
        dossier_id=invitation.dossier_id if invitation else None,
        authentication=token.authentication,  # type: ignore[arg-type]
    )


def personal_token(token: models.Token) -> PersonalToken:
    return PersonalToken(
        id=token.id,
        name=token.name or "",
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked=token.revoked_at is not None,
    )


def invitation(row: models.Invitation) -> InvitationPublic:
    return InvitationPublic(
        id=row.id,
        dossier_id=row.dossier_id,
        last_name=row.last_name,
        first_name=row.first_name,
        email=row.email,
        phone=row.phone,
        created_at=row.created_at,
        expires_at=row.expires_at,
        link_channel=row.link_channel,  # type: ignore[arg-type]
        code_channel=row.code_channel,  # type: ignore[arg-type]
    )
