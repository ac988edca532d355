"""The transfer pipeline: source -> identity check -> (staging) -> upload -> attach.

The order protects the two principles: the patient's identity is checked before a single
byte leaves the machine, and a study joins a dossier only once every one of its
instances is on the platform with the SHA-256 that was sent.

Sources (issue 6), for `ortif exam add` and for other commands:

    source = ExamSource("pacs", study_uid, node=pacs_nodes.get_node(profile, "hop"))
    source = ExamSource("dir", study_uid_or_None, folders=(Path("/media/cdrom"),))
    source = ExamSource("local", study_uid)          # already on the platform
    resolved = resolve_source(source, client)        # C-FIND / headers / QIDO-RS; no transfer
    resolved.patient                                  # PatientIdentity from the DICOM header
    report = transfer_source(client, resolved, patient, observer, accept_identity=None)
    report.study_uids                                 # then client.attach_exams(...)
    add_exams_from(client, dossier_id, resolved, observer, accept_identity)  # all of it

A PACS study is retrieved (C-GET of what the platform lacks, over two associations, or
C-MOVE to our Storage SCP) into a private staging folder and uploaded while it arrives
(a bounded queue, PIPELINE_CONNECTIONS STOW-RS connections, retries with backoff); staged
files are removed at the end, whatever happens. Errors: IdentityMismatch (exit 6),
ConnectionFailure (7), PartialTransfer (8: run the same command again to resume).
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ortif_cli.api.client import PlatformClient
from ortif_cli.api.dicomweb import search_studies
from ortif_cli.api.models import Dossier, Patient, StoredInstance, status_label
from ortif_cli.api.stow import ServerFailure, UploadItem, UploadOutcome, batches, store_batch
from ortif_cli.dicom.dicomdir import scan_source
from ortif_cli.dicom.identity import FieldDiff, PatientIdentity, compare
from ortif_cli.dicom.listing import list_studies
from ortif_cli.dicom.media import (
    FileError,
    FolderScan,
    InstanceFile,
    StudyOnDisk,
    group_studies,
    read_into,
    scan_folder,
)
from ortif_cli.dicom.pacs import (
    RetrieveReport,
    find_instances,
    find_studies,
    get_instances,
    get_study,
    move_study,
    retrieve_identifier,
)
from ortif_cli.dicom.part10 import open_part10, part10_prefix
from ortif_cli.dicom.query import ExamSource as ExamSource  # re-exported for callers
from ortif_cli.dicom.query import (
    StudyMatch,
    StudyQuery,
    qido_params,
    study_match_from_json,
)
from ortif_cli.errors import (
    ConnectionFailure,
    IdentityMismatch,
    NotFoundError,
    OrtifError,
    PartialTransfer,
    RuleError,
    UsageError,
)
from ortif_cli.i18n import _, ngettext
from ortif_cli.identity_report import side_by_side
from ortif_cli.pacs_nodes import PacsNode
from ortif_cli.settings import staging_root

UPLOAD_CONNECTIONS = 4
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
    local_study_uids: list[str] = field(default_factory=list)
    """Studies the platform already holds (`--local`): attached, not uploaded."""
    missing: list[str] = field(default_factory=list)
    """Retrievals that brought fewer instances than expected, in words."""
    incomplete_studies: list[str] = field(default_factory=list)
    present_instances: list[tuple[str, str]] = field(default_factory=list)
    """(SOP Instance UID, SHA-256) of those the platform already held, verified."""
    accepted_identity: str | None = None
    wrapped: list[InstanceFile] = field(default_factory=list)
    """Legacy files (no preamble or no File Meta Information) sent as Part 10 files."""

    @property
    def study_uids(self) -> list[str]:
        return [study.study_instance_uid for study in self.studies] + self.local_study_uids

    @property
    def refused(self) -> list[UploadOutcome]:
        """Instances the platform refuses for good, with its reason."""
        return [outcome for outcome in self.failed if outcome.refused]

    @property
    def retryable(self) -> list[UploadOutcome]:
        """Instances that did not arrive for a reason a rerun can fix."""
        return [outcome for outcome in self.failed if not outcome.refused]


class UploadRefused(RuleError):
    """The platform refuses instances for good (exit 6); `report` says which and why."""

    def __init__(self, message: str, hint: str, report: TransferReport) -> None:
        super().__init__(message, hint)
        self.report = report


class UploadIncomplete(PartialTransfer):
    """Instances did not arrive for a reason a rerun can fix (exit 8); see `report`."""

    def __init__(self, message: str, hint: str, report: TransferReport) -> None:
        super().__init__(message, hint)
        self.report = report


def prepare_folders(folders: Iterable[Path]) -> PreparedExams:
    """Scan folders for DICOM instances (one per SOP Instance UID) and group them."""
    seen: dict[str, InstanceFile] = {}
    skipped: list[Path] = []
    errors: list[FileError] = []
    for folder in folders:
        if not folder.is_dir():
            raise NotFoundError(_("No folder at {folder}.").format(folder=folder))
        scan = scan_folder(folder)
        skipped += scan.skipped
        errors += scan.errors
        for instance in scan.instances:
            seen.setdefault(instance.sop_instance_uid, instance)
    if not seen:
        names = ", ".join(str(f) for f in folders)
        raise NotFoundError(_("No DICOM file found in {names}.").format(names=names))
    return PreparedExams(group_studies(list(seen.values())), skipped, errors)


def dossier_identity(patient: Patient) -> PatientIdentity:
    qualified = patient.identity_status == "qualified"
    return PatientIdentity(
        last_name=patient.last_name,
        first_name=patient.first_name,
        patient_id=patient.identifier,
        birth_date=patient.birth_date,
        ins_matricule=patient.ins_matricule if qualified else None,
    )


def check_identity(studies: Sequence[StudyOnDisk], patient: Patient) -> list[FieldDiff]:
    """Raise IdentityMismatch if a study is another patient's; return identifier warnings."""
    expected = dossier_identity(patient)
    warnings: list[FieldDiff] = []
    for study in studies:
        check = compare(expected, study.patient)
        if not check.ok:
            raise IdentityMismatch(
                side_by_side(study.study_instance_uid, expected, study.patient), identity_hint()
            )
        warnings += check.warnings
    return warnings


