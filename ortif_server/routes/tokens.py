"""Personal access tokens for scripts: create, list, revoke."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response
from sqlalchemy import select

from ortif_server import serialize
from ortif_server.auth_schemas import PersonalToken, PersonalTokenCreate, PersonalTokenCreated
from ortif_server.deps import CurrentUser, IdPath, SessionDep
from ortif_server.errors import not_found
from ortif_server.models import Token, utcnow
from ortif_server.security import new_token, token_digest

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.post("", status_code=201)
def create_token(
    body: PersonalTokenCreate, user: CurrentUser, session: SessionDep
) -> PersonalTokenCreated:
    """A named token; its secret is shown only in this answer."""
    secret = new_token()
    days = body.expires_in_days
    token = Token(
        token_sha256=token_digest(secret),
        kind="personal",
        authentication="personal-token",
        user_id=user.id,
        name=body.name,
        expires_at=utcnow() + timedelta(days=days) if days is not None else None,
    )
    session.add(token)
    session.commit()
    return PersonalTokenCreated(**serialize.personal_token(token).model_dump(), token=secret)


@router.get("")
def list_tokens(user: CurrentUser, session: SessionDep) -> list[PersonalToken]:
    rows = session.scalars(
        select(Token).where(Token.user_id == user.id, Token.kind == "personal").order_by(Token.id)
    )
    return [serialize.personal_token(t) for t in rows]


@router.delete("/{token_id}", status_code=204)
def revoke_token(token_id: IdPath, user: CurrentUser, session: SessionDep) -> Response:
    token = session.get(Token, token_id)
    if token is None or token.user_id != user.id or token.kind != "personal":
        raise not_found(f"Token {token_id}")
    token.revoked_at = token.revoked_at or utcnow()
    session.commit()
    return Response(status_code=204)
