"""Why a Pro Santé Connect sign-in failed: a code for the CLI, a sentence for people."""

from __future__ import annotations

from ortif_server.errors import ApiError
from ortif_server.oidc import ProviderError


class PscFailure(Exception):
    """A sign-in that cannot go on; `code` is the API's error code (docs/api.md)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def api_error(self) -> ApiError:
        return ApiError(401, self.code, self.message)


def unknown_professional(national_id: str) -> PscFailure:
    return PscFailure(
        "psc_unknown_professional",
        f"No account of this platform has the national identifier {national_id}; ask the "
        "platform's administrator to record your RPPS number on your account.",
    )


def failure_for_provider_error(error: ProviderError) -> PscFailure:
    """The OAuth error of the provider (authorization or CIBA) as a sign-in failure."""
    said = f" ({error.description})" if error.description else ""
    if error.error == "access_denied":
        return PscFailure("psc_denied", f"The sign-in was refused or cancelled{said}.")
    if error.error == "expired_token":
        return PscFailure("psc_expired", "The request expired before it was approved.")
    if error.error in ("unknown_user_id", "login_required"):
        return PscFailure("psc_unknown_professional", f"Pro Santé Connect refused it{said}.")
    return PscFailure("psc_refused", f"Pro Santé Connect refused the sign-in: {error.error}{said}.")
