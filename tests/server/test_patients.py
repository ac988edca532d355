"""Patients in the INS model, patient search, reuse by `patient_id`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.server.conftest import Server
from tests.server.dossier_helpers import PATIENT

Client = Callable[[str], httpx.Client]
MATRICULE = "180017512345678"


def _create(client: httpx.Client, server: Server, **patient: Any) -> httpx.Response:
    body = {
        "type": "imaging-transfer",
        "visibility": "me",
        "correspondents": [{"kind": "user", "id": server.users["bob"]}],
        "patient": {**PATIENT, **patient},
    }
    return client.post("/api/v1/dossiers", json=body)


def test_a_qualified_identity_keeps_its_ins(server: Server, signed_in: Client) -> None:
    answer = _create(
        signed_in("alice"),
        server,
        identity_status="qualified",
        ins_matricule=MATRICULE,
        first_names=["John", "Paul"],
        used_name="SMITH",
        birthplace_code="2A004",
    )
    assert answer.status_code == 201, answer.text
    patient = answer.json()["patient"]
    assert patient["ins_matricule"] == MATRICULE
    assert patient["ins_oid"] == "1.2.250.1.213.1.4.8"
    assert patient["first_names"] == ["John", "Paul"] and patient["first_name"] == "John"
    assert patient["used_name"] == "SMITH" and isinstance(patient["id"], int)


@pytest.mark.parametrize(
    ("patient", "field"),
    [
        ({"ins_matricule": MATRICULE}, "patient.ins_matricule"),
        ({"identity_status": "validated", "ins_oid": "1.2.250.1.213.1.4.9"}, "patient.ins_oid"),
        ({"identity_status": "qualified", "ins_matricule": "12345"}, "patient.ins_matricule"),
        ({"identity_status": "qualified", "ins_oid": "1.2.3"}, "patient.ins_oid"),
        ({"birthplace_code": "751"}, "patient.birthplace_code"),
        ({"identity_status": "maybe"}, "patient.identity_status"),
    ],
)
def test_ins_rules(server: Server, signed_in: Client, patient: dict[str, Any], field: str) -> None:
    answer = _create(signed_in("alice"), server, **patient)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"]["field"] == field
    assert answer.json()["error"]["message"].startswith(field)


def test_search_finds_visible_patients_only(server: Server, signed_in: Client) -> None:
    alice, eve = signed_in("alice"), signed_in("eve")
    identifier = f"PID-{uuid.uuid4().hex[:8]}"
    _create(alice, server, last_name="LÉGER", first_name="Zoé", identifier=identifier)
    found = alice.get("/api/v1/patients", params={"q": "leger zoe"}).json()
    assert identifier in {p["identifier"] for p in found}
    by_id = alice.get("/api/v1/patients", params={"identifier": identifier}).json()
    assert [p["last_name"] for p in by_id] == ["LÉGER"]
    dated = alice.get(
        "/api/v1/patients", params={"identifier": identifier, "birth_date": "1970-01-02"}
    )
    assert dated.json() == []
    assert eve.get("/api/v1/patients", params={"identifier": identifier}).json() == []
    assert signed_in("bob").get("/api/v1/patients", params={"identifier": identifier}).json()


def test_a_dossier_reuses_a_known_patient(server: Server, signed_in: Client) -> None:
    alice = signed_in("alice")
    patient_id = _create(alice, server).json()["patient"]["id"]
    body = {
        "type": "imaging-transfer",
        "visibility": "me",
        "correspondents": [{"kind": "user", "id": server.users["bob"]}],
        "patient_id": patient_id,
    }
    answer = alice.post("/api/v1/dossiers", json=body)
    assert answer.status_code == 201 and answer.json()["patient"]["id"] == patient_id
    answer = signed_in("eve").post(
        "/api/v1/dossiers",
        json={**body, "correspondents": [{"kind": "user", "id": server.users["alice"]}]},
    )
    assert answer.status_code == 422 and answer.json()["error"]["details"]["field"] == "patient_id"
    both = alice.post("/api/v1/dossiers", json={**body, "patient": PATIENT})
    assert both.status_code == 422
