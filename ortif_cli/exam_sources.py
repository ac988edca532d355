"""Exams for a new dossier: from an exam's source (method 2), or studies ticked in a folder.

Both give an `ExamUploader` for `dossiers.create_dossier`, which runs it (identity check,
then upload) before the dossier exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ortif_cli import transfer
from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Patient
from ortif_cli.dicom.media import StudyOnDisk, group_studies, scan_folder
from ortif_cli.errors import NotFoundError, UsageError
from ortif_cli.i18n import _
from ortif_cli.patients import from_identity
from ortif_cli.settings import Profile
from ortif_cli.transfer import PreparedExams, TransferObserver, TransferReport

if TYPE_CHECKING:
    from ortif_cli.dicom.identity import FieldDiff
    from ortif_cli.dicom.query import StudyMatch, StudyQuery
    from ortif_cli.dossiers import ExamUploader
    from ortif_cli.pacs_nodes import PacsNode


@dataclass(frozen=True)
class ExamChoice:
    """An exam chosen to start a dossier from: its patient, and how to upload it."""

    patient: Patient
    upload: ExamUploader
    description: str


def from_exam(
    profile: Profile,
    client: PlatformClient,
    *,
    folder: Path | None = None,
    pacs: str | None = None,
    local: bool = False,
    study: str | None = None,
) -> ExamChoice:
    """`--from-exam` with `--dir DIR`, `--pacs NAME --study UID` or `--local --study UID`."""
    from ortif_cli.pacs_nodes import get_node
    from ortif_cli.transfer import ExamSource, resolve_source, transfer_source

    given = [bool(folder), bool(pacs), local]
    if sum(given) != 1:
        raise UsageError(
            _("--from-exam needs one source: --dir DIR, --pacs NAME or --local."),
            hint=_("With --pacs or --local, add --study UID (see `ortif exam find`)."),
        )
    if folder:
        source = ExamSource("dir", study, folders=(folder,))
    elif pacs:
        source = ExamSource("pacs", study, node=get_node(profile, pacs))
    else:
        source = ExamSource("local", study)
    resolved = resolve_source(source, client)
    uids = {s.study_instance_uid for s in resolved.studies}
    if len(uids) > 1:
        raise UsageError(
            _("{where} holds {n} studies: say which one.").format(where=folder, n=len(uids)),
            hint=_("Add --study UID ({uids}).").format(uids=", ".join(sorted(uids))),
        )

    def upload(
        client: PlatformClient, patient: Patient, observer: TransferObserver | None
    ) -> TransferReport:
        return transfer_source(client, resolved, patient, observer)

    first = resolved.studies[0]
    return ExamChoice(from_identity(resolved.patient), upload, first.study_instance_uid)


@dataclass(frozen=True)
class StudySelection:
    """Studies ticked for a new dossier: their patient checked at once, uploaded on Send.

    `check(patient)` raises IdentityMismatch when a study is another patient's, and
    returns the warnings (a different identifier) otherwise.
    """

    check: Callable[[Patient], list[FieldDiff]]
    upload: ExamUploader


def disk_selection(studies: Sequence[StudyOnDisk]) -> StudySelection:
    """Studies ticked in a folder or on a CD."""
    return StudySelection(
        functools.partial(transfer.check_identity, studies), studies_uploader(studies)
    )


def found_selection(node: PacsNode | None, matches: Sequence[StudyMatch]) -> StudySelection:
    """Studies ticked among those found on a PACS node (or on the platform if None)."""
    return StudySelection(
        functools.partial(transfer.check_matches, matches), matches_uploader(node, matches)
    )


def folder_studies(folder: Path) -> list[StudyOnDisk]:
    """The studies of a folder (or CD), for the user to tick."""
    scan = scan_folder(folder)
    studies = group_studies(scan.instances)
    if not studies:
        raise NotFoundError(_("No DICOM study in {folder}.").format(folder=folder))
    return studies


def studies_uploader(studies: Sequence[StudyOnDisk]) -> ExamUploader:
    """Upload exactly these studies, once their patient is checked to be the dossier's."""

    def upload(
        client: PlatformClient, patient: Patient, observer: TransferObserver | None
    ) -> TransferReport:
        warnings = transfer.check_identity(studies, patient)
        report = transfer.upload(client, PreparedExams(list(studies), [], []), observer)
        report.identity_warnings = warnings
        return report

    return upload


def find_studies(
    client: PlatformClient, node: PacsNode | None, query: StudyQuery
) -> list[StudyMatch]:
    """Studies matching `query` on a PACS node (C-FIND), or on the platform (QIDO-RS)."""
    from ortif_cli.api.dicomweb import search_studies
    from ortif_cli.dicom import pacs
    from ortif_cli.dicom.query import qido_params, study_match_from_json

    if node is not None:
        return pacs.find_studies(node, query)
    return [study_match_from_json(d) for d in search_studies(client, qido_params(query))]


def matches_uploader(node: PacsNode | None, matches: Sequence[StudyMatch]) -> ExamUploader:
    """Bring these studies (found on `node`, or on the platform if None) to the dossier."""
    from ortif_cli.transfer import ExamSource, ResolvedSource, transfer_source

    def upload(
        client: PlatformClient, patient: Patient, observer: TransferObserver | None
    ) -> TransferReport:
        merged: TransferReport | None = None
        for match in matches:
            kind = "pacs" if node is not None else "local"
            source = ExamSource(kind, match.study_instance_uid, node=node)
            report = transfer_source(client, ResolvedSource(source, [match]), patient, observer)
            merged = report if merged is None else _merge(merged, report)
        assert merged is not None
        return merged

    return upload


def _merge(into: TransferReport, other: TransferReport) -> TransferReport:
    into.studies += other.studies
    into.local_study_uids += other.local_study_uids
    into.sent += other.sent
    into.already_present += other.already_present
    into.failed += other.failed
    into.identity_warnings += other.identity_warnings
    return into
