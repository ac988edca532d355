"""Authorization matrix: for each endpoint of docs/api.md, each role gets exactly the
expected status.

The world (one server of its own): alice owns dossier S (sent, visibility = her community
Radiologie, correspondents: bob in person and the community Neurochirurgie of carol, with
an exam and a document) and dossier D (draft, same people); dossier O (sent, bob) is
another one. dave is in Radiologie only (the visibility community); eve is in none of them.
Guests: of S (or of D for the rows on D), of O (another dossier), an expired guest of S,
and alice's revoked session token. A row whose success would change the state the other
cells rely on (send, cancel, ack) gets a fresh dossier for its successful cells.
"""

from __future__ import annotations

import inspect
import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid
from sqlalchemy import text

from ortif_server.cli import serve
from ortif_server.db import create_db_engine
from tests.server.conftest import _database_backends, fresh_postgresql_database
from tests.server.dicom_files import ct_bytes, multipart
from tests.server.dossier_helpers import PATIENT
from tests.server.invitation_helpers import CODE
from tests.server.server_process import ServerProcess

USERS = ("owner", "correspondent", "community_correspondent", "visibility_member", "outsider")
GUESTS = ("guest", "other_guest")
ROLES = (*USERS, *GUESTS, "expired_guest", "revoked")
USERNAMES = {
    "owner": "alice",
    "correspondent": "bob",
    "community_correspondent": "carol",
    "visibility_member": "dave",
    "outsider": "eve",
}
HAS_OUTBOX = "outbox" in inspect.signature(serve).parameters


def expect(
    users: int | dict[str, int],
    guest: int | None = 403,
    other_guest: int | None = 403,
    expired: int | None = 401,
) -> dict[str, int | None]:
    """Statuses by role: `users` for every user (or per user), then the guests."""
    table = dict.fromkeys(USERS, users) if isinstance(users, int) else dict(users)
    return {**table, "guest": guest, "other_guest": other_guest, "expired_guest": expired} | {
        "revoked": 401
    }


def on_dossier(
    owner: int, participant: int, member: int, guest: int | None, other_guest: int = 404
) -> dict[str, Any]:
    """A dossier row: owner, the two correspondents, dave (visibility), eve (404), guests.

    A guest of another dossier gets 404 where guests may act on their own dossier, and 403
    `guest_forbidden` on what no guest may do at all (that reveals nothing about S)."""
    users = {
        "owner": owner,
        "correspondent": participant,
        "community_correspondent": participant,
        "visibility_member": member,
        "outsider": 404,
    }
    return expect(users, guest=guest, other_guest=other_guest)


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as in docs/api.md; {S}, {D}, {doc}, ... are filled from the world
    expected: dict[str, int | None]
    body: Callable[[World, str], dict[str, Any]] | None = None
    fresh: str | None = None  # "draft"/"sent": successful cells act on a fresh dossier
    requires_outbox: bool = False

    @property
    def route(self) -> tuple[str, str]:
        return self.method, _shape(self.path)


@dataclass
class World:
    server: ServerProcess
    tokens: dict[str, str] = field(default_factory=dict)
    guest_tokens: dict[str, str] = field(default_factory=dict)  # dossier key -> token
    ids: dict[str, Any] = field(default_factory=dict)

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.server.url, headers=headers, timeout=20)


def _correspondents(world: World, role: str) -> dict[str, Any]:
    other = "alice" if role == "outsider" else "eve"
    return {
        "type": "imaging-transfer",
        "visibility": "me",
        "correspondents": [{"kind": "user", "id": world.ids["users"][other]}],
        "patient": PATIENT,
    }


def _invitation(world: World, role: str) -> dict[str, Any]:
    return {"last_name": "INVITÉ", "first_name": "Gaston", "email": f"{role}@example.org"}


