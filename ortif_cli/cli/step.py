"""`ortif step add`: answer, further information or a second-opinion request."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ortif_cli.cli.access import participant_client
from ortif_cli.cli.context import app_context
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _
from ortif_cli.ui.serialize import to_json

app = OrtifTyper(help="Add steps [étapes] to a sent dossier.", no_args_is_help=True)


class Kind(str, Enum):
    answer = "answer"
    info = "info"
    second_opinion = "second-opinion"


@app.command()
def add(
    ctx: typer.Context,
    dossier_id: Annotated[int, typer.Argument(metavar="DOSSIER")],
    kind: Annotated[
        Kind,
        typer.Option(
            help="answer [réponse], info [informations complémentaires] or "
            "second-opinion [demande d'avis complémentaire]."
        ),
    ],
    comment: Annotated[str | None, typer.Option(metavar="TEXT", help="The step's text.")] = None,
    exam_dir: Annotated[
        list[Path] | None,
        typer.Option(metavar="DIR", help="Folder (or CD) of DICOM files; repeatable."),
    ] = None,
    attach: Annotated[
        list[Path] | None, typer.Option(metavar="FILE", help="Document to attach; repeatable.")
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PATH",
            help="second-opinion: who is asked, ESTABLISHMENT/COMMUNITY[/PERSON]; repeatable. "
            "To ask someone without an account, use the --invite-* options.",
        ),
    ] = None,
    invite_last_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="second-opinion: invite a guest.")
    ] = None,
    invite_first_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="The guest's first name.")
    ] = None,
    invite_email: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="The guest's email.")
    ] = None,
    invite_phone: Annotated[
        str | None, typer.Option(metavar="NUMBER", help="The guest's mobile (06..., +33 6...).")
    ] = None,
) -> None:
    """Add a step with its comment, exams and documents; the participants are notified.

    Guests may add steps to the dossier they were invited to.
    """
    from ortif_cli import recipients
    from ortif_cli.cli.dossier import warn_identity
    from ortif_cli.dossiers import StepRequest, add_step
    from ortif_cli.invitations import Contact, invite
    from ortif_cli.ui.progress import TransferProgress

    app_ = app_context(ctx)
    guest = None
    if invite_last_name or invite_first_name or invite_email or invite_phone:
        guest = Contact.checked(
            invite_last_name or "", invite_first_name or "", invite_email, invite_phone
        )
    if (to or guest) and kind is not Kind.second_opinion:
        raise UsageError(_("--to and --invite-* are only for a second-opinion step."))
    with participant_client(app_) as client:
        request = StepRequest(
            kind.value,
            comment,
            exam_dir or [],
            attach or [],
            [recipients.resolve(client, path) for path in to or []],
        )
        with TransferProgress(app_.output) as progress:
            dossier, uploaded = add_step(client, dossier_id, request, progress)
        invitation = invite(client, dossier_id, guest) if guest else None
    warn_identity(app_, uploaded.identity_warnings)
    if invitation:
        app_.output.message(
            _("{name} is invited: the link and the access code go as two messages.").format(
                name=f"{invitation.last_name} {invitation.first_name}"
            )
        )
    if app_.output.json_mode:
        app_.output.emit_json(to_json(dossier))
        return
    step = dossier.steps[-1]
    app_.output.message(
        _("Step {kind} added to dossier {id}: {exams} exam(s), {docs} document(s).").format(
            kind=step.kind, id=dossier.id, exams=len(step.exams), docs=len(step.documents)
        )
    )
    app_.output.data(str(step.id))
