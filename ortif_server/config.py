"""Server settings, passed explicitly to `create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how outgoing mail is sent."""

    host: str
    port: int
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    mail_from: str = "ortif@localhost"


@dataclass(frozen=True)
class DeliverySettings:
    """Channels for invitation messages; `outbox_dir` replaces them all when set."""

    smtp: SmtpSettings | None = None
    sms_gateway: str | None = None
    outbox_dir: Path | None = None
    public_url: str | None = None


@dataclass(frozen=True)
class PscSettings:
    """The platform as an OpenID client of Pro Santé Connect (or another OpenID provider).

    `issuer` is where `.well-known/openid-configuration` is read; `public_url` + the path
    `/auth/psc/callback` is the redirect URI declared at the provider."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    public_url: str
    scope: str = "openid scope_all"
    acr: str | None = "eidas1"
    ciba_expiry_seconds: int = 120
    login_ttl: timedelta = timedelta(minutes=10)

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/auth/psc/callback"


@dataclass(frozen=True)
class ServerSettings:
    """Where the server keeps its data, how long sessions last, limits and delivery."""

    data_dir: Path
    database_url: str | None = None
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(hours=12)
    max_failed_logins: int = 5
    lockout: timedelta = timedelta(minutes=15)
    max_document_bytes: int = 200 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    database_connections: int | None = None
    """The most connections one server process opens (its pool); None: the default."""
    language: str = "fr"
    """Language of the messages the platform sends (invitations): `fr` or `en`."""
    psc: PscSettings | None = None

    @property
    def effective_database_url(self) -> str:
        """The configured database, or the embedded SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'ortif.db'}"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"