ROWS = [
    Row("GET", "/api/v1/health", dict.fromkeys(ROLES, 200)),
    Row("GET", "/health/live", dict.fromkeys(ROLES, 200)),
    Row("GET", "/health/ready", dict.fromkeys(ROLES, 200)),
    Row("GET", "/api/v1/session", expect(200, guest=200, other_guest=200)),
    # Whether a guest may sign out (DELETE /session) is not in docs/api.md: not asserted.
    Row("DELETE", "/api/v1/session", expect(204, guest=None, other_guest=None)),
    Row("GET", "/api/v1/me", expect(200)),
    Row("GET", "/api/v1/directory", expect(200)),
    Row("GET", "/api/v1/directory/establishments", expect(200)),
    Row("GET", "/api/v1/directory/establishments/{est}/communities", expect(200)),
    Row("GET", "/api/v1/directory/communities/{com}/members", expect(200)),
    Row("GET", "/api/v1/patients", expect(200)),
    Row("POST", "/api/v1/tokens", expect(201), body=lambda w, r: {"name": f"matrix-{r}"}),
    Row("GET", "/api/v1/tokens", expect(200)),
    Row("DELETE", "/api/v1/tokens/{tok}", expect({**dict.fromkeys(USERS, 404), "owner": 204})),
    Row("GET", "/api/v1/notifications", expect(200)),
    Row("POST", "/api/v1/notifications/read", expect(204), body=lambda w, r: {"all": True}),
    Row(  # guests upload (STOW-RS), so they may ask what is already there (not in api.md)
        "POST",
        "/api/v1/instances/lookup",
        expect(200, guest=200, other_guest=200),
        body=lambda w, r: {"sop_instance_uids": ["1.2.3"]},
    ),
    Row("POST", "/api/v1/dossiers", expect(201), body=_correspondents),
    Row("GET", "/api/v1/dossiers", expect(200)),
    Row("GET", "/api/v1/dossiers/{S}", on_dossier(200, 200, 200, guest=200)),
    Row("GET", "/api/v1/dossiers/{S}/manifest", on_dossier(200, 200, 200, guest=200)),
    Row("POST", "/api/v1/dossiers/{D}/send", on_dossier(200, 403, 403, 403), fresh="draft"),
    Row("POST", "/api/v1/dossiers/{D}/cancel", on_dossier(200, 403, 403, 403), fresh="draft"),
    Row(
        "POST",
        "/api/v1/dossiers/{S}/exams",
        on_dossier(200, 403, 403, 403),
        body=lambda w, r: {"study_instance_uids": [w.ids["study"]]},
    ),
    Row(
        "POST",
        "/api/v1/dossiers/{S}/documents",
        on_dossier(200, 403, 403, 403),
        body=lambda w, r: {"document_ids": [w.ids["spare_doc"]]},
    ),
    Row(
        "POST",
        "/api/v1/dossiers/{S}/steps",
        on_dossier(201, 201, 403, guest=201),
        body=lambda w, r: {"kind": "answer", "comment": f"answer by {r}"},
    ),
    Row(
        "POST",
        "/api/v1/dossiers/{S}/steps",
        on_dossier(403, 201, 403, guest=403),
        body=lambda w, r: {"kind": "ack"},
        fresh="sent",
    ),
    Row(
        "POST",
        "/api/v1/dossiers/{S}/invitations/matches",
        on_dossier(200, 200, 200, guest=403, other_guest=403),
        body=_invitation,
    ),
    Row(
        "POST",
        "/api/v1/dossiers/{S}/invitations",
        on_dossier(201, 201, 403, guest=403, other_guest=403),
        body=_invitation,
        requires_outbox=True,
    ),
    Row(
        "GET",
        "/api/v1/dossiers/{S}/invitations",
        on_dossier(200, 200, 200, guest=403, other_guest=403),
    ),
    Row(  # the matrix's platform has no viewer installed: 409 for whoever may see S
        "POST",
        "/api/v1/dossiers/{S}/viewer-links",
        on_dossier(409, 409, 409, guest=403, other_guest=403),
    ),
    Row("POST", "/api/v1/documents", expect(201, guest=201, other_guest=201)),
    Row("GET", "/api/v1/documents/{doc}/content", on_dossier(200, 200, 200, guest=200)),
    Row("POST", "/dicomweb/studies", expect(200, guest=200, other_guest=200)),
    Row("GET", "/dicomweb/studies", expect(200, guest=200, other_guest=200)),
    Row("GET", "/dicomweb/studies/{study}", on_dossier(200, 200, 200, guest=200)),
    Row("GET", "/dicomweb/studies/{study}/series", on_dossier(200, 200, 200, guest=200)),
    Row("GET", "/dicomweb/studies/{study}/series/{series}", on_dossier(200, 200, 200, guest=200)),
    Row(
        "GET",
        "/dicomweb/studies/{study}/series/{series}/instances",
        on_dossier(200, 200, 200, guest=200),
    ),
    Row(
        "GET",
        "/dicomweb/studies/{study}/series/{series}/instances/{sop}",
        on_dossier(200, 200, 200, guest=200),
    ),
    # Into a study of its own: an uploader sees the whole study it added an instance to.
    Row("POST", "/dicomweb/studies/{new_study}", expect(200, guest=200, other_guest=200)),
    Row("GET", "/dicomweb/series", expect(200, guest=200, other_guest=200)),
    Row("GET", "/dicomweb/instances", expect(200, guest=200, other_guest=200)),
    *(
        Row("GET", f"/dicomweb/studies/{{study}}{tail}", on_dossier(200, 200, 200, guest=200))
        for tail in (
            "/instances",
            "/metadata",
            "/thumbnail",
            "/series/{series}/metadata",
            "/series/{series}/thumbnail",
            *(
                f"/series/{{series}}/instances/{{sop}}{leaf}"
                for leaf in (
                    "/metadata",
                    "/rendered",
                    "/thumbnail",
                    "/bulk/{tag}",
                    "/frames/{frame}",
                    "/frames/{frame}/rendered",
                    "/frames/{frame}/thumbnail",
                )
            ),
        )
    ),
]
# Not role-based (no bearer token): POST /api/v1/session, /session/refresh, /guest-session.
UNAUTHENTICATED = {
    ("POST", "/api/v1/session"),
    ("POST", "/api/v1/session/refresh"),
    ("POST", "/api/v1/guest-session"),
    # sign-in with Pro Santé Connect: no bearer yet (tests/psc); the poll needs its handle
    ("POST", "/api/v1/psc/logins"),
    ("POST", "/api/v1/psc/logins/poll"),
}


