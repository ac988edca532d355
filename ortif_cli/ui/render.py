"""Human renderings of platform objects: rich tables and timelines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from ortif_cli.api.models import (
    Directory,
    Document,
    Dossier,
    Exam,
    Me,
    Notification,
    Patient,
    Professional,
    Step,
)
from ortif_cli.ui.console import Output
from ortif_cli.ui.rows import Column

if TYPE_CHECKING:
    from ortif_cli.dicom.media import StudyOnDisk
    from ortif_cli.dicom.query import StudyMatch
    from ortif_cli.dossiers import DossierRequest
    from ortif_cli.invitations import Contact

NOTIFICATION_TEXT = {
    "dossier_sent": "sent you dossier",
    "dossier_acknowledged": "acknowledged dossier",
    "step_added": "added a step to dossier",
    "invitation_used": "opened, as a guest, dossier",
}
STEP_TITLES = {
    "request": "Request [Demande]",
    "ack": "Acknowledgement of receipt [Accusé de réception]",
    "answer": "Answer [Réponse]",
    "second-opinion": "Second opinion request [Demande d'avis complémentaire]",
    "info": "Further information [Informations complémentaires]",
}


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def patient_line(patient: Patient) -> str:
    first = f" {patient.first_name}" if patient.first_name else ""
    born = f", born {day(patient.birth_date)}" if patient.birth_date else ""
    return f"{patient.last_name}{first} ({patient.identifier}{born})"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def whoami(output: Output, me: Me, profile: str, server: str) -> None:
    output.data(f"{me.user.display_name} ({me.user.username})")
    output.data(f"profile: {profile}")
    output.data(f"server:  {server}")
    for community in me.communities:
        output.data(f"community: {community.path}")


def directory(output: Output, found: Directory) -> None:
    table = Table("kind", "name", "username", "communities", box=None)
    for community in found.communities:
        table.add_row("community", community.path, "", "")
    for person in found.professionals:
        paths = ", ".join(c.path for c in person.communities)
        table.add_row("person", person.user.display_name, person.user.username, paths)
    output.out.print(table)


def dossier_table(output: Output, dossiers: Sequence[Dossier]) -> None:
    table = Table("id", "status", "patient", "to", "from", "exams", "created", "", box=None)
    for d in dossiers:
        table.add_row(
            str(d.id),
            d.status,
            Text(patient_line(d.patient)),
            Text(", ".join(c.label for c in d.correspondents)),
            Text(d.owner.display_name),
            str(d.exam_count),
            day(d.created_at),
            "new" if d.unread else "",
        )
    output.out.print(table)


def dossier_detail(output: Output, d: Dossier) -> None:
    """The dossier as a timeline: who sent what to whom, then each step in order."""
    output.data(f"Dossier {d.id} · {d.type} · {d.status}")
    output.data(f"patient:  {patient_line(d.patient)}")
    output.data(f"from:     {d.owner.display_name} ({d.owner.username})")
    output.data(f"to:       {', '.join(c.label for c in d.correspondents)}")
    visibility = d.community.path if d.community else "only me and the correspondents"
    output.data(f"visible:  {visibility}")
    dates = [("created", d.created_at), ("sent", d.sent_at), ("closed", d.closed_at)]
    output.data("          " + " · ".join(f"{what} {day(when)}" for what, when in dates if when))
    for step in d.steps:
        step_block(output, step)


def step_block(output: Output, step: Step) -> None:
    title = STEP_TITLES.get(step.kind, step.kind)
    output.data(f"\n{day(step.created_at)}  {title}, by {step.author_name}")
    if step.comment:
        for line in step.comment.splitlines():
            output.data(f"    {line}")
    if step.correspondents:
        output.data(f"    asked: {', '.join(c.label for c in step.correspondents)}")
    for exam in step.exams:
        output.data(f"    exam: {exam_line(exam)}")
    for document in step.documents:
        output.data(f"    document: {document_line(document)}")


def document_line(document: Document) -> str:
    return f"{document.filename} ({megabytes(document.size)}, {document.media_type})"


def exam_line(exam: Exam) -> str:
    what = " ".join(filter(None, [",".join(exam.modalities), exam.study_description]))
    return (
        f"{what or 'study'} of {day(exam.study_date) or 'unknown date'}, "
        f"{exam.instance_count} images, {megabytes(exam.size_bytes)} "
        f"({exam.study_instance_uid})"
    )


def notifications(output: Output, items: Sequence[Notification]) -> None:
    if not items:
        output.message("No notifications.")
        return
    table = Table("id", "when", "what", "dossier", "", box=None)
    for n in items:
        what = notification_text(n)
        table.add_row(
            str(n.id), day(n.created_at), Text(what), str(n.dossier_id), "" if n.read else "new"
        )
    output.out.print(table)


def notification_text(n: Notification) -> str:
    text = f"{n.actor_name} {NOTIFICATION_TEXT.get(n.kind, n.kind)}"
    if n.kind == "step_added" and n.step_kind:
        text += f" ({STEP_TITLES.get(n.step_kind, n.step_kind)})"
    return text


def notification_line(n: Notification) -> str:
    """One line for `notifications --watch`: when, who did what, on which dossier."""
    line = f"{day(n.created_at)}  {n.actor_name} {NOTIFICATION_TEXT.get(n.kind, n.kind)}"
    line += f" {n.dossier_id}"
    if n.kind == "step_added" and n.step_kind:
        line += f": {STEP_TITLES.get(n.step_kind, n.step_kind)}"
    return line


def professionals(output: Output, found: Sequence[Professional]) -> None:
    table = Table("#", "name", "profession", "communities", "email", "phone", box=None)
    for number, person in enumerate(found, start=1):
        paths = ", ".join(c.path for c in person.communities)
        table.add_row(
            str(number),
            Text(person.user.display_name),
            Text(person.profession or ""),
            Text(paths),
            Text(person.email or ""),
            Text(person.phone or ""),
        )
    output.err.print(table)


def patients(output: Output, found: Sequence[Patient]) -> None:
    table = Table("name", "identifier", "born", "sex", box=None)
    for p in found:
        name = " ".join(filter(None, [p.last_name, p.first_name]))
        table.add_row(Text(name), Text(p.identifier), day(p.birth_date), p.sex or "")
    output.out.print(table)


DOSSIER_COLUMNS: list[Column[Dossier]] = [
    Column("id", "id", lambda d: d.id),
    Column("status", "status", lambda d: d.status),
    Column("patient", "patient", lambda d: patient_line(d.patient)),
    Column("to", "to", lambda d: ", ".join(c.label for c in d.correspondents)),
    Column("from", "from", lambda d: d.owner.display_name),
    Column("exams", "exams", lambda d: d.exam_count),
    Column("created_at", "created", lambda d: d.created_at),
    Column("unread", "unread", lambda d: d.unread),
]


def study_line(study: StudyOnDisk) -> str:
    what = " ".join(filter(None, [",".join(study.modalities), study.study_description]))
    patient = study.patient
    who = " ".join(filter(None, [patient.last_name, patient.first_name]))
    return (
        f"{day(study.study_date) or 'undated'}  {what or 'study'}  {who} ({patient.patient_id}), "
        f"{len(study.instances)} images, {megabytes(study.total_bytes)}"
    )


def request_summary(output: Output, request: DossierRequest) -> None:
    """What `dossier create` is about to do, on stderr, before Send / Draft / Cancel."""
    say = output.err.print
    say("\n[bold]Summary[/bold]")
    say(f"  visible:        {request.community.path if request.community else 'only me'}")
    say(Text(f"  correspondents: {', '.join(c.label for c in request.correspondents)}"))
    say(Text(f"  patient:        {patient_line(request.patient)}"))
    if request.comment:
        say(Text(f"  comment:        {request.comment}"))
    for folder in request.exam_dirs:
        say(Text(f"  exams from:     {folder}"))
    if request.exam_sources:
        say(f"  exams:          {len(request.exam_sources)} selection(s)")
    for path in request.attachments:
        say(Text(f"  document:       {path.name}"))
    say("")


def ack_screen(output: Output, d: Dossier) -> None:
    """What an acknowledgement of receipt confirms, on stderr (the prompt's side)."""
    say = output.err.print
    say(Text(f"Dossier {d.id} from {d.owner.display_name}, {d.status}"))
    say(Text(f"  patient: {patient_line(d.patient)}"))
    exams = [e for step in d.steps for e in step.exams]
    for exam in exams:
        say(Text(f"  exam:     {exam_line(exam)}"))
    for document in d.documents:
        say(Text(f"  document: {document_line(document)}"))
    if not exams and not d.documents:
        say("  (no exam nor document)")


def invitation_screen(output: Output, contact: Contact, dossier_id: int) -> None:
    """The confirmation screen of `ortif invite` [Inviter un correspondant]."""
    say = output.err.print
    say(Text(f"You are inviting this person to take part in dossier {dossier_id}:"))
    say(Text(f"  last name:  {contact.last_name}"))
    say(Text(f"  first name: {contact.first_name}"))
    say(Text(f"  email:      {contact.email or '-'}"))
    say(Text(f"  phone:      {contact.phone or '-'}"))
    if contact.enrs_login:
        say(Text(f"  ENRS login: {contact.enrs_login}"))
    say("Check the email address and the phone number: the link and the access code go there.")
    say(
        "Reminder: invitations go to health professionals, and the inviter is responsible "
        "for what the guest does."
    )


NOTIFICATION_COLUMNS: list[Column[Notification]] = [
    Column("id", "id", lambda n: n.id),
    Column("created_at", "when", lambda n: n.created_at),
    Column("what", "what", notification_text),
    Column("dossier_id", "dossier", lambda n: n.dossier_id),
    Column("read", "read", lambda n: n.read),
]


def study_match_line(m: StudyMatch) -> str:
    what = " ".join(filter(None, [",".join(m.modalities), m.description]))
    count = f", {m.instance_count} images" if m.instance_count else ""
    return (
        f"{day(m.study_date) or 'undated'}  {what or 'study'}  "
        f"{m.patient_name.replace('^', ' ')} ({m.patient_id}){count}"
    )
