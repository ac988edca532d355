"""TLS for the platform client: always verified, never switched off.

Trust comes from the profile's CA bundle (a hospital PKI) when one is configured, else
from the operating system's store (`truststore` when installed, else OpenSSL's default
paths) plus certifi's Mozilla roots. A verification failure becomes a ConnectionFailure
that names the host and the reason.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from ortif_cli.errors import ConnectionFailure, UsageError
from ortif_cli.i18n import _


def ssl_context(ca_bundle: str | Path | None = None) -> ssl.SSLContext:
    """A verifying client context; `ca_bundle` replaces the system store when given."""
    if ca_bundle:
        path = Path(ca_bundle).expanduser()
        try:
            return ssl.create_default_context(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(
                _("The CA bundle {path} cannot be read: {error}.").format(path=path, error=exc),
                hint=_("Check the ca_bundle setting of the profile (`ortif config show`)."),
            ) from exc
    try:
        import truststore  # type: ignore[import-not-found,unused-ignore]

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # type: ignore[no-any-return,unused-ignore]
    except ImportError:
        pass
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    except (ImportError, OSError):  # pragma: no cover - certifi comes with httpx
        pass
    return context


def verification_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate failure behind a transport error, if that is what it is."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def untrusted(host: str, error: ssl.SSLCertVerificationError) -> ConnectionFailure:
    reason = error.verify_message or str(error.reason or error)
    return ConnectionFailure(
        _("The certificate of {host} is not trusted: {reason}.").format(host=host, reason=reason),
        hint=_(
            "If your establishment uses its own certificate authority, give its CA bundle: "
            "`ortif config set ca_bundle /path/to/ca.pem`."
        ),
    )