def identity_hint() -> str:
    return _("Check that you picked the right exam and the right dossier; nothing was uploaded.")


def ensure_open(dossier: Dossier) -> None:
    if dossier.status not in OPEN_STATUSES:
        raise RuleError(
            _("Dossier {id} is {status}: it accepts no more exams.").format(
                id=dossier.id, status=status_label(dossier.status)
            ),
            hint=_("Create a new dossier for these images."),
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
    report.wrapped = [instance for instance in instances if instance.wrapped]
    present = client.lookup_instances([i.sop_instance_uid for i in instances])
    to_send = []
    for instance in instances:
        item = _item(instance)
        if instance.sop_instance_uid not in present:
            to_send.append(item)
        elif _sha256(item) == present[instance.sop_instance_uid]:
            report.already_present += 1
            report.present_instances.append((item.sop_instance_uid, present[item.sop_instance_uid]))
        else:
            report.failed.append(_different_bytes(item, present[instance.sop_instance_uid]))
    observer.uploading(len(to_send), sum(item.size for item in to_send))
    with ThreadPoolExecutor(UPLOAD_CONNECTIONS) as pool:
        jobs = [
            pool.submit(store_with_retries, client, b, observer.advanced) for b in batches(to_send)
        ]
        for job in jobs:
            for outcome in job.result():
                (report.sent if outcome.ok else report.failed).append(outcome)
    return report


def _item(instance: InstanceFile) -> UploadItem:
    """What to send: the file, or an archive member, behind a Part 10 prefix if legacy."""
    prefix = part10_prefix(instance)
    if not prefix and not instance.member:
        return UploadItem(instance.path, instance.sop_instance_uid, instance.size)
    size = instance.size + len(prefix)
    return UploadItem(
        instance.path, instance.sop_instance_uid, size, lambda: open_part10(instance, prefix)
    )


def _different_bytes(item: UploadItem, held_sha256: str) -> UploadOutcome:
    """The platform holds other bytes under this SOP Instance UID: refused for good."""
    reason = _("the platform already holds different bytes under this SOP Instance UID")
    answer = StoredInstance(item.sop_instance_uid, None, "refused", held_sha256, reason)
    return UploadOutcome(item, _sha256(item), answer)


def _sha256(item: UploadItem | Path) -> str:
    digest = hashlib.sha256()
    with item.open("rb") if isinstance(item, Path) else item.open_stream() as stream:
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
    failed_studies.update(report.incomplete_studies)
    complete = [uid for uid in report.study_uids if uid not in failed_studies]
    if complete:
        report.dossier = client.attach_exams(dossier_id, complete)
    raise_if_failed(report)


def raise_if_failed(report: TransferReport) -> None:
    """UploadIncomplete (exit 8) when a rerun can finish the transfer, else UploadRefused (6)."""
    resume = _("Run the same command again to resume; what arrived is not sent again.")
    if report.missing and not report.retryable:
        missing = "; ".join(report.missing)
        message = _("The retrieval was incomplete: {missing}.").format(missing=missing)
        raise UploadIncomplete(message, resume, report)
    if report.retryable:
        first, n = report.retryable[0], len(report.retryable)
        raise UploadIncomplete(
            ngettext(
                "{n} instance did not reach the platform (first: {path}: {problem}).",
                "{n} instances did not reach the platform (first: {path}: {problem}).",
                n,
            ).format(n=n, path=first.item.path, problem=first.problem),
            resume,
            report,
        )
    if report.refused:
        raise UploadRefused(_refusal_message(report.refused), _refusal_hint(), report)


def _refusal_message(refused: Sequence[UploadOutcome]) -> str:
    lines = [
        ngettext(
            "The platform refused {n} instance; its study was not attached:",
            "The platform refused {n} instances; their studies were not attached:",
            len(refused),
        ).format(n=len(refused))
    ]
    lines += [f"  {o.item.path}: {o.problem}" for o in refused]
    return "\n".join(lines)


def _refusal_hint() -> str:
    return _(
        "Running the command again will not help: ask for a new copy of these images, "
        "or send the study without them from a copy of the folder."
    )


def _study_of(report: TransferReport, sop_instance_uid: str) -> str:
    for study in report.studies:
        if any(i.sop_instance_uid == sop_instance_uid for i in study.instances):
            return study.study_instance_uid
    return ""


# ---------------------------------------------------------------------------------------
# Sources: a PACS, a folder/CD/zip, or the platform's own store (issue 6)
# ---------------------------------------------------------------------------------------
QUEUE_SIZE = 64
"""Staged instances waiting for upload; a full queue slows the PACS down (back-pressure)."""
PIPELINE_CONNECTIONS = 2
"""Uploaders beside a retrieval: on two cores, more only add contention (bench/README.md)."""
RETRIES = 4
BACKOFF = 0.5


@dataclass(frozen=True)
class ResolvedSource:
    """A source with the studies it will give, as their headers describe them."""

    source: ExamSource
    studies: list[StudyMatch]

    @property
    def patient(self) -> PatientIdentity:
        """The patient of the (first) study, read from its DICOM header."""
        first = self.studies[0]
        return PatientIdentity.from_dicom(
            first.patient_name,
            first.patient_id,
            first.birth_date.strftime("%Y%m%d") if first.birth_date else None,
        )


def resolve_source(source: ExamSource, client: PlatformClient | None = None) -> ResolvedSource:
    """Find the studies of `source` (C-FIND, folder headers, or QIDO-RS) without moving them.

    Raises NotFoundError (exit 5) when the study is not there, UsageError when a PACS or
    platform source has no study UID.
    """
    uid = source.study_instance_uid
    if source.kind == "dir":
        studies = [m for folder in source.folders for m in list_studies(folder).studies]
        studies = [s for s in studies if uid is None or s.study_instance_uid == uid]
    elif uid is None:
        raise UsageError(
            _("Say which study to take."), hint=_("Give --study UID (see `exam find`).")
        )
    elif source.kind == "pacs" and source.node is not None:
        studies = find_studies(source.node, StudyQuery(study_instance_uid=uid))
    elif source.kind == "local" and client is not None:
        params = qido_params(StudyQuery(study_instance_uid=uid))
        studies = [study_match_from_json(d) for d in search_studies(client, params)]
    else:
        raise UsageError(_("Unknown exam source {kind!r}.").format(kind=source.kind))
    if not studies:
        where = source.node.name if source.node else ", ".join(map(str, source.folders))
        message = _("No study {uid} found in {where}.") if uid else _("No study found in {where}.")
        raise NotFoundError(message.format(uid=uid, where=where or _("the platform")))
    return ResolvedSource(source, studies)


def transfer_source(
    client: PlatformClient,
    resolved: ResolvedSource,
    patient: Patient,
    observer: TransferObserver | None = None,
    accept_identity: str | None = None,
) -> TransferReport:
    """Check the identity, then bring the studies of `resolved` onto the platform (no attach).

    Fits `dossiers.ExamUploader` once bound: `functools.partial(transfer_source,
    resolved=r)` gives `(client, patient, observer) -> TransferReport`. A PACS source is
    retrieved into private staging and uploaded as it arrives; `local` uploads nothing.
    Raises IdentityMismatch (exit 6) unless `accept_identity` gives a reason,
    PartialTransfer (exit 8) when instances are missing, ConnectionFailure (exit 7).
    """
    expected = dossier_identity(patient)
    warnings = _check_matches(resolved.studies, expected, accept_identity)
    kind = resolved.source.kind
    if kind == "dir":
        source = resolved.source
        prepared = prepare_sources(source.folders, source.study_instance_uid, source.series)
        warnings += _check_instances(prepared.instances, expected, accept_identity)
        report = upload(client, prepared, observer)
    elif kind == "local":
        report = TransferReport([])
        report.local_study_uids = [s.study_instance_uid for s in resolved.studies]
    else:
        report = _retrieve_and_upload(client, resolved, expected, accept_identity, observer)
    report.identity_warnings = warnings
    report.accepted_identity = accept_identity
    return report


def prepare_sources(
    folders: Iterable[Path], study_instance_uid: str | None = None, series: Sequence[str] = ()
) -> PreparedExams:
    """Like `prepare_folders`, also reading zip files and CD images, keeping one study (and
    some of its series) if asked."""
    seen: dict[str, InstanceFile] = {}
    skipped: list[Path] = []
    errors: list[FileError] = []
    for folder in folders:
        scan = scan_source(folder)
        skipped += scan.skipped
        errors += scan.errors
        for instance in scan.instances:
            if study_instance_uid in (None, instance.study_instance_uid) and (
                not series or instance.series_instance_uid in series
            ):
                seen.setdefault(instance.sop_instance_uid, instance)
    if not seen:
        names = ", ".join(str(f) for f in folders)
        raise NotFoundError(_("No DICOM file found in {names}.").format(names=names))
    return PreparedExams(group_studies(list(seen.values())), skipped, errors)


def check_matches(studies: Sequence[StudyMatch], patient: Patient) -> list[FieldDiff]:
    """Raise IdentityMismatch if a study found (PACS, platform) is another patient's."""
    return _check_matches(studies, dossier_identity(patient), None)


def _check_matches(
    studies: Sequence[StudyMatch], expected: PatientIdentity, accept: str | None
) -> list[FieldDiff]:
    warnings: list[FieldDiff] = []
    for study in studies:
        found = PatientIdentity.from_dicom(
            study.patient_name,
            study.patient_id,
            study.birth_date.strftime("%Y%m%d") if study.birth_date else None,
        )
        warnings += _judge(study.study_instance_uid, expected, found, accept)
    return warnings


def _check_instances(
    instances: Iterable[InstanceFile], expected: PatientIdentity, accept: str | None
) -> list[FieldDiff]:
    warnings: list[FieldDiff] = []
    seen: set[PatientIdentity] = set()
    for instance in instances:
        if instance.patient not in seen:
            seen.add(instance.patient)
            warnings += _judge(instance.study_instance_uid, expected, instance.patient, accept)
    return warnings


def _judge(
    study_uid: str, expected: PatientIdentity, found: PatientIdentity, accept: str | None
) -> list[FieldDiff]:
    check = compare(expected, found)
    if check.ok:
        return check.warnings
    if accept:
        return [*check.mismatches, *check.warnings]
    raise IdentityMismatch(side_by_side(study_uid, expected, found), accept_hint())


def accept_hint() -> str:
    return _(
        "Check the exam and the dossier; nothing was uploaded. If they really are the same "
        'person, run again with --accept-identity "REASON".'
    )


# the PACS pipeline ---------------------------------------------------------------------
def staging_dir(*key: str) -> Path:
    """A private (0700) staging folder for one retrieval, emptied of any earlier attempt."""
    root = staging_root()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(root, 0o700)
    folder = root / hashlib.sha256("\0".join(key).encode()).hexdigest()[:32]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700)
    return folder


