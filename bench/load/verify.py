"""After a load run: does every study hold exactly the instances the load generator sent?

For each flow of the manifest that sent its dossier (dossier, owner, study, {SOP UID:
SHA-256 sent}), signed in as the owner: the dossier's manifest (`GET /dossiers/{id}/
manifest`) must list exactly those instances with those SHA-256; QIDO-RS must count them
(NumberOfStudyRelatedInstances); and each blob file must hash to its name. Flows that the
end of the run stopped before they sent their dossier are counted, not checked.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


@dataclass
class Verdict:
    studies: int = 0
    instances: int = 0
    interrupted: int = 0
    """Flows the end of the run stopped before they sent their dossier: not checked."""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(base_url: str, manifest: Path, password: str, blobs_dir: Path) -> Verdict:
    verdict = Verdict()
    tokens: dict[str, str] = {}
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    done = {line["dossier"] for line in lines if line.get("done")}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for sent in (line for line in lines if "study" in line):
            if sent["dossier"] not in done:
                verdict.interrupted += 1
                continue
            headers = {"Authorization": f"Bearer {_token(client, tokens, sent['owner'], password)}"}
            held = _held(client, headers, sent)
            verdict.studies += 1
            verdict.instances += len(sent["instances"])
            problem = _compare(sent, held, _count(client, headers, sent["study"]), blobs_dir)
            if problem:
                verdict.problems.append(
                    f"study {sent['study']} (dossier {sent['dossier']}): {problem}"
                )
    return verdict


def _token(client: httpx.Client, tokens: dict[str, str], username: str, password: str) -> str:
    if username not in tokens:
        body = {"username": username, "password": password}
        tokens[username] = client.post("/api/v1/session", json=body).json()["access_token"]
    return tokens[username]


def _held(
    client: httpx.Client, headers: dict[str, str], sent: dict[str, Any]
) -> dict[str, str] | list[str]:
    """The study's instances in the dossier's manifest, or the studies it lists instead."""
    answer = client.get(f"/api/v1/dossiers/{sent['dossier']}/manifest", headers=headers)
    answer.raise_for_status()
    for exam in answer.json()["exams"]:
        if exam["study_instance_uid"] == sent["study"]:
            return {i["sop_instance_uid"]: i["sha256"] for i in exam["instances"]}
    return [exam["study_instance_uid"] for exam in answer.json()["exams"]]


def _count(client: httpx.Client, headers: dict[str, str], study_uid: str) -> int | None:
    answer = client.get(
        "/dicomweb/studies", params={"StudyInstanceUID": study_uid}, headers=headers
    )
    answer.raise_for_status()
    found = answer.json()
    return int(found[0]["00201208"]["Value"][0]) if found else None


def _compare(
    sent: dict[str, Any], held: dict[str, str] | list[str], count: int | None, blobs_dir: Path
) -> str | None:
    instances: dict[str, str] = sent["instances"]
    if isinstance(held, list):
        return f"not in its dossier's manifest, which lists {held}; QIDO-RS counts {count}"
    if held != instances:
        missing = len(instances.keys() - held.keys())
        extra = len(held.keys() - instances.keys())
        changed = sum(1 for uid in instances.keys() & held.keys() if held[uid] != instances[uid])
        return f"{missing} missing, {extra} unexpected, {changed} with other bytes"
    if count != len(instances):
        return f"QIDO-RS counts {count} instances, {len(instances)} were sent"
    for digest in held.values():
        path = blobs_dir / digest[:2] / digest[2:4] / digest
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            return f"blob {digest} does not hold its bytes"
    return None
