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
    status_label,
)
from ortif_cli.dates import format_date, format_time
from ortif_cli.i18n import _, ngettext
from ortif_cli.ui.console import Output
from ortif_cli.ui.rows import Column

if TYPE_CHECKING:
    from ortif_cli.dicom.media import StudyOnDisk
    from ortif_cli.dicom.query import StudyMatch
    from ortif_cli.dicom.series import SeriesInfo
    from ortif_cli.dossiers import DossierRequest
    from ortif_cli.invitations import Contact


def notification_verb(kind: str, actor: str) -> str:
    """`actor` and what they did, up to the dossier's number (which follows)."""
    texts = {
        "dossier_sent": _("{actor} sent you dossier"),
        "dossier_acknowledged": _("{actor} acknowledged dossier"),
        "step_added": _("{actor} added a step to dossier"),
        "invitation_used": _("{actor} opened, as a guest, dossier"),
    }
    return texts.get(kind, "{actor} " + kind).format(actor=actor)


def step_title(kind: str) -> str:
    titles = {
        "request": _("Request [Demande]"),
        "ack": _("Acknowledgement of receipt [Accusé de réception]"),
        "answer": _("Answer [Réponse]"),
        "second-opinion": _("Second opinion request [Demande d'avis complémentaire]"),
        "info": _("Further information [Informations complémentaires]"),
    }
    return titles.get(kind, kind)


def field(label: str, value: object, width: int = 9) -> str:
    """`label: value`, the values of a block aligned (`label` already translated)."""
    return f"{label + ':':<{width}} {value}"


def day(value: date | datetime | None) -> str:
    """A date as people read it in their language; a moment with its local time."""
    if isinstance(value, datetime):
        return format_time(value)
    return format_date(value)


def patient_line(patient: Patient) -> str:
    name = " ".join(filter(None, [patient.last_name, patient.first_name]))
    if patient.birth_date:
        return _("{name} ({identifier}, born {born})").format(
            name=name, identifier=patient.identifier, born=day(patient.birth_date)
        )
    return f"{name} ({patient.identifier})"


def megabytes(size: int) -> str:
    return _("{size:.1f} MB").format(size=size / 1e6)


def whoami(output: Output, me: Me, profile: str, server: str) -> None:
    output.data(f"{me.user.display_name} ({me.user.username})")
    output.data(field(_("profile"), profile, 7))
    output.data(field(_("server"), server, 7))
    for community in me.communities:
        output.data(field(_("community"), community.path, 7))


def directory(output: Output, found: Directory) -> None:
    table = Table(_("kind"), _("name"), _("username"), _("communities"), box=None)
    for community in found.communities:
        table.add_row(_("community"), community.path, "", "")
    for person in found.professionals:
        paths = ", ".join(c.path for c in person.communities)
        table.add_row(_("person"), person.user.display_name, person.user.username, paths)
    output.out.print(table)


def dossier_table(output: Output, dossiers: Sequence[Dossier]) -> None:
    headers = [_("id"), _("status"), _("patient"), _("to"), _("from"), _("exams"), _("created")]
    table = Table(*headers, "", box=None)
    for d in dossiers:
        table.add_row(
            str(d.id),
            status_label(d.status),
            Text(patient_line(d.patient)),
            Text(", ".join(c.label for c in d.correspondents)),
            Text(d.owner.display_name),
            str(d.exam_count),
            day(d.created_at),
            _("new") if d.unread else "",
        )
    output.out.print(table)


def dossier_detail(output: Output, d: Dossier) -> None:
    """The dossier as a timeline: who sent what to whom, then each step in order."""
    output.data(
        _("Dossier {id} · {type} · {status}").format(
            id=d.id, type=d.type, status=status_label(d.status)
        )
    )
    output.data(field(_("patient"), patient_line(d.patient)))
    output.data(field(_("from"), f"{d.owner.display_name} ({d.owner.username})"))
    output.data(field(_("to"), ", ".join(c.label for c in d.correspondents)))
    visibility = d.community.path if d.community else _("only me and the correspondents")
    output.data(field(_("visible"), visibility))
    dates = [
        (_("created {when}"), d.created_at),
        (_("sent {when}"), d.sent_at),
        (_("closed {when}"), d.closed_at),
    ]
    output.data(
        "          " + " · ".join(what.format(when=day(when)) for what, when in dates if when)
    )
    for step in d.steps:
        step_block(output, step)


