"""`dossier create` at a terminal: ask, in the training kit's order, what no flag gave.

Visibility [Expéditeur], correspondents [Correspondants: établissement -> communauté ->
correspondant], patient [Patient, or la loupe], comment [Commentaire], exams [Examens
DICOM], documents [Documents joints], then the summary and Send / Keep as draft / Cancel.
Nothing is created before the last choice, so Ctrl-C anywhere leaves nothing behind.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ortif_cli import recipients
from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Community, CorrespondentRef, Patient
from ortif_cli.cli.context import AppContext, missing
from ortif_cli.cli.series_pick import tick_series
from ortif_cli.dates import parse_date
from ortif_cli.dossiers import DossierRequest, visibility_community
from ortif_cli.errors import UsageError
from ortif_cli.exam_sources import (
    ExamChoice,
    find_studies,
    folder_studies,
    from_exam,
    matches_uploader,
    studies_uploader,
)
from ortif_cli.i18n import _
from ortif_cli.patients import SEXES, PatientFlags, from_flags
from ortif_cli.ui import prompts, render

if TYPE_CHECKING:
    from ortif_cli.dicom.query import StudyQuery
    from ortif_cli.dossiers import ExamUploader

EXIT_CANCELLED = 130


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
    def __init__(
        self, app_: AppContext, client: PlatformClient, flags: CreateFlags, exam: ExamChoice | None
    ) -> None:
        self.app_, self.client, self.flags, self.exam = app_, client, flags, exam
        self.say = app_.output.err.print

    def run(self) -> DossierRequest:
        visibility, community = self.visibility()
        correspondents = self.correspondents()
        patient = self.patient()
        comment = self.flags.comment
        if comment is None:
            comment = prompts.ask_text(_("Comment [Commentaire] (optional):")) or None
        sources, dirs = self.exams(patient)
        attachments = self.flags.attachments or self.documents()
        request = DossierRequest(
            correspondents, patient, visibility, community, comment, dirs, attachments, sources
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
        last = prompts.ask_text(
            _("Last name [Nom] (required):"), default=flags.name or "", validate=_required
        )
        first = prompts.ask_text(_("First name [Prénom]:"), default=flags.first_name or "")
        born = prompts.ask_text(
            _("Birth date [Né(e) le] (dd/mm/yyyy, optional):"),
            default=flags.birth_date or "",
            validate=_date_or_empty,
        )
        sex = flags.sex or prompts.select(
            _("Sex [Sexe]:"),
            [(_("unknown"), ""), *((s, s) for s in SEXES)],
        )
        identifier = prompts.ask_text(
            _("Identifier [Identifiant] (required):"), default=flags.id or "", validate=_required
        )
        typed = PatientFlags(last, first or None, born or None, sex or None, identifier)
        return from_flags(_merge(flags, typed))

    # exams and documents ----------------------------------------------------------
    def exams(self, patient: Patient) -> tuple[list[ExamUploader], list[Path]]:
        sources: list[ExamUploader] = [self.exam.upload] if self.exam else []
        if self.flags.exam_dirs or self.exam:
            return sources, self.flags.exam_dirs
        while True:
            kind = prompts.select(
                _("Add a DICOM exam? [Examens DICOM]"),
                [
                    (_("No more exams"), ""),
                    (_("From a folder or CD [À partir d'un répertoire]"), "dir"),
                    (_("From a PACS [À partir du PACS]"), "pacs"),
                    (_("From the platform's store [À partir du serveur local]"), "local"),
                ],
            )
            if not kind:
                return sources, []
            if kind == "dir":
                sources += self.folder_exams()
            else:
                sources += self.searched_exams(patient, kind == "pacs")

    def folder_exams(self) -> list[ExamUploader]:
        folder = Path(prompts.ask_path(_("Folder:"), validate=_folder)).expanduser()
        studies = folder_studies(folder)
        choices = [(render.study_line(s), s) for s in studies]
        ticked = prompts.checkbox(_("Which studies? (space to tick, enter to confirm)"), choices)
        ticked = tick_series(ticked)
        return [studies_uploader(ticked)] if ticked else []

    def searched_exams(self, patient: Patient, on_pacs: bool) -> list[ExamUploader]:
        """Search a PACS or the platform with the kit's filters, then tick studies."""
        from ortif_cli.pacs_nodes import list_nodes

        node = None
        if on_pacs:
            nodes = list_nodes(self.app_.profile)
            if not nodes:
                self.say(_("No PACS node yet: add one with `ortif pacs add`."))
                return []
            node = prompts.select(_("Which PACS?"), [(n.name, n) for n in nodes])
        matches = find_studies(self.client, node, self.study_query(patient))
        if not matches:
            self.say(_("No study matches."))
            return []
        choices = [(render.study_match_line(m), m) for m in matches]
        ticked = prompts.checkbox(_("Which studies? (space to tick, enter to confirm)"), choices)
        return [matches_uploader(node, ticked)] if ticked else []

    def study_query(self, patient: Patient) -> StudyQuery:
        from ortif_cli.dicom.query import StudyQuery, parse_date_range

        # DICOM writes family names in capitals, and most PACS match names case-sensitively
        default = patient.last_name.upper()
        name = prompts.ask_text(_("Patient name [Nom du patient]:"), default=default)
        pid = prompts.ask_text(_("Identifier [Identifiant]:"), default=patient.identifier)
        day = prompts.ask_text(_("Exam date [Date de l'examen] (dd/mm/yyyy, optional):"))
        modality = prompts.ask_text(_("Modality [Modalité] (optional):"))
        accession = prompts.ask_text(_("Appointment number [N° de RDV] (optional):"))
        return StudyQuery(
            patient_name=name or None,
            patient_id=pid or None,
            study_date=parse_date_range(day, "date") if day else None,
            modality=modality or None,
            accession_number=accession or None,
        )

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
            self.say(_("Cancelled: nothing was created."))
            raise typer.Exit(EXIT_CANCELLED)
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


def _required(text: str) -> bool | str:
    return bool(text.strip()) or _("This is required.")


def _date_or_empty(text: str) -> bool | str:
    if not text.strip():
        return True
    try:
        parse_date(text, "date")
    except UsageError:
        return _("Write the date as dd/mm/yyyy or yyyy-mm-dd.")
    return True


def _folder(text: str) -> bool | str:
    return Path(text).expanduser().is_dir() or _("No folder there.")


def _file_or_empty(text: str) -> bool | str:
    return not text.strip() or Path(text).expanduser().is_file() or _("No file there.")
