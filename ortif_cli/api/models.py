"""Typed views of the platform's JSON objects (see docs/api.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ortif_cli.i18n import _

Json = dict[str, Any]


def parse_time(value: str | None) -> datetime | None:
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
    profession: str | None = None
    rpps: str | None = None
    enrs_login: str | None = None
    email: str | None = None
    phone: str | None = None

    @classmethod
    def from_json(cls, data: Json) -> Professional:
        communities = tuple(Community.from_json(c) for c in data.get("communities", []))
        return cls(
            UserRef.from_json(data),
            communities,
            profession=data.get("profession"),
            rpps=data.get("rpps"),
            enrs_login=data.get("enrs_login"),
            email=data.get("email"),
            phone=data.get("phone"),
        )


@dataclass(frozen=True)
class Establishment:
    id: int
    name: str

    @classmethod
    def from_json(cls, data: Json) -> Establishment:
        return cls(data["id"], data["name"])


@dataclass(frozen=True)
class Me(Professional):
    """The signed-in user."""


@dataclass(frozen=True)
class Directory:
    communities: tuple[Community, ...]
    professionals: tuple[Professional, ...]
    establishments: tuple[Establishment, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> Directory:
        return cls(
            tuple(Community.from_json(c) for c in data["communities"]),
            tuple(Professional.from_json(p) for p in data["professionals"]),
            tuple(Establishment.from_json(e) for e in data.get("establishments", [])),
        )


NIR_OID = "1.2.250.1.213.1.4.8"
IDENTITY_STATUSES = ("provisional", "retrieved", "validated", "qualified")


@dataclass(frozen=True)
class Patient:
    """The INS model of docs/api.md; `id` is set for a patient the platform knows."""

    last_name: str
    identifier: str
    first_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    identifier_issuer: str | None = None
    birthplace_code: str | None = None
    ins_matricule: str | None = None
    ins_oid: str | None = None
    identity_status: str = "provisional"
    used_name: str | None = None
    first_names: tuple[str, ...] = ()
    used_first_name: str | None = None
    id: int | None = None

    @classmethod
    def from_json(cls, data: Json) -> Patient:
        return cls(
            last_name=data["last_name"],
            identifier=data["identifier"],
            first_name=data.get("first_name"),
            birth_date=_date(data.get("birth_date")),
            sex=data.get("sex"),
            identifier_issuer=data.get("identifier_issuer"),
            birthplace_code=data.get("birthplace_code"),
            ins_matricule=data.get("ins_matricule"),
            ins_oid=data.get("ins_oid"),
            identity_status=data.get("identity_status") or "provisional",
            used_name=data.get("used_name"),
            first_names=tuple(data.get("first_names") or ()),
            used_first_name=data.get("used_first_name"),
            id=data.get("id"),
        )

    def to_json(self) -> Json:
        """The body the platform takes; optional INS fields only when they are set."""
        body: Json = {
            "last_name": self.last_name,
            "first_name": self.first_name,
            "identifier": self.identifier,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
        }
        optional = {
            "identifier_issuer": self.identifier_issuer,
            "birthplace_code": self.birthplace_code,
            "ins_matricule": self.ins_matricule,
            "ins_oid": self.ins_oid,
            "used_name": self.used_name,
            "used_first_name": self.used_first_name,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if self.first_names:
            body["first_names"] = list(self.first_names)
        if self.identity_status != "provisional":
            body["identity_status"] = self.identity_status
        return body


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
class Document:
    """A file attached to a step (or just uploaded), with the SHA-256 the platform holds."""

    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Json) -> Document:
        return cls(
            id=data["id"],
            filename=data["filename"],
            media_type=data.get("media_type") or "application/octet-stream",
            size=data["size"],
            sha256=data["sha256"],
            created_at=parse_time(data.get("created_at")),
        )


@dataclass(frozen=True)
class Guest:
    id: int
    last_name: str
    first_name: str

    @property
    def display_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    @classmethod
    def from_json(cls, data: Json) -> Guest:
        return cls(data["id"], data["last_name"], data["first_name"])


def person_name(user: UserRef | None, guest: Guest | None, unknown: str) -> str:
    """Who did something: a user, a guest (so marked), or `unknown`."""
    if user is not None:
        return user.display_name
    if guest is not None:
        return _("{name} (guest)").format(name=guest.display_name)
    return unknown


@dataclass(frozen=True)
class Step:
    id: int
    kind: str
    author: UserRef | None
    created_at: datetime
    comment: str | None
    exams: tuple[Exam, ...]
    documents: tuple[Document, ...] = ()
    correspondents: tuple[CorrespondentRef, ...] = ()
    guest_author: Guest | None = None

    @property
    def author_name(self) -> str:
        return person_name(self.author, self.guest_author, _("unknown"))

    @classmethod
    def from_json(cls, data: Json) -> Step:
        return cls(
            id=data["id"],
            kind=data["kind"],
            author=UserRef.from_json(data["author"]) if data.get("author") else None,
            created_at=datetime.fromisoformat(data["created_at"]),
            comment=data.get("comment"),
            exams=tuple(Exam.from_json(e) for e in data.get("exams", [])),
            documents=tuple(Document.from_json(d) for d in data.get("documents") or []),
            correspondents=tuple(
                CorrespondentRef.from_json(c) for c in data.get("correspondents") or []
            ),
            guest_author=Guest.from_json(data["guest_author"])
            if data.get("guest_author")
            else None,
        )


def status_label(status: str) -> str:
    """A dossier's status in the user's language (the API value itself when unknown)."""
    labels = {
        "draft": _("draft"),
        "sent": _("sent"),
        "closed": _("closed"),
        "cancelled": _("cancelled"),
    }
    return labels.get(status, status)


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
    unread: bool = False
    updated_at: datetime | None = None

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
            sent_at=parse_time(data.get("sent_at")),
            closed_at=parse_time(data.get("closed_at")),
            steps=steps,
            exam_count=exam_count,
            unread=bool(data.get("unread", False)),
            updated_at=parse_time(data.get("updated_at")),
        )

    @property
    def documents(self) -> tuple[Document, ...]:
        return tuple(d for step in self.steps for d in step.documents)


@dataclass(frozen=True)
class DossierPage:
    items: tuple[Dossier, ...]
    total: int


@dataclass(frozen=True)
class Notification:
    id: int
    kind: str
    dossier_id: int
    actor: UserRef | None
    created_at: datetime
    read: bool
    step_kind: str | None = None
    guest_actor: Guest | None = None

    @property
    def actor_name(self) -> str:
        return person_name(self.actor, self.guest_actor, _("A guest"))

    @classmethod
    def from_json(cls, data: Json) -> Notification:
        return cls(
            id=data["id"],
            kind=data["kind"],
            dossier_id=data["dossier_id"],
            actor=UserRef.from_json(data["actor"]) if data.get("actor") else None,
            created_at=datetime.fromisoformat(data["created_at"]),
            read=data["read"],
            step_kind=data.get("step_kind"),
            guest_actor=Guest.from_json(data["guest_actor"]) if data.get("guest_actor") else None,
        )


@dataclass(frozen=True)
class Invitation:
    """An invitation as the platform records it (never its link token or code)."""

    id: int
    dossier_id: int
    last_name: str
    first_name: str
    email: str | None
    phone: str | None
    created_at: datetime
    expires_at: datetime
    link_channel: str | None = None
    code_channel: str | None = None

    @classmethod
    def from_json(cls, data: Json) -> Invitation:
        return cls(
            id=data["id"],
            dossier_id=data["dossier_id"],
            last_name=data["last_name"],
            first_name=data["first_name"],
            email=data.get("email"),
            phone=data.get("phone"),
            created_at=datetime.fromisoformat(data["created_at"]),
            expires_at=datetime.fromisoformat(data["expires_at"]),
            link_channel=data.get("link_channel"),
            code_channel=data.get("code_channel"),
        )


@dataclass(frozen=True)
class ManifestInstance:
    sop_instance_uid: str
    series_instance_uid: str
    series_description: str | None
    modality: str | None
    instance_number: int | None
    size: int
    sha256: str

    @classmethod
    def from_json(cls, data: Json) -> ManifestInstance:
        return cls(
            sop_instance_uid=data["sop_instance_uid"],
            series_instance_uid=data["series_instance_uid"],
            series_description=data.get("series_description"),
            modality=data.get("modality"),
            instance_number=data.get("instance_number"),
            size=data["size"],
            sha256=data["sha256"],
        )


@dataclass(frozen=True)
class ManifestExam:
    study_instance_uid: str
    patient_name: str
    study_description: str | None
    instances: tuple[ManifestInstance, ...]

    @classmethod
    def from_json(cls, data: Json) -> ManifestExam:
        return cls(
            study_instance_uid=data["study_instance_uid"],
            patient_name=data.get("patient_name") or "",
            study_description=data.get("study_description"),
            instances=tuple(ManifestInstance.from_json(i) for i in data.get("instances", [])),
        )


@dataclass(frozen=True)
class Manifest:
    """Everything a dossier holds to download, with the hashes to check it against."""

    exams: tuple[ManifestExam, ...]
    documents: tuple[Document, ...]

    @classmethod
    def from_json(cls, data: Json) -> Manifest:
        return cls(
            tuple(ManifestExam.from_json(e) for e in data.get("exams", [])),
            tuple(Document.from_json(d) for d in data.get("documents", [])),
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


@dataclass(frozen=True)
class ViewerLink:
    """A one-time link (minutes, one use) that opens the viewer on a dossier's studies."""

    url: str = field(repr=False)
    expires_at: datetime
    studies: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Json) -> ViewerLink:
        return cls(data["url"], datetime.fromisoformat(data["expires_at"]), tuple(data["studies"]))

    def to_json(self) -> Json:
        return {
            "url": self.url,
            "expires_at": self.expires_at.isoformat(),
            "studies": list(self.studies),
        }