def step_block(output: Output, step: Step) -> None:
    title = _("{title}, by {author}").format(title=step_title(step.kind), author=step.author_name)
    output.data(f"\n{day(step.created_at)}  {title}")
    if step.comment:
        for line in step.comment.splitlines():
            output.data(f"    {line}")
    if step.correspondents:
        asked = ", ".join(c.label for c in step.correspondents)
        output.data("    " + _("asked: {correspondents}").format(correspondents=asked))
    for exam in step.exams:
        output.data("    " + _("exam: {exam}").format(exam=exam_line(exam)))
    for document in step.documents:
        output.data("    " + _("document: {document}").format(document=document_line(document)))


def document_line(document: Document) -> str:
    return f"{document.filename} ({megabytes(document.size)}, {document.media_type})"


def exam_line(exam: Exam) -> str:
    what = " ".join(filter(None, [",".join(exam.modalities), exam.study_description]))
    images = ngettext("{n} image", "{n} images", exam.instance_count).format(n=exam.instance_count)
    return _("{what} of {date}, {images}, {size} ({uid})").format(
        what=what or _("study"),
        date=day(exam.study_date) or _("unknown date"),
        images=images,
        size=megabytes(exam.size_bytes),
        uid=exam.study_instance_uid,
    )


def notifications(output: Output, items: Sequence[Notification]) -> None:
    if not items:
        output.message(_("No notifications."))
        return
    table = Table(_("id"), _("when"), _("what"), _("dossier"), "", box=None)
    for n in items:
        what = notification_text(n)
        table.add_row(
            str(n.id), day(n.created_at), Text(what), str(n.dossier_id), "" if n.read else _("new")
        )
    output.out.print(table)


def notification_text(n: Notification) -> str:
    text = notification_verb(n.kind, n.actor_name)
    if n.kind == "step_added" and n.step_kind:
        text += f" ({step_title(n.step_kind)})"
    return text


def notification_line(n: Notification) -> str:
    """One line for `notifications --watch`: when, who did what, on which dossier."""
    line = f"{day(n.created_at)}  {notification_verb(n.kind, n.actor_name)} {n.dossier_id}"
    if n.kind == "step_added" and n.step_kind:
        line += f": {step_title(n.step_kind)}"
    return line


def professionals(output: Output, found: Sequence[Professional]) -> None:
    headers = [_("name"), _("profession"), _("communities"), _("email"), _("phone")]
    table = Table("#", *headers, box=None)
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
    table = Table(_("name"), _("identifier"), _("born"), _("sex"), box=None)
    for p in found:
        name = " ".join(filter(None, [p.last_name, p.first_name]))
        table.add_row(Text(name), Text(p.identifier), day(p.birth_date), p.sex or "")
    output.out.print(table)


def dossier_columns() -> list[Column[Dossier]]:
    """The columns of `dossier list`, headed in the current language."""
    return [
        Column("id", _("id"), lambda d: d.id),
        Column("status", _("status"), lambda d: d.status, shown=lambda d: status_label(d.status)),
        Column("patient", _("patient"), lambda d: patient_line(d.patient)),
        Column("to", _("to"), lambda d: ", ".join(c.label for c in d.correspondents)),
        Column("from", _("from"), lambda d: d.owner.display_name),
        Column("exams", _("exams"), lambda d: d.exam_count),
        Column("created_at", _("created"), lambda d: d.created_at),
        Column("unread", _("unread"), lambda d: d.unread),
    ]


def study_line(study: StudyOnDisk) -> str:
    what = " ".join(filter(None, [",".join(study.modalities), study.study_description]))
    patient = study.patient
    who = " ".join(filter(None, [patient.last_name, patient.first_name]))
    count = len(study.instances)
    images = ngettext("{n} image", "{n} images", count).format(n=count)
    return _("{date}  {what}  {who} ({patient_id}), {images}, {size}").format(
        date=day(study.study_date) or _("undated"),
        what=what or _("study"),
        who=who,
        patient_id=patient.patient_id,
        images=images,
        size=megabytes(study.total_bytes),
    )


def request_summary(output: Output, request: DossierRequest) -> None:
    """What `dossier create` is about to do, on stderr, before Send / Draft / Cancel."""
    say = output.err.print
    say(Text("\n" + _("Summary"), style="bold"))
    visible = request.community.path if request.community else _("only me")
    say(Text("  " + field(_("visible"), visible, 15)))
    correspondents = ", ".join(c.label for c in request.correspondents)
    say(Text("  " + field(_("correspondents"), correspondents, 15)))
    say(Text("  " + field(_("patient"), patient_line(request.patient), 15)))
    if request.comment:
        say(Text("  " + field(_("comment"), request.comment, 15)))
    for folder in request.exam_dirs:
        say(Text("  " + field(_("exams from"), folder, 15)))
    if request.exam_sources:
        n = len(request.exam_sources)
        selections = ngettext("{n} selection", "{n} selections", n).format(n=n)
        say(Text("  " + field(_("exams"), selections, 15)))
    for path in request.attachments:
        say(Text("  " + field(_("document"), path.name, 15)))
    say("")


