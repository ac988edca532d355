"""httpx client of the platform API: one method per endpoint, typed answers, typed errors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx

from ortif_cli.api.models import (
    Directory,
    Dossier,
    DossierPage,
    Json,
    Me,
    Notification,
    Professional,
    Session,
    UserRef,
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

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "ortif"


def error_for_response(response: httpx.Response) -> OrtifError:
    """Turn a 4xx/5xx answer into the matching OrtifError."""
    try:
        body = response.json().get("error", {})
    except ValueError:
        body = {}
    message = body.get("message") or f"The platform answered {response.status_code}."
    status = response.status_code
    if status == 401:
        return AuthError(message, hint="Run `ortif login` to sign in again.")
    if status == 403:
        return ForbiddenError(message)
    if status == 404:
        return NotFoundError(message)
    if status in (400, 409, 413, 415, 422):
        return RuleError(message)
    return OrtifError(
        f"The platform failed ({status}): {message}",
        hint="Try again later; if it persists, tell the platform's administrator.",
    )


@contextmanager
def network_errors(base_url: str) -> Iterator[None]:
    """Translate httpx transport failures into ConnectionFailure."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ConnectionFailure(
            f"The platform at {base_url} did not answer in time.",
            hint="Check the network, or try again later.",
        ) from exc
    except httpx.TransportError as exc:
        raise ConnectionFailure(
            f"Cannot reach the platform at {base_url}: {exc}.",
            hint="Check the server address (--server) and that the platform is up.",
        ) from exc


class PlatformClient:
    """The platform API, as seen by one signed-in user (or anonymous, for `login`)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise UsageError(
                f"The server address {base_url!r} is not an http(s) URL.",
                hint="Give it as https://host[:port].",
            )
        self.base_url = base_url.rstrip("/")
        headers = {"User-Agent": USER_AGENT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; raise the matching OrtifError unless it succeeded."""
        with network_errors(self.base_url):
            response = self._http.request(method, path, **kwargs)
        if response.is_error:
            raise error_for_response(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    # session -----------------------------------------------------------------------
    def login(self, username: str, password: str) -> Session:
        body = {"username": username, "password": password}
        data = self._json("POST", "/api/v1/session", json=body)
        return Session(
            access_token=data["access_token"],
            expires_at=datetime.fromisoformat(data["expires_at"]),
            user=UserRef.from_json(data["user"]),
        )

    def logout(self) -> None:
        self.request("DELETE", "/api/v1/session")

    def me(self) -> Me:
        data = self._json("GET", "/api/v1/me")
        professional = Professional.from_json(data)
        return Me(professional.user, professional.communities)

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
        return Dossier.from_json(self._json("POST", "/api/v1/dossiers", json=body))

    def list_dossiers(
        self, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> DossierPage:
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
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

    def add_step(self, dossier_id: int, kind: str, comment: str | None = None) -> Dossier:
        body = {"kind": kind, "comment": comment}
        path = f"/api/v1/dossiers/{dossier_id}/steps"
        return Dossier.from_json(self._json("POST", path, json=body))

    # notifications -----------------------------------------------------------------
    def notifications(self, *, unread: bool = False) -> list[Notification]:
        params = {"unread": "true"} if unread else {}
        data = self._json("GET", "/api/v1/notifications", params=params)
        return [Notification.from_json(n) for n in data["items"]]

    def mark_read(self, ids: Iterable[int]) -> None:
        self.request("POST", "/api/v1/notifications/read", json={"ids": list(ids)})

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
        """The underlying connection pool, for streamed uploads (see `api.stow`)."""
        return self._http