class _Pipeline:
    """Staged instances flow through a bounded queue to PIPELINE_CONNECTIONS uploaders."""

    def __init__(
        self,
        client: PlatformClient,
        expected: PatientIdentity,
        accept: str | None,
        observer: TransferObserver,
        lookup: bool = True,
    ) -> None:
        self.client, self.expected, self.accept, self.observer = client, expected, accept, observer
        self.lookup = lookup
        """Ask the platform what it holds before each batch (not when already asked)."""
        self.queue: queue.Queue[InstanceFile | None] = queue.Queue(QUEUE_SIZE)
        self.instances: list[InstanceFile] = []
        self.report = TransferReport([])
        self.lock = threading.Lock()
        self.errors: list[BaseException] = []
        self.workers = [
            threading.Thread(target=self._work, daemon=True) for _ in range(PIPELINE_CONNECTIONS)
        ]

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def on_stored(self, path: Path) -> None:
        """Called in the DICOM thread for each received file: check it, then queue it."""
        if self.errors:
            raise self.errors[0]
        scan = FolderScan()
        read_into(scan, path)
        if not scan.instances:
            reason = scan.errors[0].reason if scan.errors else _("not a DICOM instance")
            raise OrtifError(
                _("The PACS sent an unusable instance ({reason}).").format(reason=reason)
            )
        instance = scan.instances[0]
        self.report.identity_warnings += _check_instances([instance], self.expected, self.accept)
        with self.lock:
            self.instances.append(instance)
        self.observer.advanced(0)
        self.queue.put(instance)

    def finish(self) -> None:
        for _worker in self.workers:
            self.queue.put(None)
        for worker in self.workers:
            worker.join()
        if self.errors:
            raise self.errors[0]

    def _work(self) -> None:
        done = False
        while not done:
            batch: list[InstanceFile] = []
            item = self.queue.get()
            while item is not None:
                batch.append(item)
                if len(batch) >= BATCH_COUNT:
                    break
                try:
                    item = self.queue.get(timeout=0.05)
                except queue.Empty:
                    break
            done = item is None
            if batch:
                try:
                    self._send(batch)
                except BaseException as exc:  # the retrieval thread re-raises it
                    self.errors.append(exc)
                    return

    def _send(self, batch: list[InstanceFile]) -> None:
        uids = [i.sop_instance_uid for i in batch]
        present = self.client.lookup_instances(uids) if self.lookup else {}
        items, already, failed = [], 0, []
        verified: list[tuple[str, str]] = []
        for instance in batch:
            item = _item(instance)
            if instance.sop_instance_uid not in present:
                items.append(item)
            elif _sha256(item) == present[instance.sop_instance_uid]:
                already += 1
                verified.append((item.sop_instance_uid, present[item.sop_instance_uid]))
                self.observer.advanced(instance.size)
            else:
                failed.append(_different_bytes(item, present[instance.sop_instance_uid]))
        outcomes = store_with_retries(self.client, items, self.observer.advanced)
        with self.lock:
            self.report.already_present += already
            self.report.present_instances += verified
            self.report.failed += failed
            for outcome in outcomes:
                (self.report.sent if outcome.ok else self.report.failed).append(outcome)
        for instance in batch:
            with suppress(OSError):
                if not any(o.item.sop_instance_uid == instance.sop_instance_uid for o in failed):
                    instance.path.unlink()


