"""The audit log of a dossier: reads and changes, by whom, never content; FHIR export."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from typer.testing import CliRunner

from ortif_server.cli import app
from tests.server.conftest import Server
from tests.server.dossier_helpers import create_dossier, upload_document, upload_study

Client = Callable[[str], httpx.Client]
runner = CliRunner()


def _audit(server: Server, dossier_id: int, *options: str) -> str:
    command = ["audit", "--data", str(server.data_dir), "--dossier", str(dossier_id), *options]
    if server.database_url:
        command += ["--database", server.database_url]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    return result.stdout


def _busy_dossier(server: Server, signed_in: Client) -> dict[str, Any]:
    alice, bob = signed_in("alice"), signed_in("bob")
    document = upload_document(alice, b"secret content", "report.pdf")
    study_uid = upload_study(alice)
    dossier = create_dossier(alice, [{"kind": "user", "id": server.users["bob"]}])
    path = f"/api/v1/dossiers/{dossier['id']}"
    alice.post(f"{path}/documents", json={"document_ids": [document["id"]]})
    alice.post(f"{path}/exams", json={"study_instance_uids": [study_uid]})
    alice.post(f"{path}/send")
    bob.get(path)
    bob.get(f"/api/v1/documents/{document['id']}/content")
    bob.get(f"/dicomweb/studies/{study_uid}")
    bob.get("/dicomweb/studies", params={"StudyInstanceUID": study_uid})
    return {**dossier, "document_id": document["id"], "study_uid": study_uid}


def test_audit_json_lists_reads_and_changes(server: Server, signed_in: Client) -> None:
    dossier = _busy_dossier(server, signed_in)
    events = json.loads(_audit(server, dossier["id"], "--json"))
    seen = [(e["who"], e["action"], e["object_type"]) for e in events]
    assert ("user:alice", "create", "dossier") in seen
    assert ("user:alice", "attach", "document") in seen
    assert ("user:alice", "attach", "exam") in seen
    assert ("user:alice", "send", "dossier") in seen
    assert ("user:bob", "read", "dossier") in seen
    assert ("user:bob", "download", "document") in seen
    assert ("user:bob", "retrieve", "exam") in seen
    assert ("user:alice", "store", "exam") in seen
    assert ("user:bob", "search", "exam") in seen
    assert all(e["remote_address"] == "127.0.0.1" for e in events)
    assert {e["authentication"] for e in events} == {"password"}
    text = _audit(server, dossier["id"])
    assert "secret content" not in text and "DOE" not in text
    assert len(text.splitlines()) == len(events)


def test_audit_fhir_is_a_bundle_of_audit_events(server: Server, signed_in: Client) -> None:
    dossier = _busy_dossier(server, signed_in)
    bundle = json.loads(_audit(server, dossier["id"], "--fhir"))
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert {r["resourceType"] for r in resources} == {"AuditEvent"}
    assert {r["action"] for r in resources} >= {"C", "R", "U"}
    first = resources[0]
    assert first["agent"][0]["network"]["address"] == "127.0.0.1"
    assert first["recorded"].endswith("+00:00")
    exams = [r for r in resources if r["entity"][0]["type"]["code"] == "exam"]
    assert exams[0]["entity"][0]["what"]["identifier"]["value"] == f"urn:oid:{dossier['study_uid']}"


def test_audit_refuses_both_formats(server: Server) -> None:
    command = ["audit", "--data", str(server.data_dir), "--dossier", "1", "--json", "--fhir"]
    assert runner.invoke(app, command).exit_code == 2
