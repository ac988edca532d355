"""SQLAlchemy ORM models of the platform."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

UID = String(64)
SHA256 = String(64)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes, stored naive so that every backend behaves alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        return None if value is None else value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class Establishment(Base):
    __tablename__ = "establishment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    search_key: Mapped[str] = mapped_column(String(200))


class Community(Base):
    __tablename__ = "community"
    __table_args__ = (UniqueConstraint("establishment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(400))
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))
    establishment: Mapped[Establishment] = relationship(lazy="joined")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(600))
    profession: Mapped[str | None] = mapped_column(String(200))
    rpps: Mapped[str | None] = mapped_column(String(20), index=True)
    enrs_login: Mapped[str | None] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    communities: Mapped[list[Community]] = relationship(
        secondary="membership", order_by="Community.id", lazy="selectin"
    )


class Membership(Base):
    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)


class Token(Base):
    """A secret of any kind: a bearer token (session/access, refresh, personal, guest), a
    browser session cookie (`browser`) or a one-time link (`link`).

    `dossier_id` scopes a browser session or a link to the DICOMweb reads and pages of one
    dossier; the token then sees nothing else, whatever its user may see.
    """

    __tablename__ = "token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(SHA256, unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="session")
    authentication: Mapped[str] = mapped_column(String(20), default="password")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), index=True)
    access_token_id: Mapped[int | None] = mapped_column(ForeignKey("token.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    psc_login_id: Mapped[int | None] = mapped_column(ForeignKey("psc_login.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    user: Mapped[User | None] = relationship(lazy="joined")
    invitation: Mapped[Invitation | None] = relationship(lazy="joined")


class PscLogin(Base):
    """A sign-in with Pro Santé Connect, from its start to the session it gives the CLI.

    `handle_sha256` is the digest of the CLI's one-time poll handle; `state`, `nonce` and
    `code_verifier` belong to the authorization-code flow (`state` is used once: see
    `state_used_at`), `auth_req_id` to CIBA. The provider's access token and ID token are
    kept to end the provider's session when the platform session ends."""

    __tablename__ = "psc_login"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle_sha256: Mapped[str] = mapped_column(SHA256, unique=True)
    mode: Mapped[str] = mapped_column(String(10))
    short_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    state: Mapped[str | None] = mapped_column(String(100), unique=True)
    nonce: Mapped[str | None] = mapped_column(String(100))
    code_verifier: Mapped[str | None] = mapped_column(String(200))
    authorize_url: Mapped[str | None] = mapped_column(Text)
    auth_req_id: Mapped[str | None] = mapped_column(Text)
    binding_message: Mapped[str | None] = mapped_column(String(40))
    requested_rpps: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    failure_code: Mapped[str | None] = mapped_column(String(40))
    failure_message: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    provider_access_token: Mapped[str | None] = mapped_column(Text)
    provider_id_token: Mapped[str | None] = mapped_column(Text)
    poll_interval: Mapped[int] = mapped_column(default=2)
    next_poll_at: Mapped[datetime] = mapped_column(default=utcnow)
    state_used_at: Mapped[datetime | None]
    provider_session_ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Study(Base):
    """Summary of a DICOM study, kept up to date as its instances arrive."""

    __tablename__ = "study"

    study_instance_uid: Mapped[str] = mapped_column(UID, primary_key=True)
    patient_name: Mapped[str] = mapped_column(String(400))
    patient_name_key: Mapped[str] = mapped_column(String(400), default="")
    patient_id: Mapped[str] = mapped_column(String(200), index=True)
    patient_birth_date: Mapped[date | None]
    study_date: Mapped[date | None]
    study_time: Mapped[str | None] = mapped_column(String(20))
    accession_number: Mapped[str | None] = mapped_column(String(64))
    study_description: Mapped[str | None] = mapped_column(String(400))
    modalities: Mapped[str] = mapped_column(String(200), default="")
    instance_count: Mapped[int] = mapped_column(default=0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Instance(Base):
    __tablename__ = "instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_instance_uid: Mapped[str] = mapped_column(UID, unique=True)
    study_instance_uid: Mapped[str] = mapped_column(
        ForeignKey("study.study_instance_uid"), index=True
    )
    series_instance_uid: Mapped[str] = mapped_column(UID, index=True)
    sop_class_uid: Mapped[str] = mapped_column(UID)
    transfer_syntax_uid: Mapped[str] = mapped_column(UID)
    series_description: Mapped[str | None] = mapped_column(String(400))
    series_number: Mapped[int | None]
    modality: Mapped[str | None] = mapped_column(String(16))
    instance_number: Mapped[int | None]
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(SHA256)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    uploaded_by_invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StudyUpload(Base):
    """Who uploaded (or re-sent the same bytes of) which study: a user or a guest."""

    __tablename__ = "study_upload"
    __table_args__ = (UniqueConstraint("study_instance_uid", "user_id", "invitation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_instance_uid: Mapped[str] = mapped_column(
        ForeignKey("study.study_instance_uid"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Patient(Base):
    """A patient identity in the INS model; the matricule only when qualified."""

    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_name: Mapped[str] = mapped_column(String(200))
    used_name: Mapped[str | None] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(200))
    first_names: Mapped[str] = mapped_column(String(600), default="")
    used_first_name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(index=True)
    sex: Mapped[str | None] = mapped_column(String(1))
    birthplace_code: Mapped[str | None] = mapped_column(String(5))
    identifier: Mapped[str] = mapped_column(String(200), index=True)
    identifier_issuer: Mapped[str | None] = mapped_column(String(200))
    ins_matricule: Mapped[str | None] = mapped_column(String(15))
    ins_oid: Mapped[str | None] = mapped_column(String(64))
    identity_status: Mapped[str] = mapped_column(String(20), default="provisional")
    search_key: Mapped[str] = mapped_column(String(1200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dossier(Base):
    __tablename__ = "dossier"
    __table_args__ = (  # SB: index-only visibility counts (bench/server_list.py)
        Index("ix_dossier_community_visibility", "community_id", "visibility", "id"),
        Index("ix_dossier_owner_id_id", "owner_id", "id"),
        Index("ix_dossier_status_created_at", "status", "created_at"),  # a status, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True)
    visibility: Mapped[str] = mapped_column(String(20))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    owner: Mapped[User] = relationship(lazy="joined")
    patient: Mapped[Patient] = relationship(lazy="joined")
    community: Mapped[Community | None] = relationship(lazy="joined")
    correspondents: Mapped[list[Correspondent]] = relationship(
        order_by="Correspondent.id", lazy="selectin", cascade="all, delete-orphan"
    )
    steps: Mapped[list[Step]] = relationship(
        order_by="Step.id", lazy="selectin", cascade="all, delete-orphan"
    )


class Correspondent(Base):
    """A person or community addressed by a dossier; `step_id` if a second opinion added it."""

    __tablename__ = "correspondent"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (community_id IS NULL)", name="one_target"),
        # SB: index-only visibility counts (bench/server_list.py)
        Index("ix_correspondent_user_dossier", "user_id", "dossier_id"),
        Index("ix_correspondent_community_dossier", "community_id", "dossier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id"))
    user: Mapped[User | None] = relationship(lazy="joined")
    community: Mapped[Community | None] = relationship(lazy="joined")


class Step(Base):
    __tablename__ = "step"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    guest_author_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    author: Mapped[User | None] = relationship(lazy="joined")
    guest_author: Mapped[Invitation | None] = relationship(lazy="joined")
    exams: Mapped[list[StepExam]] = relationship(
        order_by="StepExam.id", lazy="selectin", cascade="all, delete-orphan"
    )
    documents: Mapped[list[StepDocument]] = relationship(
        order_by="StepDocument.id", lazy="selectin", cascade="all, delete-orphan"
    )


class StepExam(Base):
    __tablename__ = "step_exam"
    __table_args__ = (UniqueConstraint("step_id", "study_instance_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"), index=True)
    study_instance_uid: Mapped[str] = mapped_column(
        ForeignKey("study.study_instance_uid"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    study: Mapped[Study] = relationship(lazy="joined")


class Document(Base):
    """An uploaded file, stored in the blob store under its SHA-256."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(SHA256)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    uploaded_by_invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StepDocument(Base):
    __tablename__ = "step_document"
    __table_args__ = (UniqueConstraint("step_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    document: Mapped[Document] = relationship(lazy="joined")


class Invitation(Base):
    """A guest's access to one dossier; link token and code stored hashed."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    enrs_login: Mapped[str | None] = mapped_column(String(200))
    link_token_sha256: Mapped[str] = mapped_column(SHA256, unique=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    link_channel: Mapped[str] = mapped_column(String(10))
    code_channel: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    failed_codes: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    used_at: Mapped[datetime | None]


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (  # SB: the dossier list's unread flag per row (bench/server_list.py)
        Index("ix_notification_user_dossier", "user_id", "dossier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    step_kind: Mapped[str | None] = mapped_column(String(20))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    guest_actor_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    guest_actor: Mapped[Invitation | None] = relationship(lazy="joined")


class AuditEvent(Base):
    """Append-only: who read or changed which dossier, exam or document (never content)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(64))
    dossier_id: Mapped[int | None] = mapped_column(index=True)
    remote_address: Mapped[str | None] = mapped_column(String(64))
    authentication: Mapped[str] = mapped_column(String(20))
    user: Mapped[User | None] = relationship(lazy="joined")
    invitation: Mapped[Invitation | None] = relationship(lazy="joined")


class IdempotencyRecord(Base):
    """The first answer to a state-changing POST, replayed for the same key (24 h)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(SHA256)
    status: Mapped[int]
    content_type: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # While pending: renewed by the process running the request; once past, a retry runs.
    lease_expires_at: Mapped[datetime | None]
