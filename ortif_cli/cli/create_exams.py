"""The exam step of `dossier create` at a terminal [Examens DICOM], forgiving of mistakes.

One exam source at a time (a folder or CD, a PACS, the platform's store), then studies
ticked. Each ticked study's patient is compared with the dossier's at once: a study of
another patient (the table of both identities), an unreadable folder or a search that
finds nothing brings the person back to the exam choice, everything else kept: choose
another exam, correct the patient, keep the dossier as a draft, or cancel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.text import Text

from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Patient
from ortif_cli.cli.context import AppContext
from ortif_cli.cli.create_patient import correct_patient
from ortif_cli.cli.series_pick import tick_series
from ortif_cli.errors import ConnectionFailure, IdentityMismatch, NotFoundError, UsageError
from ortif_cli.exam_sources import (
    StudySelection,
    disk_selection,
    find_studies,
    folder_studies,
    found_selection,
)
from ortif_cli.i18n import _
from ortif_cli.ui import prompts, render

if TYPE_CHECKING:
    from collections.abc import Callable

    from ortif_cli.dicom.query import StudyQuery
    from ortif_cli.dossiers import ExamUploader

EXIT_CANCELLED = 130


class ExamStep:
    """Asks for exams until "No more exams"; `who` is the patient, corrected if need be,
    and `draft_only` tells that the person chose to keep the dossier as a draft."""

    def __init__(self, app_: AppContext, client: PlatformClient, patient: Patient) -> None:
        self.app_, self.client, self.who = app_, client, patient
        self.say = app_.output.err.print
        self.draft_only = False

    def run(self) -> list[ExamUploader]:
        """The exams, one source at a time; a problem brings the person back here."""
        chosen: list[StudySelection] = []
        while not self.draft_only and (kind := self.exam_kind()):
            try:
                picked = self.choose_studies(kind)
            except (NotFoundError, ConnectionFailure, UsageError) as problem:
                self.tell(problem.message, problem.hint)
                self.way_back()
                continue
            if picked:
                chosen = self.keep_matching([*chosen, picked])
        return [s.upload for s in chosen]

    def exam_kind(self) -> str:
        return prompts.select(
            _("Add a DICOM exam? [Examens DICOM]"),
            [
                (_("No more exams"), ""),
                (_("From a folder or CD [À partir d'un répertoire]"), "dir"),
                (_("From a PACS [À partir du PACS]"), "pacs"),
                (_("From the platform's store [À partir du serveur local]"), "local"),
            ],
        )

    def choose_studies(self, kind: str) -> StudySelection | None:
        """The studies ticked from one exam source; None when none is ticked."""
        if kind == "dir":
            return self.folder_exams()
        return self.searched_exams(on_pacs=kind == "pacs")

    def keep_matching(self, selections: list[StudySelection]) -> list[StudySelection]:
        """`selections` once each is the patient's; each mismatch shown, then the way back."""
        while (failing := self.mismatch(selections)) is not None:
            selection, problem = failing
            self.tell(problem.message)
            if self.way_back() != "patient":
                selections = [s for s in selections if s is not selection]
        return selections

    def mismatch(
        self, selections: list[StudySelection]
    ) -> tuple[StudySelection, IdentityMismatch] | None:
        for selection in selections:
            try:
                selection.check(self.who)
            except IdentityMismatch as problem:
                return selection, problem
        return None

    def way_back(self) -> str:
        """After a problem with an exam: another exam, the patient corrected, draft, or cancel."""
        choice = prompts.select(
            _("What now?"),
            [
                (_("Choose another exam"), "exam"),
                (_("Correct the patient"), "patient"),
                (_("Keep the dossier as a draft, without this exam"), "draft"),
                (_("Cancel [Annuler]"), "cancel"),
            ],
        )
        if choice == "cancel":
            cancel(self.say)
        elif choice == "patient":
            self.who = correct_patient(self.who)
        elif choice == "draft":
            self.draft_only = True
            self.say(
                _("The dossier will be kept as a draft: add the exam later with `ortif exam add`.")
            )
        return choice

    def tell(self, message: str, hint: str | None = None) -> None:
        self.say(Text(message))
        if hint:
            self.say(Text(hint))

    def folder_exams(self) -> StudySelection | None:
        folder = Path(prompts.ask_path(_("Folder:"), validate=_folder)).expanduser()
        studies = folder_studies(folder)
        choices = [(render.study_line(s), s) for s in studies]
        ticked = tick_series(prompts.checkbox(_("Which studies?"), choices))
        return disk_selection(ticked) if ticked else None

    def searched_exams(self, *, on_pacs: bool) -> StudySelection | None:
        """Search a PACS or the platform with the kit's filters, then tick studies."""
        from ortif_cli.pacs_nodes import list_nodes

        node = None
        if on_pacs:
            nodes = list_nodes(self.app_.profile)
            if not nodes:
                raise NotFoundError(_("No PACS node yet: add one with `ortif pacs add`."))
            node = prompts.select(_("Which PACS?"), [(n.name, n) for n in nodes])
        matches = find_studies(self.client, node, self.study_query(self.who))
        if not matches:
            raise NotFoundError(_("No study matches."))
        choices = [(render.study_match_line(m), m) for m in matches]
        ticked = prompts.checkbox(_("Which studies?"), choices)
        return found_selection(node, ticked) if ticked else None

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


def cancel(say: Callable[[str], None]) -> NoReturn:
    """Cancel [Annuler]: nothing was created (exit 130)."""
    say(_("Cancelled: nothing was created."))
    raise typer.Exit(EXIT_CANCELLED)


def _folder(text: str) -> bool | str:
    return Path(text).expanduser().is_dir() or _("No folder there.")
