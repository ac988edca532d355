"""Sign-in with Pro Santé Connect for the CLI: start a sign-in, then poll with its handle."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ortif_server import psc_logins
from ortif_server.auth_schemas import (
    PscLoginCreate,
    PscLoginPending,
    PscLoginPoll,
    PscLoginStarted,
    SessionPublic,
)
from ortif_server.deps import SessionDep, SettingsDep
from ortif_server.errors import ApiError
from ortif_server.oidc import OpenIdClient, ProviderUnreachable
from ortif_server.psc_failures import PscFailure

router = APIRouter(prefix="/psc", tags=["session"])


def get_openid_client(settings: SettingsDep) -> Iterator[OpenIdClient]:
    """The platform's OpenID client of Pro Santé Connect; 404 when none is configured."""
    if settings.psc is None:
        raise ApiError(404, "psc_not_configured", "This platform does not offer Pro Santé Connect.")
    with OpenIdClient(settings.psc) as client:
        yield client


OpenIdDep = Annotated[OpenIdClient, Depends(get_openid_client)]


@contextmanager
def provider_errors(client: OpenIdClient) -> Iterator[None]:
    """A failed sign-in is 401 with its code; an unreachable provider 502 naming it."""
    try:
        yield
    except PscFailure as failure:
        raise failure.api_error() from None
    except ProviderUnreachable as exc:
        issuer = client.settings.issuer
        message = f"Pro Santé Connect ({issuer}) cannot be reached: {exc}."
        raise ApiError(502, "psc_unreachable", message, {"issuer": issuer}) from None


@router.post("/logins", status_code=201)
def start_login(body: PscLoginCreate, session: SessionDep, client: OpenIdDep) -> PscLoginStarted:
    """Start a sign-in: a short URL to open in a browser, or a request to the e-CPS app."""
    with provider_errors(client):
        if body.mode == "ciba":
            if body.rpps is None:
                raise ApiError(422, "validation_error", "rpps: required with mode ciba")
            started = psc_logins.start_ciba(session, client, body.rpps)
        else:
            started = psc_logins.start_browser(session, client.settings, client)
    return PscLoginStarted(
        handle=started.handle,
        expires_at=started.expires_at,
        interval=started.interval,
        url=started.url,
        binding_message=started.binding_message,
    )


@router.post(
    "/logins/poll",
    response_model=SessionPublic,
    responses={202: {"model": PscLoginPending, "description": "Not finished yet"}},
)
def poll_login(
    body: PscLoginPoll, session: SessionDep, settings: SettingsDep, client: OpenIdDep
) -> Any:
    """The session of a finished sign-in (given once), 202 while pending, 401 if it failed."""
    with provider_errors(client):
        outcome = psc_logins.poll(session, settings, client, body.handle)
    if isinstance(outcome, psc_logins.Pending):
        pending = PscLoginPending(interval=outcome.interval)
        return JSONResponse(pending.model_dump(), status_code=202)
    return outcome
