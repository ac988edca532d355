"""Browser sessions: a cookie scoped to one dossier reads that dossier's studies, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx

from ortif_server.browser_sessions import COOKIE_NAME, consume_link, create_link, open_session
from ortif_server.db import create_db_engine, session_factory
from ortif_server.models import User, utcnow
from tests.server.conftest import Server
from tests.server.dossier_helpers import create_dossier, upload_study

Client = Callable[[str], httpx.Client]


def _dossier_with_study(server: Server, alice: httpx.Client) -> tuple[int, str]:
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    study_uid = upload_study(alice)
    path = f"/api/v1/dossiers/{dossier['id']}/exams"
    alice.post(path, json={"study_instance_uids": [study_uid]}).raise_for_status()
    return dossier["id"], study_uid


def _open(server: Server, username: str, dossier_id: int, lifetime: timedelta) -> str:
    engine = create_db_engine(server.settings.effective_database_url)
    try:
        with session_factory(engine)() as session:
            user = session.get(User, server.users[username])
            expires_at = utcnow() + lifetime
            return open_session(session, dossier_id=dossier_id, expires_at=expires_at, user=user)
    finally:
        engine.dispose()


def _browser(server: Server, secret: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, cookies={COOKIE_NAME: secret}, timeout=10)


def test_cookie_reads_its_dossier_only(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    dossier_id, study_uid = _dossier_with_study(server, alice)
    _, other_study = _dossier_with_study(server, alice)
    uploaded_only = upload_study(alice)
    with _browser(server, _open(server, "alice", dossier_id, timedelta(hours=1))) as browser:
        found = browser.get("/dicomweb/studies").json()
        assert [s["0020000D"]["Value"][0] for s in found] == [study_uid]
        assert browser.get(f"/dicomweb/studies/{study_uid}/series").status_code == 200
        for hidden in (other_study, uploaded_only):
            assert browser.get(f"/dicomweb/studies/{hidden}/series").status_code == 404
        # reads only: no JSON API, no STOW through a cookie
        assert browser.get("/api/v1/me").status_code == 401
        assert browser.post("/dicomweb/studies", content=b"x").status_code == 401


def test_expired_or_unknown_cookie_sees_nothing(server: Server, signed_in: Client) -> None:
    dossier_id, study_uid = _dossier_with_study(server, signed_in("alice"))
    expired = _open(server, "alice", dossier_id, timedelta(seconds=-1))
    for secret in (expired, "not-a-session"):
        with _browser(server, secret) as browser:
            assert browser.get(f"/dicomweb/studies/{study_uid}/series").status_code == 401


def test_cookie_of_someone_who_may_not_see_the_dossier(server: Server, signed_in: Client) -> None:
    dossier_id, study_uid = _dossier_with_study(server, signed_in("alice"))
    with _browser(server, _open(server, "eve", dossier_id, timedelta(hours=1))) as browser:
        assert browser.get(f"/dicomweb/studies/{study_uid}/series").status_code == 404
        assert browser.get("/dicomweb/studies").json() == []


def test_a_link_is_used_once(server: Server, signed_in: Client) -> None:
    dossier_id, _ = _dossier_with_study(server, signed_in("alice"))
    engine = create_db_engine(server.settings.effective_database_url)
    try:
        with session_factory(engine)() as session:
            user = session.get(User, server.users["alice"])
            assert user is not None
            secret, _ = create_link(session, user, dossier_id, timedelta(minutes=2))
            expired, _ = create_link(session, user, dossier_id, timedelta(seconds=-1))
            used = consume_link(session, secret)
            assert used is not None and used.dossier_id == dossier_id
            assert consume_link(session, secret) is None
            assert consume_link(session, expired) is None
            assert consume_link(session, "unknown") is None
    finally:
        engine.dispose()
