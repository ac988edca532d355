"""Method 2 from a PACS (C-FIND + C-GET) and `dossier pull --to-pacs` (C-STORE)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ortif_cli.dicom.sample import write_sample_study
from tests.conftest import EXPERT, REQUESTER, Ortif
from tests.dicom_factory import QueryRetrieveSCP
from tests.e2e.test_flows import new_dossier, ok, run

pytestmark = pytest.mark.e2e


class StorageSCP:
    """A pynetdicom Storage SCP on 127.0.0.1 (free port) that keeps what it receives."""

    def __init__(self) -> None:
        self.received: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.server: Any = None
        self.port = 0

    def start(self) -> StorageSCP:
        from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt
        from pynetdicom.presentation import AllStoragePresentationContexts

        ae = AE(ae_title="VIEWER")
        for context in AllStoragePresentationContexts:
            ae.add_supported_context(context.abstract_syntax, ALL_TRANSFER_SYNTAXES)
        handlers = [(evt.EVT_C_STORE, self._store)]
        self.server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
        self.port = self.server.server_address[1]
        return self

    def _store(self, event: Any) -> int:
        with self.lock:
            self.received[event.request.AffectedSOPInstanceUID] = event.encoded_dataset()
        return 0x0000

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def viewer() -> Iterator[StorageSCP]:
    scp = StorageSCP().start()
    yield scp
    scp.stop()


def add_node(ortif: Ortif, profile: str, name: str, port: int, aet: str) -> None:
    added = ortif("--profile", profile, "pacs", "add", name, "--host", "127.0.0.1",
                  "--port", str(port), "--aet", aet)  # fmt: skip
    assert added.exit_code == 0, added.stderr


def test_pull_to_pacs_stores_every_image(flows: Ortif, viewer: StorageSCP, tmp_path: Path) -> None:
    dossier = new_dossier(flows, tmp_path, "PID-PACS", "--send")
    add_node(flows, EXPERT.username, "viewer", viewer.port, "VIEWER")
    result = ok(flows, EXPERT, "dossier", "pull", str(dossier["id"]), "--to-pacs", "viewer")
    assert result["stored_to_pacs"] == 6
    uploaded = list((tmp_path / "PID-PACS").rglob("*.dcm"))
    assert len(viewer.received) == len(uploaded) == 6

    missing = run(flows, EXPERT, "dossier", "pull", str(dossier["id"]), "--to-pacs", "nowhere")
    assert missing.exit_code == 5


def test_create_from_an_exam_on_the_pacs(flows: Ortif, tmp_path: Path) -> None:
    study = write_sample_study(
        tmp_path / "pacs", patient_name="GARCIA^Inès", patient_id="PID-QR", birth_date="19750505"
    )
    scp = QueryRetrieveSCP(tmp_path / "pacs").start()
    try:
        add_node(flows, REQUESTER.username, "hopital", scp.port, scp.ae_title)
        dossier = ok(
            flows, REQUESTER, "dossier", "create", "--from-exam", "--pacs", "hopital",
            "--study", study.study_instance_uid, "--to", "CHU Lyon/Neuroradiologie/Martin",
        )  # fmt: skip
    finally:
        scp.stop()
    assert (dossier["patient"]["last_name"], dossier["patient"]["identifier"]) == (
        "GARCIA",
        "PID-QR",
    )
    exams = dossier["steps"][0]["exams"]
    assert [(e["study_instance_uid"], e["instance_count"]) for e in exams] == [
        (study.study_instance_uid, 6)
    ]
