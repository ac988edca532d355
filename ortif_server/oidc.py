"""The platform as an OpenID client: discovery, code exchange with PKCE, CIBA, ID token checks.

The provider is Pro Santé Connect in production. JOSE (JWKS, signatures, claims) is left to
joserfc; this module only decides which claims must hold: issuer, audience, expiry, nonce,
acr, and that the user info belongs to the ID token's subject.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

import httpx

from ortif_server.config import PscSettings

if TYPE_CHECKING:
    from joserfc.jwk import KeySet, KeySetSerialization

TIMEOUT = httpx.Timeout(10.0)
ALGORITHMS = ("RS256", "PS256", "ES256")
CIBA_GRANT = "urn:openid:params:grant-type:ciba"


class ProviderUnreachable(Exception):
    """The provider did not answer, or not with a usable document."""


class ProviderError(Exception):
    """The provider answered with an OAuth error (`access_denied`, `expired_token`...)."""

    def __init__(self, error: str, description: str | None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


class TokenRejected(Exception):
    """An ID token or a user info the platform does not trust; the message says why."""


@dataclass(frozen=True)
class ProviderMetadata:
    """What the platform uses of the provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    backchannel_authentication_endpoint: str | None = None
    revocation_endpoint: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProviderMetadata:
        names = cls.__dataclass_fields__
        return cls(**{name: data[name] for name in names if data.get(name) is not None})


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, and the provider tokens of that sign-in."""

    subject: str
    national_id: str
    family_name: str | None
    given_name: str | None
    acr: str | None
    access_token: str | None = field(repr=False)
    id_token: str = field(repr=False)


@dataclass(frozen=True)
class Pkce:
    """A fresh code verifier and its S256 challenge (RFC 7636)."""

    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48), repr=False)

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OpenIdClient:
    """One provider, as configured by `PscSettings`; every call is a fresh HTTP exchange."""

    def __init__(self, settings: PscSettings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self._http = httpx.Client(timeout=TIMEOUT, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpenIdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def metadata(self) -> ProviderMetadata:
        """The discovery document, whose issuer must be the configured one."""
        issuer = self.settings.issuer.rstrip("/")
        data = self._get_json(f"{issuer}/.well-known/openid-configuration")
        try:
            metadata = ProviderMetadata.from_json(data)
        except (KeyError, TypeError):
            raise ProviderUnreachable("its discovery document is incomplete") from None
        if metadata.issuer.rstrip("/") != issuer:
            raise ProviderUnreachable(f"its discovery document names issuer {metadata.issuer}")
        return metadata

    def authorization_url(
        self, metadata: ProviderMetadata, state: str, nonce: str, pkce: Pkce
    ) -> str:
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "scope": self.settings.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
        if self.settings.acr:
            params["acr_values"] = self.settings.acr
        return f"{metadata.authorization_endpoint}?{urlencode(params)}"

    def exchange_code(self, metadata: ProviderMetadata, code: str, verifier: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": verifier,
        }
        return self._post_form(metadata.token_endpoint, form)

    def backchannel_authorize(
        self, metadata: ProviderMetadata, login_hint: str, binding_message: str
    ) -> dict[str, Any]:
        """Start a CIBA request; the answer holds `auth_req_id`, `expires_in`, `interval`."""
        endpoint = metadata.backchannel_authentication_endpoint
        if endpoint is None:
            raise ProviderError("ciba_unsupported", "the provider offers no CIBA endpoint")
        form = {
            "scope": self.settings.scope,
            "login_hint": login_hint,
            "binding_message": binding_message,
            "requested_expiry": str(self.settings.ciba_expiry_seconds),
        }
        if self.settings.acr:
            form["acr_values"] = self.settings.acr
        return self._post_form(endpoint, form)

    def poll_backchannel(self, metadata: ProviderMetadata, auth_req_id: str) -> dict[str, Any]:
        """The tokens of an approved CIBA request; ProviderError while pending or refused."""
        form = {"grant_type": CIBA_GRANT, "auth_req_id": auth_req_id}
        return self._post_form(metadata.token_endpoint, form)

    def identity(
        self, metadata: ProviderMetadata, tokens: dict[str, Any], nonce: str | None
    ) -> Identity:
        """Check the ID token of `tokens`, read the user info, return who signed in."""
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise TokenRejected("the provider returned no ID token")
        claims = self._verified_claims(metadata, id_token, nonce)
        access_token = tokens.get("access_token")
        info = self._userinfo(metadata, access_token) if isinstance(access_token, str) else {}
        if info and info.get("sub") != claims["sub"]:
            raise TokenRejected("the user info belongs to another subject than the ID token")
        merged = {**claims, **info}
        national_id = merged.get("SubjectNameID")
        if not isinstance(national_id, str) or not national_id:
            raise TokenRejected("the provider gave no national identifier (SubjectNameID)")
        return Identity(
            subject=str(claims["sub"]),
            national_id=national_id,
            family_name=merged.get("family_name"),
            given_name=merged.get("given_name"),
            acr=claims.get("acr"),
            access_token=access_token if isinstance(access_token, str) else None,
            id_token=id_token,
        )

    def revoke(self, metadata: ProviderMetadata, token: str) -> bool:
        """Revoke a provider token (RFC 7009); False when the provider offers no endpoint."""
        if metadata.revocation_endpoint is None:
            return False
        form = {"token": token, "token_type_hint": "access_token"}
        self._post_form(metadata.revocation_endpoint, form, expect_json=False)
        return True

    def _verified_claims(
        self, metadata: ProviderMetadata, id_token: str, nonce: str | None
    ) -> dict[str, Any]:
        from joserfc import jwt
        from joserfc.errors import JoseError

        keys = self._keys(metadata)
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": metadata.issuer},
            "aud": {"essential": True, "value": self.settings.client_id},
            "exp": {"essential": True},
            "sub": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        if self.settings.acr:
            options["acr"] = {"essential": True, "value": self.settings.acr}
        try:
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(leeway=60, **options).validate(token.claims)
        except JoseError as exc:
            raise TokenRejected(f"the ID token is not valid ({exc.error}: {exc})") from None
        azp = token.claims.get("azp")
        if azp is not None and azp != self.settings.client_id:
            raise TokenRejected("the ID token was issued to another client (azp)")
        return dict(token.claims)

    def _userinfo(self, metadata: ProviderMetadata, access_token: str) -> dict[str, Any]:
        if metadata.userinfo_endpoint is None:
            return {}
        headers = {"Authorization": f"Bearer {access_token}"}
        response = self._request("GET", metadata.userinfo_endpoint, headers=headers)
        if response.is_error:
            raise TokenRejected(f"the provider refused the user info ({response.status_code})")
        if response.headers.get("content-type", "").startswith("application/jwt"):
            return self._signed_userinfo(metadata, response.text)
        return _json_object(response)

    def _signed_userinfo(self, metadata: ProviderMetadata, text: str) -> dict[str, Any]:
        from joserfc import jwt
        from joserfc.errors import JoseError

        try:
            return dict(jwt.decode(text, self._keys(metadata), algorithms=ALGORITHMS).claims)
        except JoseError as exc:
            raise TokenRejected(f"the user info is not validly signed ({exc})") from None

    def _keys(self, metadata: ProviderMetadata) -> KeySet:
        """The provider's JWKS, read afresh at each sign-in (keys rotate)."""
        from joserfc.jwk import KeySet

        document = self._get_json(metadata.jwks_uri)
        if not isinstance(document.get("keys"), list):
            raise ProviderUnreachable(f"{metadata.jwks_uri} is not a JSON Web Key Set")
        keys: KeySet = KeySet.import_key_set(cast("KeySetSerialization", document))
        return keys

    def _get_json(self, url: str) -> dict[str, Any]:
        response = self._request("GET", url)
        if response.is_error:
            raise ProviderUnreachable(f"{url} answered {response.status_code}")
        return _json_object(response)

    def _post_form(
        self, url: str, form: dict[str, str], expect_json: bool = True
    ) -> dict[str, Any]:
        auth = (self.settings.client_id, self.settings.client_secret)
        response = self._request("POST", url, data=form, auth=auth)
        if response.status_code >= 500:
            raise ProviderUnreachable(f"{url} answered {response.status_code}")
        if response.is_error:
            body = _json_object(response, strict=False)
            error, description = body.get("error"), body.get("error_description")
            raise ProviderError(str(error or response.status_code), description)
        return _json_object(response) if expect_json else {}

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise ProviderUnreachable(str(exc) or type(exc).__name__) from None


def _json_object(response: httpx.Response, strict: bool = True) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        return data
    if strict:
        raise ProviderUnreachable(f"{response.url} did not answer a JSON object")
    return {}
