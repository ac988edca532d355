"""Sign in (password, OTP), refresh, sign out; what the bearer token is; who am I."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ortif_server import psc_logins, serialize, signin, viewer_links
from ortif_server.auth_schemas import RefreshRequest, SessionPublic, TokenInfo
from ortif_server.deps import (
    CurrentCaller,
    CurrentToken,
    CurrentUser,
    SessionDep,
    SettingsDep,
    find_live_token,
)
from ortif_server.oidc import OpenIdClient
from ortif_server.schemas import Professional, SessionCreate

router = APIRouter(tags=["session"])


@router.post("/session")
def create_session(
    body: SessionCreate, session: SessionDep, settings: SettingsDep
) -> SessionPublic:
    """Exchange username, password (and OTP) for an access token and a refresh token."""
    access = signin.authenticate(session, settings, body)
    return signin.issue_pair(session, settings, access)


@router.post("/session/refresh")
def refresh_session(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> SessionPublic:
    """A new pair for a live refresh token, which is revoked (rotation)."""
    refresh = find_live_token(session, body.refresh_token, ("refresh",))
    return signin.rotate(session, settings, refresh)


@router.get("/session")
def session_info(caller: CurrentCaller) -> TokenInfo:
    return serialize.token_info(caller.token)


@router.delete("/session", status_code=204)
def delete_session(token: CurrentToken, session: SessionDep, settings: SettingsDep) -> Response:
    """Revoke the token used for this request and its refresh token, and end the user's
    browser sessions (the viewer opened by `ortif dossier view`); after a sign-in with Pro
    Santé Connect, revoke the provider's access token too (where it offers revocation)."""
    if token.user is not None:
        viewer_links.close_all(session, token.user)
    signin.revoke_session(session, token)
    if settings.psc is not None and token.psc_login_id is not None:
        with OpenIdClient(settings.psc) as client:
            psc_logins.end_provider_session(session, client, token)
    return Response(status_code=204)


@router.get("/me")
def me(user: CurrentUser) -> Professional:
    return serialize.professional(user)
