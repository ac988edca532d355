"""The guest's pages over HTTP: sign-in, lockout, ended access, scope, CSRF, the study zip.

The whole journey in a real Chromium is in tests/e2e/test_guest_browser.py.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ortif_server import viewer_bundle
from ortif_server.admin import admin_session
from ortif_server.i18n import LOCALE_DIR, negotiate
from ortif_server.models import AuditEvent, Invitation
from tests.server.conftest import Server
from tests.server.guest_pages_helpers import (
    browser,
    csrf_of,
    dicomdir_instances,
    invited_dossier,
    signed_in_guest,
    submit_code,
)
from tests.server.invitation_helpers import messages_to

Client = Callable[[str], httpx.Client]


def test_sign_in_page_in_french_then_english(server: Server, signed_in: Client) -> None:
    invited = invited_dossier(server, signed_in("alice"), instances=1)
    with browser(server) as french, browser(server, "en-GB,en;q=0.9,fr;q=0.5") as english:
        page = french.get(invited.page)
        assert page.status_code == 200
        assert '<html lang="fr">' in page.text and "Code d&#39;accès" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        assert "Access code" in english.get(invited.page).text
        assert "NOËL" not in page.text and "DOE" not in page.text  # nothing before the code


def test_an_unknown_link_says_it_is_not_valid(server: Server) -> None:
    with browser(server) as client:
        page = client.get("/guest/not-a-link")
    assert page.status_code == 404
    assert "Ce lien n&#39;est pas valide" in page.text


def test_wrong_code_then_the_right_one(server: Server, signed_in: Client) -> None:
    invited = invited_dossier(server, signed_in("alice"), instances=1)
    with browser(server) as client:
        wrong = submit_code(client, invited.link_token, "WRONG000")
        assert wrong.status_code == 401 and "Code d&#39;accès erroné." in wrong.text
        right = submit_code(client, invited.link_token, invited.code.lower())
        assert right.status_code == 303
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        page = client.get(invited.page)
        assert "Télédossier n° " + str(invited.dossier["id"]) in page.text
        assert "Please review" in page.text and "compte-rendu.pdf" in page.text


def test_five_wrong_codes_lock_the_invitation(server: Server, signed_in: Client) -> None:
    invited = invited_dossier(server, signed_in("alice"), instances=1)
    with browser(server) as client:
        for _ in range(4):
            assert "erroné" in submit_code(client, invited.link_token, "WRONG000").text
        locked = submit_code(client, invited.link_token, "WRONG000")
        assert re.search(r"bloqué jusqu&#39;au \d\d/\d\d/\d{4} \d\d:\d\d UTC", locked.text)
        refused = submit_code(client, invited.link_token, invited.code)
        assert refused.status_code == 401 and "bloqué" in refused.text
        assert "bloqué" in client.get(invited.page).text
    api = httpx.post(
        f"{server.url}/api/v1/guest-session",
        json={"link_token": invited.link_token, "code": invited.code},
    )
    assert api.json()["error"]["code"] == "invitation_locked"  # one counter, in the database


def test_an_ended_invitation_says_when(server: Server, signed_in: Client) -> None:
    invited = invited_dossier(server, signed_in("alice"), instances=1)
    with browser(server) as client:
        signed_in_guest_page = submit_code(client, invited.link_token, invited.code)
        assert signed_in_guest_page.status_code == 303
        with admin_session(server.settings) as session:
            row = session.get(Invitation, invited.invitation["id"])
            assert row is not None
            row.expires_at = datetime(2026, 2, 26, 12, tzinfo=timezone.utc)
            session.commit()
        page = client.get(invited.page)
        document = client.get(f"{invited.page}/documents/{invited.document['id']}")
    assert page.status_code == 410
    assert "Votre accès à ce télédossier a pris fin le 26/02/2026" in page.text
    assert document.status_code == 410


def test_a_guest_cookie_sees_its_dossier_only(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    mine, other = invited_dossier(server, alice, 1), invited_dossier(server, alice, 1)
    with signed_in_guest(server, mine) as client:
        own = client.get(f"{mine.page}/documents/{mine.document['id']}")
        assert own.status_code == 200 and own.content == b"%PDF-1.4 compte rendu"
        for path in (
            f"{mine.page}/documents/{other.document['id']}",
            f"{mine.page}/studies/{other.study_uid}/zip",
            f"/dicomweb/studies/{other.study_uid}/series",
        ):
            assert client.get(path).status_code == 404, path
        assert client.get(f"/dicomweb/studies/{mine.study_uid}/series").status_code == 200
        # another invitation's link with this cookie: its sign-in form, nothing of its dossier
        elsewhere = client.get(other.page)
        assert 'name="code"' in elsewhere.text and "Télédossier" not in elsewhere.text
        refused = client.get(f"{other.page}/documents/{other.document['id']}")
        assert refused.status_code == 401


def test_forms_without_their_csrf_token_are_refused(server: Server, signed_in: Client) -> None:
    invited = invited_dossier(server, signed_in("alice"), instances=1)
    with signed_in_guest(server, invited) as client:
        step = client.post(
            f"{invited.page}/steps", data={"kind": "answer", "comment": "x"}, files={}
        )
        assert step.status_code == 403 and "Formulaire expiré" in step.text
        forged = {"kind": "answer", "comment": "x", "csrf_token": "forged"}
        assert client.post(f"{invited.page}/steps", data=forged).status_code == 403
        assert client.post(f"{invited.page}/signout").status_code == 403
        assert "Télédossier" in client.get(invited.page).text  # still signed in
    with browser(server) as fresh:
        no_token = fresh.post(invited.page, data={"code": invited.code})
        assert no_token.status_code == 403


def test_a_step_with_documents_then_sign_out(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    invited = invited_dossier(server, alice, instances=1)
    with signed_in_guest(server, invited) as client:
        token = csrf_of(client, invited.page)
        empty = client.post(f"{invited.page}/steps", data={"kind": "answer", "csrf_token": token})
        assert empty.status_code == 422
        assert "Écrivez un commentaire ou joignez un document." in empty.text
        added = client.post(
            f"{invited.page}/steps",
            data={"kind": "answer", "comment": "Pas de lésion.", "csrf_token": token},
            files=[("files", ("avis.pdf", b"%PDF-1.4 avis", "application/pdf"))],
        )
        assert added.status_code == 303, added.text
        out = client.post(f"{invited.page}/signout", data={"csrf_token": token})
        assert out.status_code == 303
        assert "Vous êtes déconnecté." in client.get(out.headers["location"]).text
        assert client.get(f"{invited.page}/documents/1").status_code == 401
    dossier = alice.get(f"/api/v1/dossiers/{invited.dossier['id']}").json()
    step = dossier["steps"][-1]
    assert (step["kind"], step["comment"]) == ("answer", "Pas de lésion.")
    assert step["guest_author"]["last_name"] == "NOËL"
    assert [d["filename"] for d in step["documents"]] == ["avis.pdf"]
    with admin_session(server.settings) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.invitation_id == invited.invitation["id"])
        ).all()
    assert {"sign_in", "read", "upload", "add_step:answer", "sign_out"} <= set(actions)


def test_the_study_zip_has_every_file_and_a_dicomdir(
    server: Server, signed_in: Client, tmp_path: Path
) -> None:
    invited = invited_dossier(server, signed_in("alice"), instances=3)
    with signed_in_guest(server, invited) as client:
        answer = client.get(f"{invited.page}/studies/{invited.study_uid}/zip")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert 'filename="DOE_JOHN_2026-01-02.zip"' in answer.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "cd")
    assert names[0] == "DICOMDIR" and len(names) == 4
    assert all(re.fullmatch(r"(PT|ST|SE|IM)\d{6}(/(ST|SE|IM)\d{6}){3}", n) for n in names[1:])
    instances = dicomdir_instances(tmp_path / "cd" / "DICOMDIR")
    assert len(instances) == 3
    stored = {hashlib.sha256(f).hexdigest() for f in invited.files}
    found = {hashlib.sha256(path.read_bytes()).hexdigest() for path, _ in instances}
    assert found == stored  # byte-identical, each referenced by the DICOMDIR
    if shutil.which("dcmdump"):
        dumped = subprocess.run(
            ["dcmdump", str(tmp_path / "cd" / "DICOMDIR")], capture_output=True, text=True
        )
        assert dumped.returncode == 0 and dumped.stdout.count("[IMAGE]") == 3


def test_invitation_messages_name_the_inviter_in_french(server: Server, signed_in: Client) -> None:
    invited = invited_dossier(server, signed_in("alice"), instances=1)
    email = invited.invitation["email"]
    link, code = messages_to(server.outbox, email)
    until = datetime.fromisoformat(invited.invitation["expires_at"]).strftime("%d/%m/%Y")
    assert link["subject"] == "Invitation ortif"
    assert link["text"].startswith("Bonjour Chloé NOËL,")
    assert "Alice MARTIN (Hôpital Nord) vous invite" in link["text"]
    assert f"jusqu'au {until}" in link["text"] and f"/guest/{invited.link_token}" in link["text"]
    assert code["text"] == f"Votre code d'accès ortif : {invited.code}"
    assert invited.code not in link["text"]


def test_view_the_images_when_the_viewer_is_installed(server: Server, signed_in: Client) -> None:
    invited = invited_dossier(server, signed_in("alice"), instances=1)
    root = viewer_bundle.viewer_dir(server.data_dir)
    with signed_in_guest(server, invited) as client:
        assert "Voir les images" not in client.get(invited.page).text
        (root / "dist").mkdir(parents=True)
        (root / "dist" / "index.html").write_text("<!doctype html>")
        (root / viewer_bundle.MARKER).write_text('{"version": "test"}')
        try:
            page = client.get(invited.page).text
        finally:
            shutil.rmtree(root)
    assert f'href="/viewer/viewer?StudyInstanceUIDs={invited.study_uid}"' in page
    assert "Voir les images" in page


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "fr"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,en;q=0.5,fr;q=0.8", "fr"),
        ("de-DE,en;q=0.5", "en"),
        ("es, *;q=0.1", "fr"),
        ("en;q=nonsense, fr;q=0.2", "fr"),
    ],
)
def test_the_page_language_follows_accept_language(header: str | None, language: str) -> None:
    assert negotiate(header) == language


def test_the_server_catalog_is_compiled() -> None:
    """The checked-in .mo matches its .po (scripts/update-catalogs compiles it)."""
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    po_path = LOCALE_DIR / "fr" / "LC_MESSAGES" / "ortif_server.po"
    with po_path.open("rb") as po, po_path.with_suffix(".mo").open("rb") as mo:
        written = {m.id: m.string for m in read_po(po) if m.id}
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert written == compiled and all(written.values())


def test_a_closed_dossier_takes_no_more_steps(server: Server, signed_in: Client) -> None:
    invited = invited_dossier(server, signed_in("alice"), instances=1)
    with signed_in_guest(server, invited) as client:
        token = csrf_of(client, invited.page)
        ack = {"kind": "ack", "comment": "Bien reçu."}
        path = f"/api/v1/dossiers/{invited.dossier['id']}/steps"
        assert signed_in("bob").post(path, json=ack).status_code == 201
        page = client.get(invited.page).text
        assert "Ce télédossier est clos" in page and 'name="comment"' not in page
        late = client.post(
            f"{invited.page}/steps",
            data={"kind": "answer", "comment": "Trop tard.", "csrf_token": token},
        )
    assert late.status_code == 422 and "Ce télédossier est clos" in late.text
    steps = signed_in("alice").get(f"/api/v1/dossiers/{invited.dossier['id']}").json()["steps"]
    assert [s["kind"] for s in steps] == ["request", "ack"]
