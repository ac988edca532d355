"""`ortif demo`: one complete imaging transfer on a throwaway local platform.

A requester sends a CT study (patient LEFÈVRE Hélène) to an expert, who is notified,
reads the dossier and acknowledges it; the requester is notified and the dossier is
closed. Finally every instance on the platform is checked against the files sent.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ortif_cli import recipients
from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Patient
from ortif_cli.dicom.sample import write_sample_study
from ortif_cli.dossiers import DossierRequest, create_dossier
from ortif_cli.errors import RuleError
from ortif_cli.localserver import Account, LocalServer
from ortif_cli.transfer import TransferObserver

Say = Callable[[str], None]
PATIENT = Patient("LEFÈVRE", "PID-0001", "Hélène", date(1970, 2, 14), "F")


@dataclass
class DemoResult:
    server: str
    dossier_id: int
    status: str
    instances: int
    verified: int
    steps: list[str] = field(default_factory=list)


def _accounts() -> tuple[Account, Account]:
    requester = Account(
        "mdurand", secrets.token_urlsafe(12), "DURAND", "Marie", "CH Ville-Évrard", "Radiologie"
    )
    expert = Account(
        "pmartin", secrets.token_urlsafe(12), "MARTIN", "Pierre", "CHU Lyon", "Neuroradiologie"
    )
    return requester, expert


def run_demo(workdir: Path, say: Say, observer: TransferObserver | None = None) -> DemoResult:
    """Start a local platform in `workdir`, run the whole flow, verify, stop the server."""
    requester, expert = _accounts()
    with LocalServer(workdir / "platform") as server:
        server.init()
        for account in (requester, expert):
            server.add_user(account)
        server.start()
        say(
            f"1. Local platform started at {server.url} with users "
            f"{requester.username} (requester) and {expert.username} (expert)."
        )
        study = write_sample_study(
            workdir / "cd",
            patient_name="LEFÈVRE^Hélène",
            patient_id=PATIENT.identifier,
            birth_date="19700214",
        )
        say(f"2. A CT study of {len(study.paths)} images written to {workdir / 'cd'}.")
        dossier_id, count = _send(server.url, requester, expert, workdir / "cd", say, observer)
        _acknowledge(server.url, expert, dossier_id, say)
        status = _check_closed(server.url, requester, dossier_id, say)
        verified = _verify(server.url, requester, study.paths, say)
    return DemoResult(server.url, dossier_id, status, count, verified)


def _client(url: str, account: Account) -> PlatformClient:
    with PlatformClient(url) as anonymous:
        session = anonymous.login(account.username, account.password)
    return PlatformClient(url, session.access_token)


def _send(
    url: str,
    requester: Account,
    expert: Account,
    folder: Path,
    say: Say,
    observer: TransferObserver | None,
) -> tuple[int, int]:
    with _client(url, requester) as client:
        to = recipients.resolve(
            client, f"{expert.establishment}/{expert.community}/{expert.last_name}"
        )
        request = DossierRequest(
            [to],
            PATIENT,
            comment="Avis sur scanner thoracique, merci.",
            exam_dirs=[folder],
            send=True,
        )
        dossier, report = create_dossier(client, request, observer)
    count = len(report.sent) + report.already_present if report else 0
    say(
        f"3. {requester.username} created dossier {dossier.id} for {to.label}, "
        f"uploaded {count} images and sent it ({dossier.status})."
    )
    return dossier.id, count


def _acknowledge(url: str, expert: Account, dossier_id: int, say: Say) -> None:
    with _client(url, expert) as client:
        news = client.notifications(unread=True)
        say(
            f"4. {expert.username} has {len(news)} new notification(s): "
            + ", ".join(f"{n.kind} #{n.dossier_id}" for n in news)
        )
        dossier = client.get_dossier(dossier_id)
        exams = sum(len(step.exams) for step in dossier.steps)
        say(
            f"5. {expert.username} opened dossier {dossier_id}: patient "
            f"{dossier.patient.last_name} {dossier.patient.first_name}, {exams} exam(s)."
        )
        dossier = client.add_step(dossier_id, "ack", "Bien reçu.")
        say(f"6. {expert.username} acknowledged receipt; the dossier is {dossier.status}.")


def _check_closed(url: str, requester: Account, dossier_id: int, say: Say) -> str:
    with _client(url, requester) as client:
        news = client.notifications(unread=True)
        status = client.get_dossier(dossier_id).status
    say(
        f"7. {requester.username} was notified ({', '.join(n.kind for n in news)}); "
        f"dossier {dossier_id} is {status}."
    )
    return status


def _verify(url: str, requester: Account, paths: list[Path], say: Say) -> int:
    """Compare the SHA-256 the platform holds with each file's own."""
    from pydicom import dcmread

    local = {str(dcmread(p, stop_before_pixels=True).SOPInstanceUID): _sha256(p) for p in paths}
    with _client(url, requester) as client:
        held = client.lookup_instances(list(local))
    if held != local:
        raise RuleError("The platform does not hold exactly the images sent.")
    say(f"8. Verified: the platform holds all {len(held)} images, SHA-256 identical.")
    return len(held)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
