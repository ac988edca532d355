"""The transfer pipeline: source -> identity check -> upload -> attach.

The order protects the two principles: the patient's identity is checked before a single
byte leaves the machine, and a study joins a dossier only once every one of its
instances is on the platform with the SHA-256 that was sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Dossier, Patient
from ortif_cli.api.stow import UploadItem, UploadOutcome, batches, store_batch
from ortif_cli.dicom.identity import FieldDiff, PatientIdentity, compare
from ortif_cli.dicom.media import FileError, InstanceFile, StudyOnDisk, group_studies, scan_folder
from ortif_cli.errors import IdentityMismatch, NotFoundError, PartialTransfer, RuleError

UPLOAD_CONNECTIONS = 3
OPEN_STATUSES = ("draft", "sent")


class TransferObserver(Protocol):
    """What the pipeline reports as it goes; the CLI turns it into a progress display."""

    def uploading(self, instances: int, size: int) -> None: ...

    def advanced(self, size: int) -> None: ...


class _Silent:
    def uploading(self, instances: int, size: int) -> None:
        pass

    def advanced(self, size: int) -> None:
        pass


@dataclass(frozen=True)
class PreparedExams:
    """The studies found in the sources, with what could not be read."""

    studies: list[StudyOnDisk]
    skipped: list[Path]
    errors: list[FileError]

    @property
    def instances(self) -> list[InstanceFile]:
        return [instance for study in self.studies for instance in study.instances]


@dataclass
class TransferReport:
    studies: list[StudyOnDisk]
    sent: list[UploadOutcome] = field(default_factory=list)
    already_present: int = 0
    failed: list[UploadOutcome] = field(default_factory=list)
    identity_warnings: list[FieldDiff] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    dossier: Dossier | None = None

    @property
    def study_uids(self) -> list[str]:
        return [study.study_instance_uid for study in self.studies]


def prepare_folders(folders: Iterable[Path]) -> PreparedExams:
    """Scan folders for DICOM instances (one per SOP Instance UID) and group them."""
    seen: dict[str, InstanceFile] = {}
    skipped: list[Path] = []
    errors: list[FileError] = []
    for folder in folders:
        if not folder.is_dir():
            raise NotFoundError(f"No folder at {folder}.")
        scan = scan_folder(folder)
        skipped += scan.skipped
        errors += scan.errors
        for instance in scan.instances:
            seen.setdefault(instance.sop_instance_uid, instance)
    if not seen:
        names = ", ".join(str(f) for f in folders)
        raise NotFoundError(f"No DICOM file found in {names}.")
    return PreparedExams(group_studies(list(seen.values())), skipped, errors)


def dossier_identity(patient: Patient) -> PatientIdentity:
    return PatientIdentity(
        last_name=patient.last_name,
        first_name=patient.first_name,
        patient_id=patient.identifier,
        birth_date=patient.birth_date,
    )


def check_identity(studies: Sequence[StudyOnDisk], patient: Patient) -> list[FieldDiff]:
    """Raise IdentityMismatch if a study is another patient's; return identifier warnings."""
    expected = dossier_identity(patient)
    warnings: list[FieldDiff] = []
    for study in studies:
        check = compare(expected, study.patient)
        if not check.ok:
            raise IdentityMismatch(_mismatch_message(study, check.mismatches), _IDENTITY_HINT)
        warnings += check.warnings
    return warnings


_IDENTITY_HINT = "Check that you picked the right exam and the right dossier; nothing was uploaded."


def _mismatch_message(study: StudyOnDisk, diffs: Sequence[FieldDiff]) -> str:
    lines = [
        f"The study {study.study_instance_uid} is not this dossier's patient:",
        *(f"  {d.field}: dossier {d.expected!r}, study {d.found!r}" for d in diffs),
    ]
    return "\n".join(lines)


def ensure_open(dossier: Dossier) -> None:
    if dossier.status not in OPEN_STATUSES:
        raise RuleError(
            f"Dossier {dossier.id} is {dossier.status}: it accepts no more exams.",
            hint="Create a new dossier for these images.",
        )


def upload(
    client: PlatformClient,
    prepared: PreparedExams,
    observer: TransferObserver | None = None,
) -> TransferReport:
    """Send what the platform lacks; verify what it already holds by SHA-256."""
    observer = observer or _Silent()
    report = TransferReport(prepared.studies, skipped=prepared.skipped, errors=prepared.errors)
    instances = prepared.instances
    present = client.lookup_instances([i.sop_instance_uid for i in instances])
    to_send = []
    for instance in instances:
        item = UploadItem(instance.path, instance.sop_instance_uid, instance.size)
        if instance.sop_instance_uid not in present:
            to_send.append(item)
        elif _sha256(instance.path) == present[instance.sop_instance_uid]:
            report.already_present += 1
        else:
            report.failed.append(UploadOutcome(item, _sha256(instance.path), None))
    observer.uploading(len(to_send), sum(item.size for item in to_send))
    with ThreadPoolExecutor(UPLOAD_CONNECTIONS) as pool:
        jobs = [pool.submit(store_batch, client, b, observer.advanced) for b in batches(to_send)]
        for job in jobs:
            for outcome in job.result():
                (report.sent if outcome.ok else report.failed).append(outcome)
    return report


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def upload_folders(
    client: PlatformClient,
    folders: Sequence[Path],
    patient: Patient,
    observer: TransferObserver | None = None,
) -> TransferReport:
    """Scan, check every study is this patient's, then upload what the platform lacks."""
    prepared = prepare_folders(folders)
    warnings = check_identity(prepared.studies, patient)
    report = upload(client, prepared, observer)
    report.identity_warnings = warnings
    return report


def add_exams(
    client: PlatformClient,
    dossier_id: int,
    folders: Sequence[Path],
    observer: TransferObserver | None = None,
) -> TransferReport:
    """The whole of `ortif exam add --dir`: check, upload, then attach complete studies."""
    dossier = client.get_dossier(dossier_id)
    ensure_open(dossier)
    report = upload_folders(client, folders, dossier.patient, observer)
    attach_complete(client, dossier_id, report)
    return report


def attach_complete(client: PlatformClient, dossier_id: int, report: TransferReport) -> None:
    """Attach the studies whose every instance arrived; raise PartialTransfer for the rest."""
    failed_studies = {_study_of(report, o.item.sop_instance_uid) for o in report.failed}
    complete = [uid for uid in report.study_uids if uid not in failed_studies]
    if complete:
        report.dossier = client.attach_exams(dossier_id, complete)
    raise_if_failed(report)


def raise_if_failed(report: TransferReport) -> None:
    if report.failed:
        first = report.failed[0]
        raise PartialTransfer(
            f"{len(report.failed)} instance(s) did not reach the platform "
            f"(first: {first.item.path}: {first.problem}).",
            hint="Run the same command again to resume; what arrived is not sent again.",
        )


def _study_of(report: TransferReport, sop_instance_uid: str) -> str:
    for study in report.studies:
        if any(i.sop_instance_uid == sop_instance_uid for i in study.instances):
            return study.study_instance_uid
    return ""
