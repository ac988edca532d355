"""The one exception tree of the client: every failure a user can meet is an OrtifError.

Library layers (`api`, `dicom`, `transfer`) raise these; only the CLI maps them to exit
codes (see `ortif_cli.cli.errors`).
"""

from __future__ import annotations


class OrtifError(Exception):
    """Base of every expected failure; `hint` says what the user can do about it.

    `code` and `details` carry the platform's error code and details when the failure
    is an API answer (docs/api.md, Errors); None otherwise.
    """

    code: str | None = None
    details: dict[str, object] | None = None

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(OrtifError):
    """Bad input on the command line, or input missing under --no-input."""


class AuthError(OrtifError):
    """Not signed in, session expired, or wrong credentials."""


class CredentialStoreError(AuthError):
    """No secure place to keep the token (no working keyring backend)."""


class ForbiddenError(OrtifError):
    """Signed in, but not allowed to do this."""


class NotFoundError(OrtifError):
    """The dossier, study, correspondent or PACS node does not exist or is not visible."""


class RuleError(OrtifError):
    """Refused by the platform's rules: validation, closed dossier, identity mismatch."""


class IdentityMismatch(RuleError):
    """A study's patient is not the dossier's patient."""


class ConnectionFailure(OrtifError):
    """The platform or the PACS cannot be reached (network, TLS, timeout)."""


class PartialTransfer(OrtifError):
    """Some instances did not reach the platform; running the same command again resumes."""
