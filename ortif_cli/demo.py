"""`ortif demo`: one complete imaging transfer on a throwaway local platform and PACS.

A local PACS holds a CT study of patient LEFÈVRE Hélène. A requester finds it there
(C-FIND), retrieves it (C-GET) while uploading it to the platform, and sends it in a
dossier to an expert, who is notified, reads the dossier and acknowledges it; the
requester is notified and the dossier is closed. Finally every instance on the platform
is checked, SHA-256 against the PACS's own file. With a `view` hook, the expert also
opens the images in the platform's viewer (OHIF) before acknowledging.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ortif_cli import recipients
from ortif_cli.api.client import PlatformClient
from ortif_cli.api.models import Patient
from ortif_cli.dicom.local_pacs import LocalPacs
from ortif_cli.dicom.sample import write_sample_study
from ortif_cli.dossiers import DossierRequest, create_dossier
from ortif_cli.errors import RuleError
from ortif_cli.localserver import Account, LocalServer
from ortif_cli.pacs_nodes import PacsNode
from ortif_cli.transfer import (
    ExamSource,
    ResolvedSource,
    TransferObserver,
    TransferReport,
    resolve_source,
    transfer_source,
)

if TYPE_CHECKING:
    from pydicom import Dataset

    from ortif_cli.dossiers import ExamUploader

Say = Callable[[str], None]
View = Callable[[str], None]
"""Given the expert's one-time viewer link while the platform is up (opens it, waits)."""
GuestWait = Callable[[str, str], None]
"""Shows a guest's link and access code and returns when the person has tried them."""
GUEST_EMAIL = "chloe.noel@cabinet.example"
LINK = re.compile(r"https?://\S+/guest/[A-Za-z0-9_-]+")
CODE = re.compile(r"code[^:\n]*:\s*([A-Z0-9]{8})\b")
PATIENT = Patient("LEFÈVRE", "PID-0001", "Hélène", date(1970, 2, 14), "F")


@dataclass
class DemoResult:
    server: str
    dossier_id: int
    status: str
    instances: int
    verified: int
    steps: list[str] = field(default_factory=list)


def _accounts(psc: bool) -> tuple[Account, Account]:
    """The requester and the expert; with `psc`, each has an RPPS number."""
    requester = Account(
        "mdurand", secrets.token_urlsafe(12), "DURAND", "Marie", "CH Ville-Évrard", "Radiologie"
    )
    expert = Account(
        "pmartin", secrets.token_urlsafe(12), "MARTIN", "Pierre", "CHU Lyon", "Neuroradiologie"
    )
    if psc:
        requester.rpps, expert.rpps = "10001234567", "10007654321"
    return requester, expert


def run_demo(
    workdir: Path,
    say: Say,
    observer: TransferObserver | None = None,
    view: View | None = None,
    guest: GuestWait | None = None,
    *,
    psc: bool = False,
    psc_provider: Path | None = None,
) -> DemoResult:
    """Start a local platform and PACS in `workdir`, run the whole flow, verify, stop both.

    With `view`, the platform serves the viewer (installed in `workdir` with npm the first
    time) and the expert's link to it is given to `view` before the acknowledgement.
    With `guest`, a guest is invited once the dossier is sent, and `guest` gets the link
    and the code (the platform's messages, kept in `workdir`/outbox) before the expert
    acknowledges: a person can try the guest's pages in a browser meanwhile. With `psc`,
    the sign-ins go through a local Pro Santé Connect provider (Node.js).
    """
    if psc:
        from ortif_cli.psc_provider import provider_dir

        provider_dir(psc_provider)  # exit 2 saying how to get it, before anything starts
    requester, expert = _accounts(psc)
    study = write_sample_study(
        workdir / "pacs",
        patient_name="LEFÈVRE^Hélène",
        patient_id=PATIENT.identifier,
        birth_date="19700214",
        series=3,
        instances_per_series=10,
        rows=256,
        columns=256,
    )
    with ExitStack() as stack:
        outbox = ("--outbox", str(workdir / "outbox")) if guest else ()
        server = stack.enter_context(LocalServer(workdir / "platform", serve_args=outbox))
        server.init()
        for account in (requester, expert):
            server.add_user(account)
        if view is not None:
            server.install_viewer()
        connect = _sign_ins(stack, workdir, server, [requester, expert], psc_provider, say)
        server.start()
        pacs = LocalPacs(workdir / "pacs").start()
        stack.callback(pacs.stop)
        say(
            f"1. Local platform started at {server.url} with users "
            f"{requester.username} (requester) and {expert.username} (expert)."
        )
        say(
            f"2. Local PACS {pacs.ae_title} listening on 127.0.0.1:{pacs.port}, holding a "
            f"CT study of {len(study.paths)} images of patient LEFÈVRE Hélène."
        )
        node = PacsNode("demo-pacs", "127.0.0.1", pacs.port, pacs.ae_title)
        source = ExamSource("pacs", study.study_instance_uid, node=node)
        dossier_id, count = _send(connect, requester, expert, source, say, observer)
        if guest is not None:
            _invite_guest(connect, requester, dossier_id, workdir / "outbox", guest)
        inbox = workdir / "inbox"
        received = _acknowledge(connect, expert, dossier_id, (inbox, view), say)
        status = _check_closed(connect, requester, dossier_id, say)
        verified = _verify(study.paths, received, say)
    return DemoResult(server.url, dossier_id, status, count, verified)


Connect = Callable[[Account], PlatformClient]


