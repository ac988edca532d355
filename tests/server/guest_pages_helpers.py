"""A guest's browser session over plain HTTP (httpx), for the page tests that need no Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydicom import dcmread
from pydicom.fileset import FileSet

from tests.server.conftest import Server
from tests.server.dicom_files import ct_bytes
from tests.server.dossier_helpers import create_dossier, upload_document, upload_study
from tests.server.invitation_helpers import invite, messages_to, secrets_of, unique_email

SIGNIN_TOKEN = re.compile(r'name="signin_token" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Invited:
    dossier: dict[str, Any]
    invitation: dict[str, Any]
    link_token: str
    code: str
    study_uid: str
    files: list[bytes]
    document: dict[str, Any]

    @property
    def page(self) -> str:
        return f"/guest/{self.link_token}"


def invited_dossier(server: Server, alice: httpx.Client, instances: int = 3) -> Invited:
    """A sent dossier of alice to bob with a study and a document, and a guest invited."""
    first = ct_bytes(description="CT THORAX")
    study_uid = upload_study(alice, first)
    files = [first, *(ct_bytes(study_uid=study_uid) for _ in range(instances - 1))]
    upload_study(alice, *files[1:])
    document = upload_document(alice, b"%PDF-1.4 compte rendu", "compte-rendu.pdf")
    bob = [{"kind": "user", "id": server.users["bob"]}]
    dossier = create_dossier(alice, bob, document_ids=[document["id"]])
    exams = {"study_instance_uids": [study_uid]}
    alice.post(f"/api/v1/dossiers/{dossier['id']}/exams", json=exams).raise_for_status()
    alice.post(f"/api/v1/dossiers/{dossier['id']}/send").raise_for_status()
    email = unique_email()
    invitation = invite(alice, dossier["id"], email=email, last_name="NOËL", first_name="Chloé")
    link_token, code = secrets_of(messages_to(server.outbox, email))
    return Invited(dossier, invitation, link_token, code, study_uid, files, document)


def dicomdir_instances(dicomdir: Path) -> list[tuple[Path, str]]:
    """(file, PatientID) of every instance the DICOMDIR references, read by pydicom."""
    file_set = FileSet(dcmread(dicomdir))
    try:
        return [(Path(i.path), str(i.PatientID)) for i in file_set]
    finally:
        file_set._stage["t"].cleanup()  # its staging directory (pydicom has no public close)


def browser(server: Server, language: str = "fr") -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30, headers={"Accept-Language": language})


def submit_code(client: httpx.Client, link_token: str, code: str) -> httpx.Response:
    """Open the sign-in form and send `code` with the form's token, as a browser does."""
    form = client.get(f"/guest/{link_token}")
    token = SIGNIN_TOKEN.search(form.text)
    assert token, form.text
    data = {"code": code, "signin_token": token.group(1)}
    return client.post(f"/guest/{link_token}", data=data)


@contextmanager
def signed_in_guest(server: Server, invited: Invited) -> Iterator[httpx.Client]:
    """A client holding the guest's session cookie, closed after."""
    with browser(server) as client:
        answer = submit_code(client, invited.link_token, invited.code)
        assert answer.status_code == 303, answer.text
        yield client


def csrf_of(client: httpx.Client, page: str) -> str:
    found = CSRF.search(client.get(page).text)
    assert found
    return found.group(1)
