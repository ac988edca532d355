"""Builders shared by the dossier tests."""

from __future__ import annotations

from typing import Any

import httpx

PATIENT = {
    "last_name": "DOE",
    "first_name": "John",
    "identifier": "PID-1",
    "birth_date": "1970-01-01",
    "sex": "M",
}


def my_community_id(client: httpx.Client) -> int:
    community_id: int = client.get("/api/v1/me").json()["communities"][0]["id"]
    return community_id


def create_dossier(client: httpx.Client, correspondents: list[dict[str, Any]], **extra: Any) -> Any:
    body = {
        "type": "imaging-transfer",
        "visibility": "me",
        "correspondents": correspondents,
        "patient": PATIENT,
        "comment": "Please review",
        **extra,
    }
    answer = client.post("/api/v1/dossiers", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def upload_study(client: httpx.Client, *files: bytes) -> str:
    """STOW the files (one new CT if none given); return the study UID of the first."""
    from tests.server.dicom_files import ct_bytes, multipart, stow_instances

    body, content_type = multipart(list(files) or [ct_bytes()])
    answer = client.post("/dicomweb/studies", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 200, answer.text
    uid: str = stow_instances(answer)[0]["study_instance_uid"]
    return uid


def upload_document(
    client: httpx.Client, content: bytes = b"%PDF-1.4 report", name: str = "report.pdf"
) -> Any:
    headers = {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{name}"',
    }
    answer = client.post("/api/v1/documents", content=content, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def sent_dossier(client: httpx.Client, correspondents: list[dict[str, Any]], **extra: Any) -> Any:
    dossier = create_dossier(client, correspondents, **extra)
    answer = client.post(f"/api/v1/dossiers/{dossier['id']}/send")
    assert answer.status_code == 200, answer.text
    return answer.json()