BATCH_COUNT = 50


def store_with_retries(
    client: PlatformClient, items: Sequence[UploadItem], on_bytes: Callable[[int], None]
) -> list[UploadOutcome]:
    """store_batch, retried with backoff on connection errors and 5xx answers."""
    if not items:
        return []
    for attempt in range(RETRIES):
        try:
            return store_batch(client, items, on_bytes)
        except (ConnectionFailure, ServerFailure) as exc:
            if attempt == RETRIES - 1:
                return [UploadOutcome(i, "", None, str(exc.message)) for i in items]
            time.sleep(BACKOFF * 2**attempt)
    return []  # pragma: no cover


def _retrieve_and_upload(
    client: PlatformClient,
    resolved: ResolvedSource,
    expected: PatientIdentity,
    accept: str | None,
    observer: TransferObserver | None,
) -> TransferReport:
    node = resolved.source.node
    assert node is not None
    observer = observer or _Silent()
    report = TransferReport([])
    series = resolved.source.series
    for study in resolved.studies:
        uid = study.study_instance_uid
        held = _platform_holds(client, uid)
        wanted = _missing_instances(client, node, uid, report, series) if held else None
        staging = staging_dir(node.name, node.host, str(node.port), uid)
        pipeline = _Pipeline(client, expected, accept, observer, lookup=held and wanted is None)
        count = len(wanted) if wanted is not None else study.instance_count or 0
        observer.uploading(count, 0)
        pipeline.start()
        try:
            if wanted is not None:
                got = get_instances(node, uid, wanted, staging, pipeline.on_stored)
            elif node.retrieve == "move":
                keys = retrieve_identifier(uid, series)
                got = move_study(node, uid, staging, pipeline.on_stored, count, identifier=keys)
            else:
                got = get_study(node, uid, staging, pipeline.on_stored, series)
        finally:
            pipeline.finish()
            shutil.rmtree(staging, ignore_errors=True)
        _merge(report, pipeline, study, got, count)
        if wanted is not None and not pipeline.instances and uid not in report.incomplete_studies:
            report.local_study_uids.append(uid)  # all there already: attach only
    return report


