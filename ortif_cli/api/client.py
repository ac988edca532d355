"""httpx client of the platform API: one method per endpoint, typed answers, typed errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from ortif_cli.api import tls
from ortif_cli.api.auth import (
    NewPersonalToken,
    PersonalToken,
    PscLoginStart,
    SessionTokens,
    TokenInfo,
)
from ortif_cli.api.models import (
    Community,
    CorrespondentRef,
    Directory,
    Dossier,
    DossierPage,
    Establishment,
    Invitation,
    Json,
    Manifest,
    Me,
    Notification,
    Patient,
    Professional,
    ViewerLink,
)
from ortif_cli.errors import (
    AuthError,
    ConnectionFailure,
    ForbiddenError,
    NotFoundError,
    OrtifError,
    RuleError,
    UsageError,
)
from ortif_cli.i18n import N_, _

READ_TIMEOUT = 30.0
DEFAULT_TIMEOUT = httpx.Timeout(READ_TIMEOUT, connect=10.0)
USER_AGENT = "ortif"


def error_for_response(response: httpx.Response) -> OrtifError:
    """Turn a 4xx/5xx answer into the matching OrtifError."""
    try:
        body = response.json().get("error", {})
    except ValueError:
        body = {}
    message = body.get("message") or _("The platform answered {status}.").format(
        status=response.status_code
    )
    status = response.status_code
    code, details = body.get("code"), body.get("details") or {}
    if code in PSC_CONFIGURATION:
        return psc_configuration_error(code, details)
    if status == 401 and code in GUEST_ENDED:
        return _guest_ended(message, details)
    if status == 401:
        return AuthError(auth_message(code, message, details), hint=auth_hint(code))
    if status == 403 and code == "guest_forbidden":
        return ForbiddenError(GUEST_LIMITS, hint=GUEST_HINT)
    if status == 403:
        return ForbiddenError(message)
    if status == 404:
        return NotFoundError(message)
    if status < 500:
        return RuleError(message)
    return ConnectionFailure(
        _("The platform failed ({status}): {message}").format(status=status, message=message),
        hint=_("Try again later; if it persists, tell the platform's administrator."),
    )


def auth_message(code: str | None, message: str, details: dict[str, Any]) -> str:
    """The 401 codes of docs/api.md in the user's language (the platform speaks English)."""
    until = details.get("locked_until")
    messages = {
        "invalid_credentials": _("Wrong username or password."),
        "otp_required": _("This account needs the code of your authenticator app (--otp)."),
        "invalid_otp": _("The authenticator code is wrong or too old."),
        "account_locked": _("The account is locked after too many failed attempts."),
        "invitation_locked": _("The invitation is locked after too many wrong access codes."),
        "token_expired": _("Your session has expired."),
        "token_revoked": _("Your session or token has been revoked."),
        "not_authenticated": _("You are not signed in."),
        "psc_denied": _("The sign-in was cancelled or refused at Pro Santé Connect."),
        "psc_expired": _("The sign-in with Pro Santé Connect was not completed in time."),
        "psc_unknown_professional": _(
            "No account of this platform has your national identifier (RPPS)."
        ),
        "psc_rejected": _("The platform refused the answer of Pro Santé Connect."),
    }
    text = messages.get(code or "", message)
    if until and code in ("account_locked", "invitation_locked"):
        when = datetime.fromisoformat(until).astimezone().strftime("%H:%M")
        text += " " + _("Try again after {time}.").format(time=when)
    return text


def auth_hint(code: str | None) -> str | None:
    if code in ("account_locked", "invitation_locked"):
        return None
    if code == "invalid_credentials":
        return _("Check them and sign in again with `ortif login`.")
    if code in ("otp_required", "invalid_otp"):
        return _("Give the current 6-digit code: `ortif login --otp CODE`.")
    if code == "psc_unknown_professional":
        return _("Ask the platform's administrator to record your RPPS number on your account.")
    if code == "psc_rejected":
        return _("Tell the platform's administrator: its log says why.")
    if code and code.startswith("psc_"):
        return _("Run `ortif login --psc` to try again.")
    return _("Run `ortif login` to sign in again.")


PSC_CONFIGURATION = ("psc_unreachable", "psc_not_configured")


