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
    password_hash: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(600))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    communities: Mapped[list[Community]] = relationship(
        secondary="membership", order_by="Community.id", lazy="selectin"
    )


class Membership(Base):
    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)


class Token(Base):
    __tablename__ = "token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(SHA256, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")


class Study(Base):
    """Summary of a DICOM study, kept up to date as its instances arrive."""

    __tablename__ = "study"

    study_instance_uid: Mapped[str] = mapped_column(UID, primary_key=True)
    patient_name: Mapped[str] = mapped_column(String(400))
    patient_id: Mapped[str] = mapped_column(String(200))
    patient_birth_date: Mapped[date | None]
    study_date: Mapped[date | None]
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
    series_instance_uid: Mapped[str] = mapped_column(UID)
    sop_class_uid: Mapped[str] = mapped_column(UID)
    transfer_syntax_uid: Mapped[str] = mapped_column(UID)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(SHA256)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StudyUpload(Base):
    """Who uploaded (or re-sent the same bytes of) which study."""

    __tablename__ = "study_upload"

    study_instance_uid: Mapped[str] = mapped_column(
        ForeignKey("study.study_instance_uid"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dossier(Base):
    __tablename__ = "dossier"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True)
    visibility: Mapped[str] = mapped_column(String(20))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    patient_last_name: Mapped[str] = mapped_column(String(200))
    patient_first_name: Mapped[str | None] = mapped_column(String(200))
    patient_identifier: Mapped[str] = mapped_column(String(200))
    patient_birth_date: Mapped[date | None]
    patient_sex: Mapped[str | None] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    owner: Mapped[User] = relationship(lazy="joined")
    community: Mapped[Community | None] = relationship(lazy="joined")
    correspondents: Mapped[list[Correspondent]] = relationship(
        order_by="Correspondent.id", lazy="selectin", cascade="all, delete-orphan"
    )
    steps: Mapped[list[Step]] = relationship(
        order_by="Step.id", lazy="selectin", cascade="all, delete-orphan"
    )


class Correspondent(Base):
    __tablename__ = "correspondent"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (community_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    user: Mapped[User | None] = relationship(lazy="joined")
    community: Mapped[Community | None] = relationship(lazy="joined")


class Step(Base):
    __tablename__ = "step"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    author: Mapped[User] = relationship(lazy="joined")
    exams: Mapped[list[StepExam]] = relationship(
        order_by="StepExam.id", lazy="selectin", cascade="all, delete-orphan"
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


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")
