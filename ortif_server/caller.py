"""Who is calling: a user or the guest of one invitation, with the token used."""

from __future__ import annotations

from dataclasses import dataclass

from ortif_server.errors import guest_forbidden
from ortif_server.models import Invitation, Token, User


@dataclass
class Caller:
    """Who is calling: a user or a guest (through its token), and from which address."""

    token: Token
    remote_address: str | None

    @property
    def user(self) -> User | None:
        return self.token.user

    @property
    def invitation(self) -> Invitation | None:
        return self.token.invitation

    def require_user(self) -> User:
        """The signed-in user; a guest gets 403 `guest_forbidden`."""
        if self.user is None:
            raise guest_forbidden()
        return self.user