def _platform_holds(client: PlatformClient, study_instance_uid: str) -> bool:
    """Whether the platform holds any instance of the study that we may see (QIDO-RS).

    When it holds none (the usual first transfer), there is nothing to skip: the study is
    retrieved whole, without an IMAGE level C-FIND nor a lookup before each batch.
    """
    params = qido_params(StudyQuery(study_instance_uid=study_instance_uid))
    return bool(search_studies(client, params, limit=1))


def _missing_instances(
    client: PlatformClient,
    node: PacsNode,
    study_instance_uid: str,
    report: TransferReport,
    series: Sequence[str] = (),
) -> list[tuple[str, str]] | None:
    """For C-GET: the (series, SOP) the platform lacks; those it holds are counted as present.

    None when the node cannot list a study's instances: the study is then retrieved whole.
    """
    if node.retrieve != "get":
        return None
    listing = find_instances(node, study_instance_uid)
    if not listing:
        return None
    listing = [(uid, sop) for uid, sop in listing if not series or uid in series]
    present = client.lookup_instances([sop for _, sop in listing])
    report.already_present += sum(1 for _, sop in listing if sop in present)
    report.present_instances += [(sop, present[sop]) for _, sop in listing if sop in present]
    return [(series, sop) for series, sop in listing if sop not in present]


