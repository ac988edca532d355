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
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Strict(BaseModel):
    """Request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class SessionCreate(Strict):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)
    otp: str | None = Field(default=None, min_length=1, max_length=16)


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
    profession: str | None = None
    rpps: str | None = None
    enrs_login: str | None = None
    email: str | None = None
    phone: str | None = None
    communities: list[CommunityPublic]


class DirectoryPublic(BaseModel):
    establishments: list[EstablishmentRef]
    communities: list[CommunityPublic]
    professionals: list[Professional]


Name = Annotated[str, Field(min_length=1, max_length=200)]
IdentityStatus = Literal["provisional", "retrieved", "validated", "qualified"]
InsOid = Literal[
    "1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"
]


class Patient(Strict):
    """A patient identity in the INS model (docs/api.md)."""

    id: int | None = None
    last_name: Name
    used_name: Name | None = None
    first_name: Name | None = None
    first_names: list[Name] = Field(default_factory=list, max_length=20)
    used_first_name: Name | None = None
    birth_date: date | None = None
    sex: Literal["M", "F", "O"] | None = None
    birthplace_code: str | None = Field(default=None, pattern=r"^[0-9][0-9AB][0-9]{3}$")
    identifier: Name
    identifier_issuer: Name | None = None
    ins_matricule: str | None = Field(default=None, pattern=r"^[0-9]{15}$")
    ins_oid: InsOid | None = None
    identity_status: IdentityStatus = "provisional"


class CorrespondentCreate(Strict):
    kind: Literal["user", "community"]
    id: Id


class CorrespondentPublic(BaseModel):
    kind: Literal["user", "community"]
    id: int
    label: str


Comment = Annotated[str, Field(max_length=20_000)]
DocumentIds = Annotated[list[Id], Field(max_length=1000)]


class DossierCreate(Strict):
    type: Literal["imaging-transfer"]
    visibility: Visibility
    community_id: Id | None = None
    correspondents: list[CorrespondentCreate] = Field(min_length=1, max_length=100)
    patient: Patient | None = None
    patient_id: Id | None = None
    comment: Comment | None = None
    document_ids: DocumentIds = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_patient(self) -> DossierCreate:
        if (self.patient is None) == (self.patient_id is None):
            raise ValueError("give either patient or patient_id")
        return self


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


StepKind = Literal["request", "ack", "answer", "second-opinion", "info"]


class GuestPublic(BaseModel):
    id: int
    last_name: str
    first_name: str


class DocumentPublic(BaseModel):
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    created_at: Timestamp


class StepPublic(BaseModel):
    id: int
    kind: StepKind
    author: UserRef | None
    guest_author: GuestPublic | None
    created_at: Timestamp
    comment: str | None
    exams: list[ExamPublic]
    documents: list[DocumentPublic]
    correspondents: list[CorrespondentPublic]


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
    updated_at: Timestamp
    sent_at: Timestamp | None
    closed_at: Timestamp | None
    unread: bool


class DossierPublic(DossierBase):
    steps: list[StepPublic]


class DossierSummary(DossierBase):
    exam_count: int


class DossierPage(BaseModel):
    items: list[DossierSummary]
    total: int


class ExamsAttach(Strict):
    study_instance_uids: list[Uid] = Field(min_length=1, max_length=1000)


class DocumentsAttach(Strict):
    document_ids: DocumentIds = Field(min_length=1)


class StepCreate(Strict):
    kind: Literal["ack", "answer", "second-opinion", "info"]
    comment: Comment | None = None
    study_instance_uids: list[Uid] = Field(default_factory=list, max_length=1000)
    document_ids: DocumentIds = Field(default_factory=list)
    correspondents: list[CorrespondentCreate] = Field(default_factory=list, max_length=100)


class ManifestInstance(BaseModel):
    sop_instance_uid: str
    series_instance_uid: str
    series_description: str | None
    modality: str | None
    instance_number: int | None
    size: int
    sha256: str


class ManifestExam(BaseModel):
    study_instance_uid: str
    patient_name: str
    study_description: str | None
    instances: list[ManifestInstance]


class Manifest(BaseModel):
    exams: list[ManifestExam]
    documents: list[DocumentPublic]


class NotificationPublic(BaseModel):
    id: int
    kind: Literal["dossier_sent", "step_added", "dossier_acknowledged", "invitation_used"]
    step_kind: StepKind | None
    dossier_id: int
    actor: UserRef | None
    guest_actor: GuestPublic | None
    created_at: Timestamp
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationPublic]


class NotificationsRead(Strict):
    ids: list[Id] | None = Field(default=None, max_length=10_000)
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


class ViewerLinkPublic(BaseModel):
    """A one-time link that opens the viewer on a dossier's studies in a browser."""

    url: str
    expires_at: Timestamp
    studies: list[str]
