"""Typed views of the platform's JSON objects (see docs/api.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

Json = dict[str, Any]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class UserRef:
    id: int
    username: str
    last_name: str
    first_name: str

    @property
    def display_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    @classmethod
    def from_json(cls, data: Json) -> UserRef:
        return cls(data["id"], data["username"], data["last_name"], data["first_name"])


@dataclass(frozen=True)
class Community:
    id: int
    name: str
    establishment_id: int
    establishment_name: str

    @property
    def path(self) -> str:
        return f"{self.establishment_name}/{self.name}"

    @classmethod
    def from_json(cls, data: Json) -> Community:
        establishment = data["establishment"]
        return cls(data["id"], data["name"], establishment["id"], establishment["name"])

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "name": self.name,
            "establishment": {"id": self.establishment_id, "name": self.establishment_name},
        }


@dataclass(frozen=True)
class Professional:
    user: UserRef
    communities: tuple[Community, ...]

    @classmethod
    def from_json(cls, data: Json) -> Professional:
        communities = tuple(Community.from_json(c) for c in data.get("communities", []))
        return cls(UserRef.from_json(data), communities)


@dataclass(frozen=True)
class Me(Professional):
    """The signed-in user."""


@dataclass(frozen=True)
class Directory:
    communities: tuple[Community, ...]
    professionals: tuple[Professional, ...]

    @classmethod
    def from_json(cls, data: Json) -> Directory:
        return cls(
            tuple(Community.from_json(c) for c in data["communities"]),
            tuple(Professional.from_json(p) for p in data["professionals"]),
        )


@dataclass(frozen=True)
class Patient:
    last_name: str
    identifier: str
    first_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None

    @classmethod
    def from_json(cls, data: Json) -> Patient:
        return cls(
            last_name=data["last_name"],
            identifier=data["identifier"],
            first_name=data.get("first_name"),
            birth_date=_date(data.get("birth_date")),
            sex=data.get("sex"),
        )

    def to_json(self) -> Json:
        return {
            "last_name": self.last_name,
            "first_name": self.first_name,
            "identifier": self.identifier,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
        }


@dataclass(frozen=True)
class CorrespondentRef:
    """A correspondent to address: a person (`user`) or a whole `community`."""

    kind: str
    id: int
    label: str

    @classmethod
    def from_json(cls, data: Json) -> CorrespondentRef:
        return cls(data["kind"], data["id"], data.get("label", ""))


@dataclass(frozen=True)
class Exam:
    study_instance_uid: str
    patient_name: str
    patient_id: str
    patient_birth_date: date | None
    study_date: date | None
    study_description: str | None
    modalities: tuple[str, ...]
    instance_count: int
    size_bytes: int

    @classmethod
    def from_json(cls, data: Json) -> Exam:
        return cls(
            study_instance_uid=data["study_instance_uid"],
            patient_name=data["patient_name"],
            patient_id=data["patient_id"],
            patient_birth_date=_date(data.get("patient_birth_date")),
            study_date=_date(data.get("study_date")),
            study_description=data.get("study_description"),
            modalities=tuple(data.get("modalities", [])),
            instance_count=data["instance_count"],
            size_bytes=data["size_bytes"],
        )


@dataclass(frozen=True)
class Step:
    id: int
    kind: str
    author: UserRef
    created_at: datetime
    comment: str | None
    exams: tuple[Exam, ...]

    @classmethod
    def from_json(cls, data: Json) -> Step:
        return cls(
            id=data["id"],
            kind=data["kind"],
            author=UserRef.from_json(data["author"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            comment=data.get("comment"),
            exams=tuple(Exam.from_json(e) for e in data.get("exams", [])),
        )


@dataclass(frozen=True)
class Dossier:
    id: int
    type: str
    status: str
    visibility: str
    community: Community | None
    owner: UserRef
    correspondents: tuple[CorrespondentRef, ...]
    patient: Patient
    created_at: datetime
    sent_at: datetime | None
    closed_at: datetime | None
    steps: tuple[Step, ...] = field(default=())
    exam_count: int = 0

    @classmethod
    def from_json(cls, data: Json) -> Dossier:
        steps = tuple(Step.from_json(s) for s in data.get("steps", []))
        exam_count = data.get("exam_count", sum(len(s.exams) for s in steps))
        return cls(
            id=data["id"],
            type=data["type"],
            status=data["status"],
            visibility=data["visibility"],
            community=Community.from_json(data["community"]) if data.get("community") else None,
            owner=UserRef.from_json(data["owner"]),
            correspondents=tuple(CorrespondentRef.from_json(c) for c in data["correspondents"]),
            patient=Patient.from_json(data["patient"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            sent_at=_time(data.get("sent_at")),
            closed_at=_time(data.get("closed_at")),
            steps=steps,
            exam_count=exam_count,
        )


@dataclass(frozen=True)
class DossierPage:
    items: tuple[Dossier, ...]
    total: int


@dataclass(frozen=True)
class Notification:
    id: int
    kind: str
    dossier_id: int
    actor: UserRef
    created_at: datetime
    read: bool

    @classmethod
    def from_json(cls, data: Json) -> Notification:
        return cls(
            id=data["id"],
            kind=data["kind"],
            dossier_id=data["dossier_id"],
            actor=UserRef.from_json(data["actor"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            read=data["read"],
        )


@dataclass(frozen=True)
class Session:
    access_token: str = field(repr=False)
    expires_at: datetime
    user: UserRef


@dataclass(frozen=True)
class StoredInstance:
    """The server's answer for one instance of a STOW-RS request."""

    sop_instance_uid: str | None
    study_instance_uid: str | None
    status: str
    sha256: str | None
    reason: str | None

    @classmethod
    def from_json(cls, data: Json) -> StoredInstance:
        return cls(
            data.get("sop_instance_uid"),
            data.get("study_instance_uid"),
            data["status"],
            data.get("sha256"),
            data.get("reason"),
        )