def psc_configuration_error(code: str, details: dict[str, Any]) -> OrtifError:
    """The platform offers no Pro Santé Connect, or cannot reach it (exit 7, naming it)."""
    if code == "psc_not_configured":
        return NotFoundError(
            _("This platform does not offer sign-in with Pro Santé Connect."),
            hint=_("Sign in with your username and password: `ortif login`."),
        )
    issuer = details.get("issuer", "?")
    return ConnectionFailure(
        _("The platform cannot reach Pro Santé Connect ({issuer}).").format(issuer=issuer),
        hint=_("Try again later; if it persists, tell the platform's administrator."),
    )


GUEST_LIMITS = N_(
    "As a guest you can only read the dossier you were invited to (`ortif dossier show`, "
    "`ortif dossier pull`) and add steps to it (`ortif step add`); nothing else."
)
GUEST_HINT = N_("To do more, sign in with a professional account: `ortif login`.")
GUEST_ENDED = ("invitation_expired",)


def _guest_ended(message: str, details: dict[str, Any]) -> AuthError:
    """Exit 3 naming the day a guest's access ended (its invitation lasts three months)."""
    ended = details.get("expired_at")
    if ended:
        day = datetime.fromisoformat(ended).date().isoformat()
        message = _("Your guest access ended on {day}.").format(day=day)
    return AuthError(message, hint=_("Ask the person who invited you for a new invitation."))


@contextmanager
def network_errors(base_url: str) -> Iterator[None]:
    """Translate httpx transport failures into ConnectionFailure (TLS ones name the host)."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ConnectionFailure(
            _("The platform at {url} did not answer in time.").format(url=base_url),
            hint=_("Check the network, or try again later."),
        ) from exc
    except httpx.TransportError as exc:
        if certificate := tls.verification_error(exc):
            host = httpx.URL(base_url).host
            raise tls.untrusted(host, certificate) from exc
        raise ConnectionFailure(
            _("Cannot reach the platform at {url}: {error}.").format(url=base_url, error=exc),
            hint=_("Check the server address (--server) and that the platform is up."),
        ) from exc


def _api_error(response: httpx.Response) -> OrtifError:
    """`error_for_response`, carrying the platform's error code and details."""
    error = error_for_response(response)
    body = _error_body(response)
    error.code, error.details = body.get("code"), body.get("details")
    return error


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json().get("error", {})
    except (ValueError, AttributeError):
        return {}
    return body if isinstance(body, dict) else {}


def _viewer_refusal(error: RuleError, dossier_id: int) -> RuleError:
    """The platform's refusals of a viewer link, in the user's language."""
    if error.code == "no_exams":
        return RuleError(
            _("Dossier {id} has no exam to view.").format(id=dossier_id),
            hint=_("Add one with `ortif exam add`."),
        )
    if error.code == "viewer_not_installed":
        return RuleError(
            _("This platform does not serve the image viewer."),
            hint=_(
                "Its administrator installs it with `ortif-server viewer install`; meanwhile "
                "`ortif dossier pull` downloads the images."
            ),
        )
    return error


def session_expired() -> AuthError:
    error = AuthError(_("Your session has expired."), hint=_("Run `ortif login` to sign in again."))
    error.code = "token_expired"
    return error


REFRESH_MARGIN = timedelta(seconds=30)
REFRESHABLE = ("token_expired", "not_authenticated")
OnRefresh = Callable[[SessionTokens], None]
Reload = Callable[[], "SessionTokens | None"]


def _idempotent() -> dict[str, str]:
    """A fresh Idempotency-Key, so that a retried POST changes nothing twice."""
    return {"Idempotency-Key": uuid.uuid4().hex}


