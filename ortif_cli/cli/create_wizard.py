"""`dossier create` at a terminal: ask, in the training kit's order, what no flag gave.

Visibility [Expéditeur], correspondents [Correspondants: établissement -> communauté ->
correspondant], patient [Patient, or la loupe], comment [Commentaire], exams [Examens
DICOM], documents [Documents joints], then the summary and Send / Keep as draft / Cancel.
Nothing is created before the last choice, so Ctrl-C anywhere leaves nothing behind.
The patient's prompts are in `create_patient`, the exam step (and the way back to it
after a mistake) in `create_exams`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ortif_cli import recipients
from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Community, CorrespondentRef, Patient
from ortif_cli.cli.context import AppContext, missing
from ortif_cli.cli.create_exams import ExamStep, cancel
from ortif_cli.cli.create_patient import ask_identity
from ortif_cli.dossiers import DossierRequest, visibility_community
from ortif_cli.errors import UsageError
from ortif_cli.exam_sources import ExamChoice, from_exam
from ortif_cli.i18n import _
from ortif_cli.patients import PatientFlags, from_flags
from ortif_cli.ui import prompts, render

if TYPE_CHECKING:
    from ortif_cli.dossiers import ExamUploader


@dataclass
class CreateFlags:
    to: list[str] = field(default_factory=list)
    visibility: str | None = None
    community: str | None = None
    patient: PatientFlags = field(default_factory=PatientFlags)
    comment: str | None = None
    exam_dirs: list[Path] = field(default_factory=list)
    attachments: list[Path] = field(default_factory=list)
    from_exam: bool = False
    source_dir: Path | None = None
    pacs: str | None = None
    local: bool = False
    study: str | None = None
    send: bool = False
    draft: bool = False


def build_request(app_: AppContext, client: PlatformClient, flags: CreateFlags) -> DossierRequest:
    """The dossier to create: from the flags, and at a terminal from prompts for the rest."""
    if flags.send and flags.draft:
        raise UsageError(_("--send and --draft cannot be used together."))
    if not flags.from_exam and (flags.source_dir or flags.pacs or flags.local or flags.study):
        raise UsageError(
            _("--dir, --pacs, --local and --study go with --from-exam."),
            hint=_("For more exams from folders, use --exam-dir DIR."),
        )
    exam = None
    if flags.from_exam:
        exam = from_exam(
            app_.profile,
            client,
            folder=flags.source_dir,
            pacs=flags.pacs,
            local=flags.local,
            study=flags.study,
        )
    if app_.can_prompt:
        return _Wizard(app_, client, flags, exam).run()
    if not flags.to:
        raise missing("--to")
    patient = from_flags(flags.patient, exam.patient if exam else None)
    return DossierRequest(
        correspondents=[recipients.resolve(client, path) for path in flags.to],
        patient=patient,
        visibility=flags.visibility or "me",
        community=_community(client, flags),
        comment=flags.comment,
        exam_dirs=flags.exam_dirs,
        attachments=flags.attachments,
        exam_sources=[exam.upload] if exam else [],
        send=flags.send,
    )


def _community(client: PlatformClient, flags: CreateFlags) -> Community | None:
    if flags.visibility != "community":
        return None
    return visibility_community(client, flags.community)


class _Wizard:
    who: Patient
    """The dossier's patient, once given; corrected if an exam shows a mistake."""

    def __init__(
        self, app_: AppContext, client: PlatformClient, flags: CreateFlags, exam: ExamChoice | None
    ) -> None:
        self.app_, self.client, self.flags, self.exam = app_, client, flags, exam
        self.say = app_.output.err.print
        self.draft_only = False
        """Set when, after a problem with an exam, the person keeps the dossier as a draft."""

    def run(self) -> DossierRequest:
        visibility, community = self.visibility()
        correspondents = self.correspondents()
        self.who = self.patient()
        comment = self.flags.comment
        if comment is None:
            comment = prompts.ask_text(_("Comment [Commentaire] (optional):")) or None
        sources, dirs = self.exams()
        attachments = self.flags.attachments or self.documents()
        request = DossierRequest(
            correspondents, self.who, visibility, community, comment, dirs, attachments, sources
        )
        return self.confirm(request)

    # visibility [Expéditeur] ------------------------------------------------------
    def visibility(self) -> tuple[str, Community | None]:
        if self.flags.visibility == "me":
            return "me", None
        mine = self.client.me().communities
        if self.flags.visibility == "community" and self.flags.community:
            return "community", visibility_community(self.client, self.flags.community)
        choices: list[tuple[str, Community | None]] = [
            (_("Only me and the correspondents [Moi-même]"), None)
        ]
        choices += [(_("My community [Ma communauté]: {c}").format(c=c.path), c) for c in mine]
        if self.flags.visibility == "community":
            choices = choices[1:]
            if not choices:
                raise UsageError(_("You belong to no community: use --visibility me."))
        chosen = prompts.select(_("Who sees this dossier? [Expéditeur]"), choices)
        return ("community", chosen) if chosen else ("me", None)

    # correspondents -----------------------------------------------------------------
    def correspondents(self) -> list[CorrespondentRef]:
        if self.flags.to:
            return [recipients.resolve(self.client, path) for path in self.flags.to]
        chosen: list[CorrespondentRef] = []
        while True:
            picked = self.pick_correspondent()
            if picked.kind == "user" and picked.id == self._me_id:
                self.say(_("You cannot be your own correspondent."))
            elif picked not in chosen:
                chosen.append(picked)
            self.say(_("Correspondents: {names}").format(names=", ".join(c.label for c in chosen)))
            if chosen and not prompts.confirm(_("Add another correspondent?"), default=False):
                return chosen

    @functools.cached_property
    def _me_id(self) -> int:
        return self.client.me().user.id

    def pick_correspondent(self) -> CorrespondentRef:
        establishments = recipients.establishments(self.client)
        establishment = prompts.select(
            _("Establishment [Établissement] (type to filter):"),
            [(e.name, e) for e in establishments],
            search=True,
        )
        communities = recipients.communities_of(self.client, establishment)
        community = prompts.select(
            _("Community [Communauté] (type to filter):"),
            [(c.name, c) for c in communities],
            search=True,
        )
        whole = CorrespondentRef("community", community.id, community.path)
        choices = [(_("The whole community {path}").format(path=community.path), whole)]
        for person in self.client.community_members(community.id):
            label = person.user.display_name
            if person.profession:
                label += f" ({person.profession})"
            ref = CorrespondentRef("user", person.user.id, person.user.display_name)
            choices.append((label, ref))
        return prompts.select(_("Correspondent [Correspondant]:"), choices, search=True)

    # patient ------------------------------------------------------------------------
    def patient(self) -> Patient:
        flags = self.flags.patient
        base = self.exam.patient if self.exam else None
        if base or (flags.name and flags.id):
            patient = from_flags(flags, base)
            self.say(_("Patient: {line}").format(line=render.patient_line(patient)))
            return patient
        search = _("Search the patients already handled [la loupe]")
        how = prompts.select(_("Patient:"), [(search, True), (_("Enter a new patient"), False)])
        found = self.search_patient() if how else None
        return found or self.new_patient(flags)

    def search_patient(self) -> Patient | None:
        while True:
            text = prompts.ask_text(_("Name or identifier (empty: enter a new patient):"))
            if not text:
                return None
            listed = self.client.search_patients(text)
            listed += self.client.search_patients(identifier=text)
            found = {(p.id, p.identifier): p for p in listed}
            if not found:
                self.say(_("No patient matches {text!r}.").format(text=text))
                continue
            choices: list[tuple[str, Patient | None]] = [
                (render.patient_line(p), p) for p in found.values()
            ]
            choices.append((_("None of these: search again"), None))
            chosen = prompts.select(_("Which patient?"), choices)
            if chosen:
                return chosen

    def new_patient(self, flags: PatientFlags) -> Patient:
        typed = ask_identity(flags, with_sex=True)
        return from_flags(_merge(flags, typed))

    # exams and documents ----------------------------------------------------------
    def exams(self) -> tuple[list[ExamUploader], list[Path]]:
        if self.flags.exam_dirs or self.exam:
            return [self.exam.upload] if self.exam else [], self.flags.exam_dirs
        step = ExamStep(self.app_, self.client, self.who)
        sources = step.run()
        self.who, self.draft_only = step.who, step.draft_only
        return sources, []

    def documents(self) -> list[Path]:
        paths: list[Path] = []
        while True:
            typed = prompts.ask_path(
                _("Document to attach [Documents joints] (empty to finish):"),
                validate=_file_or_empty,
            )
            if not typed:
                return paths
            paths.append(Path(typed).expanduser())

    # summary -------------------------------------------------------------------------
    def confirm(self, request: DossierRequest) -> DossierRequest:
        render.request_summary(self.app_.output, request)
        if self.draft_only:
            return _with_send(request, False)
        if self.flags.send or self.flags.draft:
            return _with_send(request, self.flags.send)
        choice = prompts.select(
            _("What now?"),
            [
                (_("Send [Envoyer]"), "send"),
                (_("Keep as a draft"), "draft"),
                (_("Cancel [Annuler]"), "cancel"),
            ],
        )
        if choice == "cancel":
            cancel(self.say)
        return _with_send(request, choice == "send")


def _with_send(request: DossierRequest, send: bool) -> DossierRequest:
    return replace(request, send=send)


def _merge(flags: PatientFlags, typed: PatientFlags) -> PatientFlags:
    return replace(
        flags,
        name=typed.name,
        first_name=typed.first_name,
        birth_date=typed.birth_date,
        sex=typed.sex,
        id=typed.id,
    )


def _file_or_empty(text: str) -> bool | str:
    return not text.strip() or Path(text).expanduser().is_file() or _("No file there.")
