"""Human renderings of platform objects: rich tables and timelines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from rich.table import Table
from rich.text import Text

from ortif_cli.api.models import Directory, Dossier, Exam, Me, Notification, Patient
from ortif_cli.ui.console import Output

NOTIFICATION_TEXT = {
    "dossier_sent": "sent you dossier",
    "dossier_acknowledged": "acknowledged dossier",
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
    table = Table("id", "status", "patient", "to", "from", "exams", "created", box=None)
    for d in dossiers:
        table.add_row(
            str(d.id),
            d.status,
            Text(patient_line(d.patient)),
            Text(", ".join(c.label for c in d.correspondents)),
            Text(d.owner.display_name),
            str(d.exam_count),
            day(d.created_at),
        )
    output.out.print(table)


def dossier_detail(output: Output, d: Dossier) -> None:
    output.data(f"Dossier {d.id} · {d.type} · {d.status}")
    output.data(f"patient:  {patient_line(d.patient)}")
    output.data(f"from:     {d.owner.display_name} ({d.owner.username})")
    output.data(f"to:       {', '.join(c.label for c in d.correspondents)}")
    visibility = d.community.path if d.community else "only me and the correspondents"
    output.data(f"visible:  {visibility}")
    for step in d.steps:
        output.data(f"\n{day(step.created_at)}  {step.kind} by {step.author.display_name}")
        if step.comment:
            output.data(f"    {step.comment}")
        for exam in step.exams:
            output.data(f"    exam: {exam_line(exam)}")


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
        what = f"{n.actor.display_name} {NOTIFICATION_TEXT.get(n.kind, n.kind)}"
        table.add_row(
            str(n.id), day(n.created_at), Text(what), str(n.dossier_id), "" if n.read else "new"
        )
    output.out.print(table)
