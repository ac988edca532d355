"""`ortif invite`: invite a health professional without an account [mode invité]."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ortif_cli.cli.access import member_client
from ortif_cli.cli.context import AppContext, app_context, missing
from ortif_cli.cli.errors import OrtifTyper
from ortif_cli.i18n import _
from ortif_cli.ui import render
from ortif_cli.ui.serialize import to_json

if TYPE_CHECKING:
    from ortif_cli.api.client import PlatformClient
    from ortif_cli.api.models import Professional
    from ortif_cli.invitations import Contact

EXIT_CANCELLED = 130


def invite(
    ctx: typer.Context,
    dossier_id: Annotated[int, typer.Argument(metavar="DOSSIER")],
    last_name: Annotated[str, typer.Option(metavar="NAME", help="The guest's last name.")],
    first_name: Annotated[str, typer.Option(metavar="NAME", help="The guest's first name.")],
    email: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Where the link (or code) goes.")
    ] = None,
    phone: Annotated[
        str | None,
        typer.Option(metavar="NUMBER", help="Mobile for the code by SMS: 06..., +33 6..."),
    ] = None,
    enrs_login: Annotated[
        str | None, typer.Option(metavar="LOGIN", help="The guest's ENRS login, if known.")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask; invite even if a match is found.")
    ] = False,
) -> None:
    """Invite someone into a dossier: the link and the access code go as two messages.

    Give at least --email or --phone. The platform first looks for professionals it
    already knows: you may add one of them as a correspondent instead. Invitations go to
    health professionals only, under the inviter's responsibility; access lasts 3 months.
    """
    from ortif_cli.invitations import Contact, known_professionals
    from ortif_cli.invitations import invite as send_invitation

    app_ = app_context(ctx)
    contact = Contact.checked(last_name, first_name, email, phone, enrs_login)
    if not yes and not app_.can_prompt:
        raise missing("--yes")
    with member_client(app_, "invite") as client:
        matches = known_professionals(client, dossier_id, contact)
        if matches and _add_instead(app_, client, dossier_id, matches, yes):
            return
        if not yes:
            _confirm(app_, contact, dossier_id)
        invitation = send_invitation(client, dossier_id, contact)
    if app_.output.json_mode:
        app_.output.emit_json(to_json(invitation))
        return
    app_.output.message(
        _(
            "Invitation sent to {name}: the link by {link}, the access code by {code}; "
            "valid until {until}."
        ).format(
            name=f"{invitation.last_name} {invitation.first_name}",
            link=invitation.link_channel or "?",
            code=invitation.code_channel or "?",
            until=render.day(invitation.expires_at),
        )
    )
    app_.output.data(str(invitation.id))


def _add_instead(
    app_: AppContext,
    client: PlatformClient,
    dossier_id: int,
    matches: list[Professional],
    yes: bool,
) -> bool:
    """Offer the known professionals; True if one became a correspondent instead."""
    from ortif_cli.api.models import CorrespondentRef
    from ortif_cli.ui import prompts

    app_.output.message(_("The platform already knows these professionals:"))
    render.professionals(app_.output, matches)
    if yes:
        return False
    choices: list[tuple[str, Professional | None]] = [(_("None of them: invite as a guest"), None)]
    choices += [
        (_("Add {name} as a correspondent instead").format(name=p.user.display_name), p)
        for p in matches
    ]
    chosen = prompts.select(_("What now?"), choices)
    if chosen is None:
        return False
    ref = CorrespondentRef("user", chosen.user.id, chosen.user.display_name)
    dossier = client.add_step(dossier_id, "second-opinion", None, correspondents=[ref])
    if app_.output.json_mode:
        app_.output.emit_json(to_json(dossier))
    else:
        app_.output.message(
            _("{name} is now a correspondent of dossier {id}, and is notified.").format(
                name=ref.label, id=dossier_id
            )
        )
    return True


def _confirm(app_: AppContext, contact: Contact, dossier_id: int) -> None:
    from ortif_cli.ui import prompts

    render.invitation_screen(app_.output, contact, dossier_id)
    if not prompts.confirm(_("Invite? [Inviter]"), default=False):
        app_.output.message(_("Not invited; nothing was sent."))
        raise typer.Exit(EXIT_CANCELLED)


def register(app: OrtifTyper) -> None:
    app.command()(invite)