class PlatformClient:
    """The platform API, as seen by one signed-in user (or anonymous, for `login`)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        refresh_token: str | None = None,
        expires_at: datetime | None = None,
        on_refresh: OnRefresh | None = None,
        reload: Reload | None = None,
        ca_bundle: str | Path | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        trace: Callable[[str], None] | None = None,
    ) -> None:
        """`refresh_token` lets the client renew an expiring access token by itself (the
        new pair goes to `on_refresh`, to be stored; when the platform refuses the refresh
        token, `reload` may return the pair another process renewed meanwhile); TLS is
        always verified, against `ca_bundle` when given; `trace` receives a redacted line
        per request and answer."""
        if not base_url.startswith(("http://", "https://")):
            raise UsageError(
                _("The server address {url} is not an http(s) URL.").format(url=repr(base_url)),
                hint=_("Give it as https://host[:port]."),
            )
        self.base_url = base_url.rstrip("/")
        self._refresh_token, self._expires_at = refresh_token, expires_at
        self._on_refresh, self._reload = on_refresh, reload
        headers = {"User-Agent": USER_AGENT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        verify = tls.ssl_context(ca_bundle) if self.base_url.startswith("https://") else True
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            verify=verify,
            event_hooks=trace_hooks(trace) if trace else None,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; raise the matching OrtifError unless it succeeded.

        An access token about to expire is renewed first; one the platform says has
        expired is renewed and the request sent again (unless its body is a stream)."""
        self.ensure_fresh()
        response = self._send(method, path, **kwargs)
        if self._should_refresh(response, kwargs):
            self.refresh()
            response = self._send(method, path, **kwargs)
        if response.is_error:
            raise _api_error(response)
        return response

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with network_errors(self.base_url):
            return self._http.request(method, path, **kwargs)

    def ensure_fresh(self) -> None:
        """Renew the access token now if it expires within REFRESH_MARGIN."""
        expires_at = self._expires_at
        if self._refresh_token and expires_at and expires_at - _now() < REFRESH_MARGIN:
            self.refresh()

    def _should_refresh(self, response: httpx.Response, kwargs: dict[str, Any]) -> bool:
        if response.status_code != 401 or not self._refresh_token or not _replayable(kwargs):
            return False
        return _error_body(response).get("code") in REFRESHABLE

    def refresh(self) -> SessionTokens:
        """Trade the refresh token for a new pair (the old one is revoked: rotation)."""
        body = {"refresh_token": self._refresh_token}
        response = self._send("POST", "/api/v1/session/refresh", json=body, auth=_NoAuth())
        if response.status_code == 401:
            renewed = self._reload() if self._reload else None
            if renewed is None or renewed.refresh_token in (None, self._refresh_token):
                self._refresh_token = None
                raise session_expired()
            self._adopt(renewed)  # another process rotated the pair: use its new one
            return renewed
        if response.is_error:
            raise _api_error(response)
        tokens = SessionTokens.from_json(response.json())
        self._adopt(tokens)
        if self._on_refresh:
            self._on_refresh(tokens)
        return tokens

    def _adopt(self, tokens: SessionTokens) -> None:
        self._http.headers["Authorization"] = f"Bearer {tokens.access_token}"
        self._refresh_token, self._expires_at = tokens.refresh_token, tokens.expires_at

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    # session and tokens (docs/api.md, Sessions and tokens) ----------------------------
    def login(self, username: str, password: str, otp: str | None = None) -> SessionTokens:
        """Sign in; AuthError with code `otp_required` when the account needs a TOTP code."""
        body = {"username": username, "password": password}
        if otp:
            body["otp"] = otp
        return SessionTokens.from_json(self._json("POST", "/api/v1/session", json=body))

    def guest_login(self, link_token: str, code: str) -> SessionTokens:
        """Open a guest session from an invitation's link token and access code."""
        body = {"link_token": link_token, "code": code}
        return SessionTokens.from_json(self._json("POST", "/api/v1/guest-session", json=body))

    def start_psc_login(self, rpps: str | None = None) -> PscLoginStart:
        """Start a sign-in with Pro Santé Connect: in a browser, or in the e-CPS app (CIBA)
        when `rpps` is given."""
        body = {"mode": "ciba", "rpps": rpps} if rpps else {"mode": "browser"}
        data = self._json("POST", "/api/v1/psc/logins", json=body, headers=_idempotent())
        return PscLoginStart.from_json(data)

    def poll_psc_login(self, handle: str) -> SessionTokens | None:
        """The session of a finished sign-in; None while it is pending; AuthError if failed."""
        response = self.request("POST", "/api/v1/psc/logins/poll", json={"handle": handle})
        if response.status_code == 202:
            return None
        return SessionTokens.from_json(response.json())

    def session_info(self) -> TokenInfo:
        return TokenInfo.from_json(self._json("GET", "/api/v1/session"))

    def logout(self) -> None:
        """Revoke the access token and its refresh token."""
        self.request("DELETE", "/api/v1/session")

    def create_token(self, name: str, expires_in_days: int | None) -> NewPersonalToken:
        body = {"name": name, "expires_in_days": expires_in_days}
        data = self._json("POST", "/api/v1/tokens", json=body, headers=_idempotent())
        return NewPersonalToken(PersonalToken.from_json(data), data["token"])

    def list_tokens(self) -> list[PersonalToken]:
        return [PersonalToken.from_json(t) for t in self._json("GET", "/api/v1/tokens")]

    def revoke_token(self, token_id: int) -> None:
        self.request("DELETE", f"/api/v1/tokens/{token_id}")

    def me(self) -> Me:
        p = Professional.from_json(self._json("GET", "/api/v1/me"))
        return Me(p.user, p.communities, p.profession, p.rpps, p.enrs_login, p.email, p.phone)

    def health(self) -> Json:
        result: Json = self._json("GET", "/api/v1/health")
        return result

    # directory ---------------------------------------------------------------------
    def search_directory(self, text: str) -> Directory:
        return Directory.from_json(self._json("GET", "/api/v1/directory", params={"q": text}))

    def community_members(self, community_id: int) -> list[Professional]:
        data = self._json("GET", f"/api/v1/directory/communities/{community_id}/members")
        return [Professional.from_json(p) for p in data]

    # dossiers ----------------------------------------------------------------------
    def create_dossier(self, body: Json) -> Dossier:
        data = self._json("POST", "/api/v1/dossiers", json=body, headers=_idempotent())
        return Dossier.from_json(data)

    def list_dossiers(
        self, *, status: str | None = None, limit: int = 50, offset: int = 0, **filters: Any
    ) -> DossierPage:
        """One page of the dossiers the caller may see; `filters` as docs/api.md names them
        (`patient`, `correspondent`, `since`, `until`, `unread`, `sort`, `type`)."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        for name, value in filters.items():
            if value is None or value is False:
                continue
            params[name] = "true" if value is True else str(value)
        data = self._json("GET", "/api/v1/dossiers", params=params)
        items = tuple(Dossier.from_json(d) for d in data["items"])
        return DossierPage(items, data["total"])

    def get_dossier(self, dossier_id: int) -> Dossier:
        return Dossier.from_json(self._json("GET", f"/api/v1/dossiers/{dossier_id}"))

    def send_dossier(self, dossier_id: int) -> Dossier:
        return Dossier.from_json(self._json("POST", f"/api/v1/dossiers/{dossier_id}/send"))

    def cancel_dossier(self, dossier_id: int) -> Dossier:
        return Dossier.from_json(self._json("POST", f"/api/v1/dossiers/{dossier_id}/cancel"))

    def attach_exams(self, dossier_id: int, study_instance_uids: Iterable[str]) -> Dossier:
        body = {"study_instance_uids": list(study_instance_uids)}
        path = f"/api/v1/dossiers/{dossier_id}/exams"
        return Dossier.from_json(self._json("POST", path, json=body))

    def attach_documents(self, dossier_id: int, document_ids: Iterable[int]) -> Dossier:
        body = {"document_ids": list(document_ids)}
        path = f"/api/v1/dossiers/{dossier_id}/documents"
        return Dossier.from_json(self._json("POST", path, json=body))

    def add_step(
        self,
        dossier_id: int,
        kind: str,
        comment: str | None = None,
        *,
        study_instance_uids: Iterable[str] = (),
        document_ids: Iterable[int] = (),
        correspondents: Iterable[CorrespondentRef] = (),
    ) -> Dossier:
        body: Json = {"kind": kind, "comment": comment}
        if uids := list(study_instance_uids):
            body["study_instance_uids"] = uids
        if ids := list(document_ids):
            body["document_ids"] = ids
        if refs := [{"kind": c.kind, "id": c.id} for c in correspondents]:
            body["correspondents"] = refs
        path = f"/api/v1/dossiers/{dossier_id}/steps"
        return Dossier.from_json(self._json("POST", path, json=body, headers=_idempotent()))

    def manifest(self, dossier_id: int) -> Manifest:
        data = self._json("GET", f"/api/v1/dossiers/{dossier_id}/manifest")
        return Manifest.from_json(data)

    def viewer_link(self, dossier_id: int) -> ViewerLink:
        """A one-time link that opens the platform's viewer on the dossier's studies."""
        path = f"/api/v1/dossiers/{dossier_id}/viewer-links"
        try:
            return ViewerLink.from_json(self._json("POST", path, headers=_idempotent()))
        except RuleError as error:
            raise _viewer_refusal(error, dossier_id) from None

    # patients ----------------------------------------------------------------------
    def search_patients(
        self, text: str = "", *, identifier: str | None = None, birth_date: str | None = None
    ) -> list[Patient]:
        """Patients of the dossiers the caller may see [la loupe]."""
        params = {"q": text, "identifier": identifier, "birth_date": birth_date}
        query = {k: v for k, v in params.items() if v}
        return [Patient.from_json(p) for p in self._json("GET", "/api/v1/patients", params=query)]

    # directory (establishment -> community -> person) -------------------------------
    def establishments(self) -> list[Establishment]:
        data = self._json("GET", "/api/v1/directory/establishments")
        return [Establishment.from_json(e) for e in data]

    def establishment_communities(self, establishment_id: int) -> list[Community]:
        path = f"/api/v1/directory/establishments/{establishment_id}/communities"
        return [Community.from_json(c) for c in self._json("GET", path)]

    # invitations -------------------------------------------------------------------
    def invitation_matches(self, dossier_id: int, contact: Json) -> list[Professional]:
        path = f"/api/v1/dossiers/{dossier_id}/invitations/matches"
        data = self._json("POST", path, json=contact)
        return [Professional.from_json(p) for p in data["matches"]]

    def invite(self, dossier_id: int, contact: Json) -> Invitation:
        path = f"/api/v1/dossiers/{dossier_id}/invitations"
        data = self._json("POST", path, json=contact, headers=_idempotent())
        return Invitation.from_json(data)

    def invitations(self, dossier_id: int) -> list[Invitation]:
        data = self._json("GET", f"/api/v1/dossiers/{dossier_id}/invitations")
        return [Invitation.from_json(i) for i in data]

    # notifications -----------------------------------------------------------------
    def notifications(
        self, *, unread: bool = False, since_id: int | None = None, wait: float = 0
    ) -> list[Notification]:
        """The notifications, newest first; with `since_id` and `wait` (seconds), the
        platform holds the answer until there is a newer one, or the time is up."""
        params: dict[str, str | int | float] = {"unread": "true"} if unread else {}
        options: dict[str, Any] = {}
        if since_id is not None:
            params["since_id"] = since_id
        if wait:
            params["wait"] = wait
            options["timeout"] = httpx.Timeout(wait + READ_TIMEOUT, connect=10.0)
        data = self._json("GET", "/api/v1/notifications", params=params, **options)
        return [Notification.from_json(n) for n in data["items"]]

    def mark_read(self, ids: Iterable[int]) -> None:
        self.request("POST", "/api/v1/notifications/read", json={"ids": list(ids)})

    def mark_all_read(self) -> None:
        self.request("POST", "/api/v1/notifications/read", json={"all": True})

    # instances ---------------------------------------------------------------------
    def lookup_instances(self, sop_instance_uids: list[str]) -> dict[str, str]:
        """SOP Instance UID -> SHA-256 of those the platform already holds."""
        present: dict[str, str] = {}
        for start in range(0, len(sop_instance_uids), 1000):
            body = {"sop_instance_uids": sop_instance_uids[start : start + 1000]}
            data = self._json("POST", "/api/v1/instances/lookup", json=body)
            present.update((p["sop_instance_uid"], p["sha256"]) for p in data["present"])
        return present

    @property
    def http(self) -> httpx.Client:
        """The underlying connection pool, for streamed uploads (see `api.stow`); the
        access token is renewed first if it is about to expire (a stream is not resent)."""
        self.ensure_fresh()
        return self._http


class _NoAuth(httpx.Auth):
    """No Authorization header: the refresh token is the credential of a refresh."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.pop("Authorization", None)
        yield request


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _replayable(kwargs: dict[str, Any]) -> bool:
    content = kwargs.get("content")
    return content is None or isinstance(content, (bytes, str))


def trace_hooks(trace: Callable[[str], None]) -> dict[str, list[Callable[..., Any]]]:
    from ortif_cli.api.trace import hooks

    return hooks(trace)