def _existing_routes() -> set[tuple[str, str]]:
    """(method, path) of every operation in the server's OpenAPI document."""
    from ortif_server.app import create_app
    from ortif_server.config import ServerSettings

    paths = create_app(ServerSettings(Path("/nonexistent-ortif-data"))).openapi()["paths"]
    return {(method.upper(), _shape(path)) for path, item in paths.items() for method in item}


def _shape(path: str) -> str:
    """The path with its parameters unnamed: /a/{x}/b -> /a/{}/b."""
    return re.sub(r"\{\w+\}", "{}", path)


ROUTES = _existing_routes()
CELLS = [
    pytest.param(row, role, id=f"{row.method} {row.path} {role}{' ack' * (row.fresh == 'sent')}")
    for row in ROWS
    if row.route in ROUTES and (HAS_OUTBOX or not row.requires_outbox)
    for role in ROLES
    if row.expected[role] is not None and (HAS_OUTBOX or role in (*USERS, "revoked"))
]


def test_every_route_is_in_the_matrix() -> None:
    covered = {row.route for row in ROWS} | UNAUTHENTICATED
    assert ROUTES - covered == set(), "add the new endpoints to the authorization matrix"


# ----------------------------------------------------------------------------- the world


@pytest.fixture(scope="module", params=_database_backends())
def world(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[World]:
    with ExitStack() as stack:
        database = None
        if request.param == "postgresql":
            database = stack.enter_context(fresh_postgresql_database())
        yield from _world(tmp_path_factory, database)


def _world(tmp_path_factory: pytest.TempPathFactory, database: str | None) -> Iterator[World]:
    base = tmp_path_factory.mktemp("authz")
    server = ServerProcess.seeded(base / "data", database)
    if HAS_OUTBOX:
        server.extra_args = ["--outbox", str(base / "outbox")]
    server.start()
    world = World(server)
    try:
        _build(world, base / "outbox")
        yield world
    finally:
        server.stop()


def _build(world: World, outbox: Path) -> None:
    for role, username in USERNAMES.items():
        world.tokens[role] = world.server.token(username)
    revoked = world.server.token("alice")
    with world.client(revoked) as client:
        assert client.delete("/api/v1/session").status_code == 204
    world.tokens["revoked"] = revoked
    with world.client(world.tokens["owner"]) as alice:
        _directory_ids(world, alice)
        world.ids["study"] = _upload_study(world, alice)
        world.ids["frame"], world.ids["tag"] = "1", "7FE00010"
        world.ids["doc"] = _upload_document(alice)
        world.ids["spare_doc"] = _upload_document(alice)
        world.ids["tok"] = alice.post("/api/v1/tokens", json={"name": "x"}).json()["id"]
        world.ids["S"] = _dossier(world, alice, sent=True, document_ids=[world.ids["doc"]])
        world.ids["D"] = _dossier(world, alice, sent=False)
        world.ids["O"] = _dossier(world, alice, sent=True, only_bob=True)
        if HAS_OUTBOX:
            _guests(world, alice, outbox)


def _directory_ids(world: World, alice: httpx.Client) -> None:
    directory = alice.get("/api/v1/directory").json()
    world.ids["users"] = {p["username"]: p["id"] for p in directory["professionals"]}
    by_name = {c["name"]: c for c in directory["communities"]}
    world.ids["com"] = by_name["Neurochirurgie"]["id"]
    world.ids["radiologie"] = by_name["Radiologie"]["id"]
    world.ids["est"] = by_name["Radiologie"]["establishment"]["id"]


def _upload_study(world: World, client: httpx.Client) -> str:
    study, sop = generate_uid(), generate_uid()
    data = ct_bytes(study_uid=study, sop_uid=sop)
    body, content_type = multipart([data])
    answer = client.post("/dicomweb/studies", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 200, answer.text
    world.ids["sop"] = sop
    world.ids["series"] = dcmread(io.BytesIO(data)).SeriesInstanceUID
    return study


def _upload_document(client: httpx.Client) -> int:
    headers = {
        "Content-Type": "text/plain",
        "Content-Disposition": 'attachment; filename="note.txt"',
    }
    answer = client.post("/api/v1/documents", content=b"a note", headers=headers)
    assert answer.status_code == 201, answer.text
    document_id: int = answer.json()["id"]
    return document_id


def _dossier(
    world: World,
    alice: httpx.Client,
    sent: bool,
    only_bob: bool = False,
    document_ids: list[int] | None = None,
) -> int:
    correspondents = [{"kind": "user", "id": world.ids["users"]["bob"]}]
    if not only_bob:
        correspondents.append({"kind": "community", "id": world.ids["com"]})
    body: dict[str, Any] = {
        "type": "imaging-transfer",
        "visibility": "me" if only_bob else "community",
        "correspondents": correspondents,
        "patient": PATIENT,
    }
    if not only_bob:
        body["community_id"] = world.ids["radiologie"]
    if document_ids:
        body["document_ids"] = document_ids
    answer = alice.post("/api/v1/dossiers", json=body)
    assert answer.status_code == 201, answer.text
    dossier_id: int = answer.json()["id"]
    if not only_bob:
        exams = {"study_instance_uids": [world.ids["study"]]}
        assert alice.post(f"/api/v1/dossiers/{dossier_id}/exams", json=exams).status_code == 200
    if sent:
        assert alice.post(f"/api/v1/dossiers/{dossier_id}/send").status_code == 200
    return dossier_id


def _guests(world: World, alice: httpx.Client, outbox: Path) -> None:
    for key in ("S", "D", "O", "expired"):
        dossier_id = world.ids["O" if key == "O" else "D" if key == "D" else "S"]
        email = f"guest-{key.lower()}@example.org"
        body = {"last_name": "INVITÉ", "first_name": key, "email": email}
        answer = alice.post(f"/api/v1/dossiers/{dossier_id}/invitations", json=body)
        assert answer.status_code == 201, answer.text
        link_token, code = _read_outbox(outbox, email)
        signed_in = httpx.post(
            f"{world.server.url}/api/v1/guest-session",
            json={"link_token": link_token, "code": code},
        )
        assert signed_in.status_code == 200, signed_in.text
        world.guest_tokens[key] = signed_in.json()["access_token"]
        world.ids[f"invitation_{key}"] = answer.json()["id"]
    _expire(world, world.ids["invitation_expired"])


def _read_outbox(outbox: Path, email: str) -> tuple[str, str]:
    texts = [json.loads(p.read_text()) for p in sorted(outbox.glob("*.json"))]
    mine = " ".join(m["text"] for m in texts if m["to"] == email)
    link = re.search(r"/guest/([A-Za-z0-9_\-]+)", mine)
    code = CODE.search(mine)
    assert link and code, mine
    return link.group(1), code.group(1)


def _expire(world: World, invitation_id: int) -> None:
    past = datetime.utcnow() - timedelta(days=1)  # noqa: DTZ003 (stored naive, in UTC)
    engine = create_db_engine(world.server.settings.effective_database_url)
    try:
        with engine.begin() as connection:
            for table, column in (("invitation", "id"), ("token", "invitation_id")):
                connection.execute(
                    text(f"UPDATE {table} SET expires_at = :past WHERE {column} = :id"),
                    {"past": past, "id": invitation_id},
                )
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- the cells


def _token(world: World, row: Row, role: str) -> str:
    if role == "guest":
        return world.guest_tokens["D" if "{D}" in row.path else "S"]
    if role == "other_guest":
        return world.guest_tokens["O"]
    if role == "expired_guest":
        return world.guest_tokens["expired"]
    if row.path == "/api/v1/session" and row.method == "DELETE" and role != "revoked":
        return world.server.token(USERNAMES[role])  # signing out must not spend the shared one
    return world.tokens[role]


def _path(world: World, row: Row, role: str, expected: int) -> str:
    ids = {key: str(value) for key, value in world.ids.items() if not isinstance(value, dict)}
    ids["new_study"] = generate_uid()  # new to each caller: the first uploader alone may add
    if row.fresh and 200 <= expected < 300:
        with world.client(world.tokens["owner"]) as alice:
            fresh = _dossier(world, alice, sent=row.fresh == "sent")
        ids["S"] = ids["D"] = str(fresh)
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], row.path)