def _sign_ins(
    stack: ExitStack,
    workdir: Path,
    server: LocalServer,
    accounts: list[Account],
    psc_provider: Path | None,
    say: Say,
) -> Connect:
    """How the demo's people sign in: passwords, or Pro Santé Connect through a local
    provider (started here, stopped with `stack`)."""
    if not any(account.rpps for account in accounts):
        return partial(_password_client, server.url)
    from ortif_cli.demo_psc import PscSignIns, start_provider

    provider = stack.enter_context(start_provider(workdir, server, accounts, psc_provider))
    say(
        f"0. Local Pro Santé Connect provider (oidc-provider) at {provider.issuer}; the "
        "platform is its OpenID client, the CLI holds no secret of it."
    )
    return PscSignIns(server.url, provider, say).client


def _password_client(url: str, account: Account) -> PlatformClient:
    with PlatformClient(url) as anonymous:
        session = anonymous.login(account.username, account.password)
    return PlatformClient(url, session.access_token)


def _send(
    connect: Connect,
    requester: Account,
    expert: Account,
    source: ExamSource,
    say: Say,
    observer: TransferObserver | None,
) -> tuple[int, int]:
    with connect(requester) as client:
        resolved = resolve_source(source, client)
        found = resolved.studies[0]
        say(
            f"3. {requester.username} found the study on the PACS (C-FIND): "
            f"{found.description}, {found.instance_count} images."
        )
        to = recipients.resolve(
            client, f"{expert.establishment}/{expert.community}/{expert.last_name}"
        )
        request = DossierRequest(
            [to],
            PATIENT,
            comment="Avis sur scanner thoracique, merci.",
            exam_sources=[_uploader(resolved)],
            send=True,
        )
        dossier, uploaded = create_dossier(client, request, observer)
    count = len(uploaded.sent) + uploaded.already_present
    say(
        f"4. {requester.username} retrieved it (C-GET), uploading each image as it arrived "
        f"({count} images, SHA-256 checked), created dossier {dossier.id} for {to.label} "
        f"and sent it ({dossier.status})."
    )
    return dossier.id, count


def _invite_guest(
    connect: Connect, requester: Account, dossier_id: int, outbox: Path, guest: GuestWait
) -> None:
    """Invite a guest as the requester; hand its link and code (from the outbox) to `guest`."""
    contact = {"last_name": "NOËL", "first_name": "Chloé", "email": GUEST_EMAIL}
    with connect(requester) as client:
        client.invite(dossier_id, contact)
    texts = "\n".join(
        json.loads(path.read_text("utf-8"))["text"] for path in sorted(outbox.glob("*.json"))
    )
    link, code = LINK.search(texts), CODE.search(texts)
    if link is None or code is None:
        raise RuleError("The local platform sent no guest link and code.")
    guest(link.group(0), code.group(1))


def _uploader(resolved: ResolvedSource) -> ExamUploader:
    def upload(
        client: PlatformClient, patient: Patient, observer: TransferObserver | None
    ) -> TransferReport:
        return transfer_source(client, resolved, patient, observer)

    return upload


def _acknowledge(
    connect: Connect, expert: Account, dossier_id: int, where: tuple[Path, View | None], say: Say
) -> list[Path]:
    """The expert is notified, downloads the images (SHA-256 checked), sees them in the
    viewer if asked to, and acknowledges."""
    from ortif_cli.pull import pull

    inbox, view = where
    with connect(expert) as client:
        news = client.notifications(unread=True)
        say(
            f"5. {expert.username} has {len(news)} new notification(s): "
            + ", ".join(f"{n.kind} #{n.dossier_id}" for n in news)
        )
        dossier = client.get_dossier(dossier_id)
        pulled = pull(client, dossier_id, inbox)
        say(
            f"6. {expert.username} opened dossier {dossier_id} (patient "
            f"{dossier.patient.last_name} {dossier.patient.first_name}) and downloaded its "
            f"{len(pulled.instances)} images to {pulled.folder}, each SHA-256 checked."
        )
        if view is not None:
            link = client.viewer_link(dossier_id)
            say(f"6b. {expert.username} opens the images in the viewer (OHIF) in the browser.")
            view(link.url)
        dossier = client.add_step(dossier_id, "ack", "Bien reçu.")
        say(f"7. {expert.username} acknowledged receipt; the dossier is {dossier.status}.")
    return pulled.instances


def _check_closed(connect: Connect, requester: Account, dossier_id: int, say: Say) -> str:
    with connect(requester) as client:
        news = client.notifications(unread=True)
        status = client.get_dossier(dossier_id).status
    say(
        f"8. {requester.username} was notified ({', '.join(n.kind for n in news)}); "
        f"dossier {dossier_id} is {status}."
    )
    return status


def _verify(sent: list[Path], received: list[Path], say: Say) -> int:
    """Every image of the PACS reached the expert once, identical element by element.

    The file meta information is the receiver's own (DICOM rewrites it at each hop), so
    the comparison is on the data sets: every element, pixel data included.
    """
    from pydicom import dcmread

    def by_uid(paths: list[Path]) -> dict[str, Dataset]:
        return {str(ds.SOPInstanceUID): ds for ds in map(dcmread, paths)}

    at_source, at_expert = by_uid(sent), by_uid(received)
    if len(received) != len(at_expert) or at_source != at_expert:
        raise RuleError("The images the expert received differ from the PACS's.")
    say(
        f"9. Verified: all {len(at_expert)} images reached the expert exactly once, "
        "identical to the PACS's, pixel data included."
    )
    return len(at_expert)
