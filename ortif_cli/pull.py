"""`dossier pull`: every exam and document of a dossier to disk, checked and resumable.

Layout under the output folder, with readable names safe on every file system::

    LEFEVRE Helene (PID-1)/
      2026-11-20 CT THORAX/
        01 CT AXIAL/IMG0001.dcm ...
      documents/compte-rendu.pdf

A file already present with the manifest's SHA-256 is not downloaded again; a download
goes to `NAME.part` (resumed with Range) and is renamed once its hash is checked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ortif_cli.api.client import PlatformClient
from ortif_cli.api.documents import download, sha256_of
from ortif_cli.api.models import Dossier, Exam, Manifest, ManifestExam, ManifestInstance
from ortif_cli.errors import PartialTransfer
from ortif_cli.i18n import _, ngettext
from ortif_cli.settings import Profile

NAME_LIMIT = 80
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*^]+')

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class PlannedFile:
    """One file of the dossier: where it goes, where it comes from, what it must hash to."""

    target: Path
    url: str
    sha256: str
    size: int
    accept: str
    study_instance_uid: str | None = None


@dataclass
class PullReport:
    folder: Path
    downloaded: list[Path] = field(default_factory=list)
    already_there: list[Path] = field(default_factory=list)
    instances: list[Path] = field(default_factory=list)
    documents: list[Path] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.downloaded) + len(self.already_there)


def safe_name(text: str, fallback: str = "unnamed") -> str:
    """A readable file name: no accents, no path or control characters, not too long."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = " ".join(_UNSAFE.sub(" ", bare).split()).strip(" .")
    return cleaned[:NAME_LIMIT].rstrip(" .") or fallback


def patient_folder(dossier: Dossier) -> str:
    patient = dossier.patient
    name = " ".join(filter(None, [patient.last_name, patient.first_name]))
    return safe_name(f"{name} ({patient.identifier})")


def plan(dossier: Dossier, manifest: Manifest, out: Path) -> list[PlannedFile]:
    """Every file to fetch, in a stable order, so a second run finds the same names."""
    root = out / patient_folder(dossier)
    exams = {e.study_instance_uid: e for step in dossier.steps for e in step.exams}
    files: list[PlannedFile] = []
    used: set[str] = set()
    for exam in manifest.exams:
        study_dir = root / _unique(_study_name(exam, exams.get(exam.study_instance_uid)), used)
        files += _plan_study(exam, study_dir)
    names: set[str] = set()
    for document in manifest.documents:
        name = safe_name(document.filename, "document")
        target = root / "documents" / _unique(name, names, Path(name).suffix)
        url = f"/api/v1/documents/{document.id}/content"
        files.append(PlannedFile(target, url, document.sha256, document.size, "*/*"))
    return files


def _study_name(exam: ManifestExam, known: Exam | None) -> str:
    day = known.study_date.isoformat() if known and known.study_date else ""
    modalities = ",".join(known.modalities) if known else ""
    words = [day, modalities, exam.study_description or ""]
    return safe_name(" ".join(w for w in words if w), "study")


def _plan_study(exam: ManifestExam, study_dir: Path) -> list[PlannedFile]:
    series: dict[str, list[ManifestInstance]] = {}
    for instance in exam.instances:
        series.setdefault(instance.series_instance_uid, []).append(instance)
    files = []
    for number, (series_uid, members) in enumerate(series.items(), start=1):
        first = members[0]
        label = " ".join(filter(None, [first.modality, first.series_description]))
        series_dir = study_dir / safe_name(f"{number:02d} {label}")
        ordered = sorted(members, key=lambda i: (i.instance_number or 0, i.sop_instance_uid))
        for index, instance in enumerate(ordered, start=1):
            url = (
                f"/dicomweb/studies/{exam.study_instance_uid}/series/{series_uid}"
                f"/instances/{instance.sop_instance_uid}"
            )
            target = series_dir / f"IMG{index:04d}.dcm"
            files.append(
                PlannedFile(
                    target,
                    url,
                    instance.sha256,
                    instance.size,
                    "application/dicom",
                    exam.study_instance_uid,
                )
            )
    return files


def _unique(name: str, used: set[str], suffix: str = "") -> str:
    """`name`, or `name (2)`... when taken; `suffix` (an extension) stays at the end."""
    stem = name[: len(name) - len(suffix)] if suffix else name
    candidate, n = name, 2
    while candidate.casefold() in used:
        candidate, n = f"{stem} ({n}){suffix}", n + 1
    used.add(candidate.casefold())
    return candidate


def pull(
    client: PlatformClient,
    dossier_id: int,
    out: Path,
    on_start: Callable[[int, int], None] | None = None,
    on_bytes: ProgressCallback | None = None,
) -> PullReport:
    """Download what is missing or wrong; keep what is already there with the right hash."""
    dossier = client.get_dossier(dossier_id)
    files = plan(dossier, client.manifest(dossier_id), out)
    report = PullReport(out / patient_folder(dossier))
    todo = [f for f in files if not _already_there(f)]
    missing = {f.target for f in todo}
    if on_start:
        on_start(len(todo), sum(f.size for f in todo))
    for planned in files:
        if planned.target in missing:
            planned.target.parent.mkdir(parents=True, exist_ok=True)
            download(
                client,
                planned.url,
                planned.target,
                planned.sha256,
                accept=planned.accept,
                on_bytes=on_bytes,
            )
            report.downloaded.append(planned.target)
        else:
            report.already_there.append(planned.target)
        kind = report.instances if planned.study_instance_uid else report.documents
        kind.append(planned.target)
    return report


def _already_there(planned: PlannedFile) -> bool:
    target = planned.target
    if not target.is_file() or target.stat().st_size != planned.size:
        return False
    return sha256_of(target) == planned.sha256


def store_to_pacs(profile: Profile, node_name: str, paths: Sequence[Path]) -> int:
    """C-STORE the pulled instances to a PACS node of the profile; PartialTransfer (exit 8)
    if it refused some. Returns how many it stored."""
    from ortif_cli.dicom.pacs import store_instances
    from ortif_cli.pacs_nodes import get_node

    report = store_instances(get_node(profile, node_name), paths)
    if report.failed:
        path, why = report.failed[0]
        raise PartialTransfer(
            ngettext(
                "{n} image did not reach the PACS node {node} (first: {path}: {why}).",
                "{n} images did not reach the PACS node {node} (first: {path}: {why}).",
                len(report.failed),
            ).format(n=len(report.failed), node=node_name, path=path.name, why=why),
            hint=_("Run the same command again: what is on disk is not downloaded twice."),
        )
    return len(report.stored)
