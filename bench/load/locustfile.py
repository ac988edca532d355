"""Locust users of a region's platform (run by bench/load/run.py, which writes the config).

- Requester: creates a dossier for an expert, uploads a study of 20-200 instances with the
  CLI's own upload code (`store_with_retries`: batches of 50, retries on 5xx and lost
  connections), attaches it, sends the dossier, and records what it sent (SHA-256 per
  instance) in the manifest that bench/load/verify.py checks afterwards.
- Expert: polls its unread notifications, lists, shows and reads the manifest of its
  dossiers, pulls a study (WADO-RS), and keeps one `notifications --watch` long poll open.
- Guest: signs in with a link and an access code, reads its dossier.

A state-changing request carries an Idempotency-Key and is retried with the same key on a
retryable answer (5xx, a lost connection, 409 "in progress" after its Retry-After). Every
failed attempt is a Locust failure; `ERRORS` tells retryable ones from final ones.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import re
import sys
import time
import uuid
from collections import Counter
from io import BytesIO
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_template import PATIENT, sha256, study  # noqa: E402

from ortif_cli.api.client import PlatformClient  # noqa: E402
from ortif_cli.api.stow import UploadItem, batches  # noqa: E402
from ortif_cli.transfer import store_with_retries  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per upload batch is noise
CONFIG: dict[str, Any] = json.loads(Path(os.environ["ORTIF_LOAD_CONFIG"]).read_text())
ATTEMPTS = 10
WATCH_WAIT = 15
ERRORS: Counter[str] = Counter()  # "retryable" / "final"
STOW = {"instances": 0, "bytes": 0, "seconds": 0.0, "studies": 0}
_names = {kind: itertools.cycle(CONFIG[kind]) for kind in ("requesters", "experts")}
_directory: dict[str, int] = {}


def _load_directory(user: Platform) -> None:
    """Usernames to ids, once (the correspondents of the dossiers)."""
    if not _directory:
        for person in user.call("GET", "/api/v1/directory", "GET /directory")["professionals"]:
            _directory[person["username"]] = person["id"]


class FlowFailed(Exception):
    """A step failed for good (after retries): the flow stops, counted as an error."""


def _retry_delay(response: Any, attempt: int) -> float:
    after = response.headers.get("retry-after") if response is not None else None
    return float(after) if after and after.isdigit() else min(0.5 * 2**attempt, 8.0)


def _retryable(response: Any) -> bool:
    status = response.status_code
    if status == 0 or status >= 500:  # 0: Locust's mark of a lost connection
        return True
    return status == 409 and "in progress" in response.text


class Platform(HttpUser):
    abstract = True

    def call(self, method: str, path: str, name: str, **kwargs: Any) -> Any:
        """One API call, retried while the answer is retryable (same Idempotency-Key)."""
        if method == "POST":
            kwargs.setdefault("headers", {})["Idempotency-Key"] = uuid.uuid4().hex
        for attempt in range(ATTEMPTS):
            with self.client.request(method, path, name=name, catch_response=True, **kwargs) as r:
                if r.status_code < 400:
                    r.success()
                    return r.json() if r.content else None
                retryable = _retryable(r)
                ERRORS["retryable" if retryable else "final"] += 1
                r.failure(f"{'retryable' if retryable else 'final'} {r.status_code}")
                if not retryable:
                    raise FlowFailed(f"{name}: {r.status_code} {r.text[:200]}")
            gevent.sleep(_retry_delay(r, attempt))
        ERRORS["final"] += 1
        raise FlowFailed(f"{name}: still failing after {ATTEMPTS} attempts")

    def sign_in(self, username: str) -> str:
        body = {"username": username, "password": CONFIG["password"]}
        session = self.call("POST", "/api/v1/session", "POST /session", json=body)
        token: str = session["access_token"]
        self.client.headers["Authorization"] = f"Bearer {token}"
        return token


class Requester(Platform):
    weight = 3
    wait_time = between(2, 8)

    def on_start(self) -> None:
        self.username = next(_names["requesters"])
        token = self.sign_in(self.username)
        self.platform = PlatformClient(self.host, token)
        _load_directory(self)

    def on_stop(self) -> None:
        self.platform.close()

    @task
    def send_imaging(self) -> None:
        expert = random.choice(CONFIG["experts"])
        body = {
            "type": "imaging-transfer",
            "visibility": "me",
            "correspondents": [{"kind": "user", "id": _directory[expert]}],
            "patient": PATIENT,
            "comment": "Load test",
        }
        try:
            dossier = self.call("POST", "/api/v1/dossiers", "POST /dossiers", json=body)
            study_uid, instances = study(random.randint(20, 200))
            self._record(dossier["id"], study_uid, instances)
            self._upload(instances)
            attach = {"study_instance_uids": [study_uid]}
            path = f"/api/v1/dossiers/{dossier['id']}"
            answer = self.call("POST", f"{path}/exams", "POST /dossiers/{id}/exams", json=attach)
            attached = [e["study_instance_uid"] for s in answer["steps"] for e in s["exams"]]
            if study_uid not in attached:
                ERRORS["final"] += 1
                raise FlowFailed(f"dossier {dossier['id']}: attached {attached}, not {study_uid}")
            self.call("POST", f"{path}/send", "POST /dossiers/{id}/send")
        except FlowFailed:
            return
        with open(CONFIG["manifest"], "a") as manifest:
            manifest.write(json.dumps({"dossier": dossier["id"], "done": True}) + "\n")

    def _record(self, dossier_id: int, study_uid: str, instances: dict[str, bytes]) -> None:
        digests = {uid: sha256(data) for uid, data in instances.items()}
        line = {"dossier": dossier_id, "owner": self.username, "study": study_uid}
        with open(CONFIG["manifest"], "a") as manifest:
            manifest.write(json.dumps({**line, "instances": digests}) + "\n")

    def _upload(self, instances: dict[str, bytes]) -> None:
        items = [
            UploadItem(Path(uid), uid, len(data), opener=lambda data=data: BytesIO(data))
            for uid, data in instances.items()
        ]
        for batch in batches(items):
            started = time.perf_counter()
            outcomes = store_with_retries(self.platform, batch, lambda _n: None)
            seconds = time.perf_counter() - started
            size = sum(item.size for item in batch)
            problems = [o.problem for o in outcomes if not o.ok]
            events.request.fire(
                request_type="POST",
                name="STOW /dicomweb/studies (50)",
                response_time=seconds * 1000,
                response_length=size,
                exception=FlowFailed(problems[0]) if problems else None,
                context={},
            )
            if problems:
                ERRORS["final"] += 1
                raise FlowFailed(str(problems[0]))
            STOW["instances"] += len(batch)
            STOW["bytes"] += size
            STOW["seconds"] += seconds
        STOW["studies"] += 1


class Expert(Platform):
    weight = 4
    wait_time = between(1, 4)

    def on_start(self) -> None:
        self.sign_in(next(_names["experts"]))
        self.dossiers: list[int] = []
        self.watcher = gevent.spawn(self._watch)

    def on_stop(self) -> None:
        self.watcher.kill()

    def _watch(self) -> None:
        """`ortif notifications --watch`: one long poll after another."""
        since_id = 0
        while True:
            params = {"since_id": since_id, "wait": WATCH_WAIT}
            try:
                page = self.call(
                    "GET", "/api/v1/notifications", "GET /notifications (watch)", params=params
                )
            except FlowFailed:
                gevent.sleep(WATCH_WAIT)
                continue
            since_id = max([since_id, *(n["id"] for n in page["items"])])

    def _remember(self, ids: list[int]) -> None:
        self.dossiers = list(dict.fromkeys(ids + self.dossiers))[:50]

    @task(3)
    def poll_notifications(self) -> None:
        params = {"unread": "true"}
        page = self.call("GET", "/api/v1/notifications", "GET /notifications", params=params)
        self._remember([n["dossier_id"] for n in page["items"]])

    @task(3)
    def list_dossiers(self) -> None:
        page = self.call("GET", "/api/v1/dossiers", "GET /dossiers")
        self._remember([d["id"] for d in page["items"]])

    @task(2)
    def show_dossier(self) -> None:
        if self.dossiers:
            dossier_id = random.choice(self.dossiers)
            self.call("GET", f"/api/v1/dossiers/{dossier_id}", "GET /dossiers/{id}")

    @task(1)
    def pull_study(self) -> None:
        if not self.dossiers:
            return
        dossier_id = random.choice(self.dossiers)
        path = f"/api/v1/dossiers/{dossier_id}/manifest"
        manifest = self.call("GET", path, "GET /dossiers/{id}/manifest")
        for exam in manifest["exams"][:1]:
            accept = 'multipart/related; type="application/dicom"'
            with self.client.get(
                f"/dicomweb/studies/{exam['study_instance_uid']}",
                name="GET /dicomweb/studies/{uid} (pull)",
                headers={"Accept": accept},
                catch_response=True,
            ) as answer:
                if answer.status_code != 200:
                    ERRORS["retryable" if _retryable(answer) else "final"] += 1
                    answer.failure(f"{answer.status_code}")


class Guest(Platform):
    weight = 1
    wait_time = between(3, 10)

    def on_start(self) -> None:
        self.link_token, self.code, self.dossier_id = _new_invitation(self)

    @task
    def sign_in_and_read(self) -> None:
        body = {"link_token": self.link_token, "code": self.code}
        try:
            session = self.call("POST", "/api/v1/guest-session", "POST /guest-session", json=body)
            headers = {"Authorization": f"Bearer {session['access_token']}"}
            path = f"/api/v1/dossiers/{self.dossier_id}"
            self.call("GET", path, "GET /dossiers/{id} (guest)", headers=headers)
        except FlowFailed:
            return


def _new_invitation(user: Platform) -> tuple[str, str, int]:
    """A dossier of the inviter with a new guest: (link token, access code, dossier id)."""
    inviter = {"Authorization": f"Bearer {_inviter_token(user)}"}
    user.client.headers["Authorization"] = inviter["Authorization"]
    _load_directory(user)
    del user.client.headers["Authorization"]
    expert = {"kind": "user", "id": _directory[random.choice(CONFIG["experts"])]}
    body = {
        "type": "imaging-transfer",
        "visibility": "me",
        "correspondents": [expert],
        "patient": PATIENT,
    }
    dossier = user.call("POST", "/api/v1/dossiers", "POST /dossiers", json=body, headers=inviter)
    email = f"guest-{uuid.uuid4().hex[:10]}@example.org"
    guest = {"last_name": "INVITE", "first_name": "Guest", "email": email}
    path = f"/api/v1/dossiers/{dossier['id']}/invitations"
    user.call("POST", path, "POST /dossiers/{id}/invitations", json=guest, headers=inviter)
    link, code = _secrets_for(email)
    return link, code, dossier["id"]


_inviter: dict[str, str] = {}


def _inviter_token(user: Platform) -> str:
    if "token" not in _inviter:
        body = {"username": CONFIG["inviter"], "password": CONFIG["password"]}
        session = user.call("POST", "/api/v1/session", "POST /session", json=body)
        _inviter["token"] = session["access_token"]
    return _inviter["token"]


def _secrets_for(email: str) -> tuple[str, str]:
    """The link token and the access code of the two messages sent to `email`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = ""
        for path in Path(CONFIG["outbox"]).glob("*.json"):
            message = json.loads(path.read_text())
            if message["to"] == email:
                text += message["text"] + "\n"
        link = re.search(r"/guest/([A-Za-z0-9_-]+)", text)
        code = re.search(r"access code: ([A-Z0-9]{8})", text)
        if link and code:
            return link.group(1), code.group(1)
        gevent.sleep(0.5)
    raise RuntimeError(f"no invitation messages for {email}")


@events.quitting.add_listener
def _write_summary(environment: Any, **_kwargs: Any) -> None:
    summary = {"errors": dict(ERRORS), "stow": STOW}
    Path(CONFIG["summary"]).write_text(json.dumps(summary, indent=2))
