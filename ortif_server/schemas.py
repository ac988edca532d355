"""Request (Create) and response (Public) models of docs/api.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

Timestamp = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(timespec="seconds"), return_type=str)
]
DossierStatus = Literal["draft", "sent", "closed", "cancelled"]
Visibility = Literal["me", "community"]
Uid = Annotated[str, Field(min_length=1, max_length=64)]


class Strict(BaseModel):
    """Request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class SessionCreate(Strict):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class UserRef(BaseModel):
    id: int
    username: str
    last_name: str
    first_name: str


class EstablishmentRef(BaseModel):
    id: int
    name: str


class CommunityPublic(BaseModel):
    id: int
    name: str
    establishment: EstablishmentRef


class Professional(UserRef):
    communities: list[CommunityPublic]


class SessionPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: Timestamp
    user: UserRef


class DirectoryPublic(BaseModel):
    communities: list[CommunityPublic]
    professionals: list[Professional]


class Patient(Strict):
    last_name: str = Field(min_length=1, max_length=200)
    first_name: str | None = Field(default=None, max_length=200)
    identifier: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    sex: Literal["M", "F", "O"] | None = None


class CorrespondentCreate(Strict):
    kind: Literal["user", "community"]
    id: int


class CorrespondentPublic(BaseModel):
    kind: Literal["user", "community"]
    id: int
    label: str


class DossierCreate(Strict):
    type: Literal["imaging-transfer"]
    visibility: Visibility
    community_id: int | None = None
    correspondents: list[CorrespondentCreate] = Field(min_length=1, max_length=100)
    patient: Patient
    comment: str | None = Field(default=None, max_length=20_000)


class ExamPublic(BaseModel):
    study_instance_uid: str
    patient_name: str
    patient_id: str
    patient_birth_date: date | None
    study_date: date | None
    study_description: str | None
    modalities: list[str]
    instance_count: int
    size_bytes: int
    added_at: Timestamp


class StepPublic(BaseModel):
    id: int
    kind: Literal["request", "ack"]
    author: UserRef
    created_at: Timestamp
    comment: str | None
    exams: list[ExamPublic]


class DossierBase(BaseModel):
    id: int
    type: Literal["imaging-transfer"]
    status: DossierStatus
    visibility: Visibility
    community: CommunityPublic | None
    owner: UserRef
    correspondents: list[CorrespondentPublic]
    patient: Patient
    created_at: Timestamp
    sent_at: Timestamp | None
    closed_at: Timestamp | None


class DossierPublic(DossierBase):
    steps: list[StepPublic]


class DossierSummary(DossierBase):
    exam_count: int


class DossierPage(BaseModel):
    items: list[DossierSummary]
    total: int


class ExamsAttach(Strict):
    study_instance_uids: list[Uid] = Field(min_length=1, max_length=1000)


class StepCreate(Strict):
    kind: Literal["ack"]
    comment: str | None = Field(default=None, max_length=20_000)


class NotificationPublic(BaseModel):
    id: int
    kind: Literal["dossier_sent", "dossier_acknowledged"]
    dossier_id: int
    actor: UserRef
    created_at: Timestamp
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationPublic]


class NotificationsRead(Strict):
    ids: list[int] | None = Field(default=None, max_length=10_000)
    all: bool = False

    @model_validator(mode="after")
    def _ids_or_all(self) -> NotificationsRead:
        if (self.ids is None) == (not self.all):
            raise ValueError("give either ids or all: true")
        return self


class InstancesLookup(Strict):
    sop_instance_uids: list[Uid] = Field(max_length=1000)


class PresentInstance(BaseModel):
    sop_instance_uid: str
    sha256: str


class InstancesPresent(BaseModel):
    present: list[PresentInstance]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class StoredInstance(BaseModel):
    sop_instance_uid: str | None
    study_instance_uid: str | None
    status: Literal["stored", "already_present", "refused"]
    sha256: str
    reason: str | None


class StowResult(BaseModel):
    instances: list[StoredInstance]
