"""Guest invitations of a dossier, and the guest's sign-in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from ortif_server import guest_access, invitations, serialize, workflow
from ortif_server.auth_schemas import GuestSessionCreate, GuestSessionPublic
from ortif_server.deps import CurrentCaller, CurrentUser, IdPath, SessionDep, SettingsDep
from ortif_server.errors import invalid
from ortif_server.invitation_schemas import InvitationCreate, InvitationMatches, InvitationPublic
from ortif_server.models import Invitation

router = APIRouter(tags=["invitations"])


@router.post("/dossiers/{dossier_id}/invitations/matches")
def match_professionals(
    dossier_id: IdPath,
    body: InvitationCreate,
    _user: CurrentUser,
    caller: CurrentCaller,
    session: SessionDep,
) -> InvitationMatches:
    """Known professionals the inviter may mean instead of a new guest."""
    workflow.load_visible(session, caller, dossier_id)
    found = invitations.matches(session, body)
    return InvitationMatches(matches=[serialize.professional(u) for u in found])


@router.post("/dossiers/{dossier_id}/invitations", status_code=201)
def create_invitation(
    dossier_id: IdPath,
    body: InvitationCreate,
    request: Request,
    _user: CurrentUser,
    caller: CurrentCaller,
    session: SessionDep,
    settings: SettingsDep,
) -> InvitationPublic:
    """A guest access to this dossier; the link and the code go out separately."""
    dossier = workflow.load_visible(session, caller, dossier_id)
    invitations.require_inviter(session, caller, dossier)
    if body.email is None and body.phone is None:
        raise invalid("email", "give an email or a phone number")
    context = (caller, dossier, str(request.base_url))
    return invitations.invite(session, settings, context, body)


@router.get("/dossiers/{dossier_id}/invitations")
def list_invitations(
    dossier_id: IdPath, _user: CurrentUser, caller: CurrentCaller, session: SessionDep
) -> list[InvitationPublic]:
    workflow.load_visible(session, caller, dossier_id)
    rows = session.scalars(
        select(Invitation).where(Invitation.dossier_id == dossier_id).order_by(Invitation.id)
    )
    return [serialize.invitation(i) for i in rows]


@router.post("/guest-session")
def create_guest_session(
    body: GuestSessionCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> GuestSessionPublic:
    """Exchange a guest link token and access code for a guest token."""
    remote = request.client.host if request.client else None
    return guest_access.sign_in(session, settings, body, remote)