def _request(world: World, row: Row, role: str, path: str) -> httpx.Response:
    with world.client(_token(world, row, role)) as client:
        if path == "/api/v1/documents":
            headers = {"Content-Type": "text/plain", "Content-Disposition": "attachment"}
            return client.post(path, content=b"x", headers=headers)
        if path == "/dicomweb/studies" and row.method == "POST":
            stow, content_type = multipart([ct_bytes()])
            return client.post(path, content=stow, headers={"Content-Type": content_type})
        if path.startswith("/dicomweb/studies/") and row.method == "POST":
            stow, content_type = multipart([ct_bytes(study_uid=path.rsplit("/", 1)[1])])
            return client.post(path, content=stow, headers={"Content-Type": content_type})
        if path.startswith("/dicomweb/studies/"):
            return client.get(path, headers=_dicomweb_accept(path))
        body = row.body(world, role) if row.body else None
        return client.request(row.method, path, json=body)


def _dicomweb_accept(path: str) -> dict[str, str]:
    """What a client of each WADO-RS resource asks for (QIDO, metadata, images: defaults)."""
    if "/frames/" in path and not path.endswith(("/rendered", "/thumbnail")) or "/bulk/" in path:
        return {"Accept": 'multipart/related; type="application/octet-stream"'}
    if path.endswith(("/series", "/instances", "/metadata", "/rendered", "/thumbnail")):
        return {}
    return {"Accept": 'multipart/related; type="application/dicom"'}


@pytest.mark.parametrize(("row", "role"), CELLS)
def test_role_gets_the_expected_status(world: World, row: Row, role: str) -> None:
    expected = row.expected[role]
    assert expected is not None
    answer = _request(world, row, role, _path(world, row, role, expected))
    assert answer.status_code == expected, f"{row.method} {row.path} as {role}: {answer.text}"
    if expected >= 400:
        assert "error" in answer.json()


@pytest.mark.parametrize("role", USERS)
def test_dossier_list_shows_exactly_the_visible_dossiers(world: World, role: str) -> None:
    """The list's fast visibility forms (visible_dossiers.py) agree with `visible_to`."""
    from sqlalchemy import select

    from ortif_server.models import Dossier
    from ortif_server.visibility import visible_to

    with world.client(world.tokens[role]) as client:
        page = client.get("/api/v1/dossiers", params={"limit": 500}).json()
    user_id = world.ids["users"][USERNAMES[role]]
    engine = create_db_engine(world.server.settings.effective_database_url)
    try:
        with engine.connect() as connection:
            expected = set(connection.scalars(select(Dossier.id).where(visible_to(user_id))))
    finally:
        engine.dispose()
    assert {item["id"] for item in page["items"]} == expected
    assert page["total"] == len(expected)