def _merge(
    report: TransferReport,
    pipeline: _Pipeline,
    study: StudyMatch,
    got: RetrieveReport,
    expected: int,
) -> None:
    done = pipeline.report
    report.sent += done.sent
    report.failed += done.failed
    report.already_present += done.already_present
    report.present_instances += done.present_instances
    report.identity_warnings += done.identity_warnings
    if pipeline.instances:
        report.studies += group_studies(pipeline.instances)
    expected = max(expected, int(got.completed or 0))
    received = len(pipeline.instances)
    if received < expected or got.failed:
        report.incomplete_studies.append(study.study_instance_uid)
        line = _("study {uid}: {received} of {expected} instances received").format(
            uid=study.study_instance_uid, received=received, expected=expected
        )
        if got.failed:
            line += ", " + _("{n} failed on the PACS").format(n=got.failed)
        if got.failed_uids:
            line += " (" + ", ".join(got.failed_uids) + ")"
        report.missing.append(line)


def add_exams_from(
    client: PlatformClient,
    dossier_id: int,
    resolved: ResolvedSource,
    observer: TransferObserver | None = None,
    accept_identity: str | None = None,
) -> TransferReport:
    """The whole of `ortif exam add`: check, transfer, attach complete studies.

    An accepted identity difference is recorded as an `info` step comment when the
    dossier is sent (a draft takes no step: the reason is then in the receipt only).
    """
    dossier = client.get_dossier(dossier_id)
    ensure_open(dossier)
    report = transfer_source(client, resolved, dossier.patient, observer, accept_identity)
    try:
        attach_complete(client, dossier_id, report)
    finally:
        if accept_identity and report.dossier is not None and dossier.status == "sent":
            comment = (
                "Patient identity difference accepted for "
                + ", ".join(report.study_uids)
                + f": {accept_identity}"
            )
            report.dossier = client.add_step(dossier_id, "info", comment)
    return report