def ack_screen(output: Output, d: Dossier) -> None:
    """What an acknowledgement of receipt confirms, on stderr (the prompt's side)."""
    say = output.err.print
    heading = _("Dossier {id} from {owner}, {status}")
    say(Text(heading.format(id=d.id, owner=d.owner.display_name, status=status_label(d.status))))
    say(Text("  " + field(_("patient"), patient_line(d.patient))))
    exams = [e for step in d.steps for e in step.exams]
    for exam in exams:
        say(Text("  " + field(_("exam"), exam_line(exam))))
    for document in d.documents:
        say(Text("  " + field(_("document"), document_line(document))))
    if not exams and not d.documents:
        say(Text("  " + _("(no exam nor document)")))


def invitation_screen(output: Output, contact: Contact, dossier_id: int) -> None:
    """The confirmation screen of `ortif invite` [Inviter un correspondant]."""
    say = output.err.print
    intro = _("You are inviting this person to take part in dossier {id}:")
    say(Text(intro.format(id=dossier_id)))
    say(Text("  " + field(_("last name"), contact.last_name, 11)))
    say(Text("  " + field(_("first name"), contact.first_name, 11)))
    say(Text("  " + field(_("email"), contact.email or "-", 11)))
    say(Text("  " + field(_("phone"), contact.phone or "-", 11)))
    if contact.enrs_login:
        say(Text("  " + field(_("ENRS login"), contact.enrs_login, 11)))
    say(
        Text(
            _(
                "Check the email address and the phone number: "
                "the link and the access code go there."
            )
        )
    )
    say(
        Text(
            _(
                "Reminder: invitations go to health professionals, and the inviter is "
                "responsible for what the guest does."
            )
        )
    )


def notification_columns() -> list[Column[Notification]]:
    """The columns of `notifications`, headed in the current language."""
    return [
        Column("id", _("id"), lambda n: n.id),
        Column("created_at", _("when"), lambda n: n.created_at),
        Column("what", _("what"), notification_text),
        Column("dossier_id", _("dossier"), lambda n: n.dossier_id),
        Column("read", _("read"), lambda n: n.read),
    ]


def study_match_line(m: StudyMatch) -> str:
    what = " ".join(filter(None, [",".join(m.modalities), m.description]))
    line = _("{date}  {what}  {who} ({patient_id})").format(
        date=day(m.study_date) or _("undated"),
        what=what or _("study"),
        who=m.patient_name.replace("^", " "),
        patient_id=m.patient_id,
    )
    if m.instance_count:
        n = m.instance_count
        line += ", " + ngettext("{n} image", "{n} images", n).format(n=n)
    return line


def study_match_columns() -> list[Column[StudyMatch]]:
    """`exam find`: names shown as people read them (`DUPONT José`), DICOM in CSV."""
    return [
        Column(
            "patient_name",
            _("patient"),
            lambda m: m.patient_name,
            shown=lambda m: " ".join(m.patient_name.replace("^", " ").split()),
        ),
        Column("patient_id", _("id"), lambda m: m.patient_id),
        Column("birth_date", _("born"), lambda m: m.birth_date),
        Column("study_date", _("date"), lambda m: m.study_date),
        Column("modalities", _("mod"), lambda m: "/".join(m.modalities)),
        Column("description", _("description"), lambda m: m.description),
        Column("accession_number", _("accession"), lambda m: m.accession_number),
        Column("series_count", _("series"), lambda m: m.series_count),
        Column("instance_count", _("images"), lambda m: m.instance_count),
        Column("study_instance_uid", _("study uid"), lambda m: m.study_instance_uid),
    ]


def series_columns() -> list[Column[SeriesInfo]]:
    """`exam show`: a study's series, numbered as viewers number them."""
    return [
        Column("series_number", _("number"), lambda s: s.series_number),
        Column("modality", _("mod"), lambda s: s.modality),
        Column("series_description", _("description"), lambda s: s.series_description),
        Column("instance_count", _("images"), lambda s: s.instance_count),
        Column(
            "size",
            _("size"),
            lambda s: s.size,
            shown=lambda s: megabytes(s.size) if s.size is not None else "",
        ),
        Column("series_instance_uid", _("series uid"), lambda s: s.series_instance_uid),
    ]


def series_line(series: SeriesInfo) -> str:
    """One series in a tick list: `3  CT  Thorax (120 images)`."""
    count = series.instance_count
    images = ngettext("{n} image", "{n} images", count).format(n=count) if count else ""
    return f"{series.label} ({images})" if images else series.label