def receipt(report: TransferReport, dossier_id: int | None) -> dict[str, object]:
    """The JSON receipt of `--receipt FILE`: what reached the platform, with SHA-256."""
    wrapped = {instance.sop_instance_uid for instance in report.wrapped}
    instances = [
        {
            "sop_instance_uid": o.item.sop_instance_uid,
            "sha256": o.sent_sha256,
            "status": o.answer.status if o.answer else "failed",
            "server_sha256": o.answer.sha256 if o.answer else None,
            "problem": o.problem,
            "wrapped": o.item.sop_instance_uid in wrapped,
        }
        for o in [*report.sent, *report.failed]
    ] + [
        {
            "sop_instance_uid": uid,
            "sha256": sha,
            "status": "already_present",
            "server_sha256": sha,
            "problem": None,
            "wrapped": uid in wrapped,
        }
        for uid, sha in report.present_instances
    ]
    dossier = report.dossier
    return {
        "dossier_id": dossier_id,
        "study_instance_uids": report.study_uids,
        "instances": instances,
        "already_present": report.already_present,
        **files_report(report),
        "accepted_identity": report.accepted_identity,
        "identity_warnings": [
            {"field": w.field, "expected": w.expected, "found": w.found}
            for w in report.identity_warnings
        ],
        "server": {
            "dossier_status": dossier.status if dossier else None,
            "exam_count": dossier.exam_count if dossier else None,
        },
        "complete": not report.failed and not report.missing,
    }


def files_report(report: TransferReport) -> dict[str, list[dict[str, str]]]:
    """The files worth naming: wrapped, unreadable, refused, and not sent for now."""

    def outcomes(chosen: list[UploadOutcome]) -> list[dict[str, str]]:
        return [
            {
                "path": str(o.item.path),
                "sop_instance_uid": o.item.sop_instance_uid,
                "reason": o.problem or "",
            }
            for o in chosen
        ]

    return {
        "wrapped_files": [
            {"path": i.label, "sop_instance_uid": i.sop_instance_uid, "framing": i.framing}
            for i in report.wrapped
        ],
        "unreadable_files": [{"path": str(e.path), "reason": e.reason} for e in report.errors],
        "refused": outcomes(report.refused),
        "failed": outcomes(report.retryable),
    }
