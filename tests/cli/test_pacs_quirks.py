"""PACS that differ: a C-FIND of 1,000 studies cancelled with Ctrl-C, and a C-GET whose
sub-operations partly fail (final status 0xB000)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset, dcmread
from pydicom.uid import generate_uid

from tests.cli.test_pacs import TO_EXPERT, add_node
from tests.conftest import REQUESTER, Ortif
from tests.dicom_factory import QueryRetrieveSCP, write_study

STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
RT_PLAN = "1.2.840.10008.5.1.4.1.1.481.5"


class ThousandStudies:
    """A C-FIND SCP matching 1,000 studies; after the 11th answer it waits for a C-CANCEL."""

    def __init__(self) -> None:
        self.started, self.cancelled = threading.Event(), threading.Event()
        self.released, self.aborted = threading.Event(), threading.Event()
        self.server: Any = None

    def start(self) -> int:
        from pynetdicom import AE, evt

        ae = AE(ae_title="TESTPACS")
        ae.add_supported_context(STUDY_ROOT_FIND)
        handlers = [
            (evt.EVT_C_FIND, self._find),
            (evt.EVT_RELEASED, lambda event: self.released.set()),
            (evt.EVT_ABORTED, lambda event: self.aborted.set()),
        ]
        self.server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
        return int(self.server.server_address[1])

    def _find(self, event: Any) -> Iterator[tuple[int, Dataset | None]]:
        for n in range(1000):
            answer = Dataset()
            answer.QueryRetrieveLevel = "STUDY"
            answer.StudyInstanceUID = f"1.2.826.0.1.3680043.8.498.{n + 1}"
            answer.PatientName, answer.PatientID = f"PATIENT^{n}", f"P{n}"
            yield 0xFF00, answer
            if n == 10:
                self.started.set()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    if event.is_cancelled:  # reading it consumes the C-CANCEL
                        self.cancelled.set()
                        yield 0xFE00, None
                        return
                    time.sleep(0.01)  # waits for the condition: the C-CANCEL

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def thousand() -> Iterator[tuple[ThousandStudies, int]]:
    scp = ThousandStudies()
    port = scp.start()
    yield scp, port
    scp.stop()


def test_ctrl_c_during_a_find_cancels_it_and_releases(
    thousand: tuple[ThousandStudies, int],
) -> None:
    scp, port = thousand
    add_node(Ortif(), port)
    process = subprocess.Popen(
        [sys.executable, "-m", "ortif_cli", "exam", "find", "--pacs", "hop"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
        text=True,
    )
    try:
        assert scp.started.wait(60), "the find never started"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "interrupted" in err and out == ""
    assert scp.cancelled.is_set() and scp.released.wait(10)
    assert not scp.aborted.is_set()


def test_failed_sub_operations_exit_8_naming_them(ortif: Ortif, tmp_path: Path) -> None:
    """An instance of a class we do not retrieve (RT Plan) fails on the PACS: 0xB000."""
    study = write_study(tmp_path / "pacs", patient_name="LEFÈVRE^Hélène")
    odd = dcmread(study.paths[0])
    odd.SOPClassUID = odd.file_meta.MediaStorageSOPClassUID = RT_PLAN
    odd.SOPInstanceUID = odd.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    odd.save_as(tmp_path / "pacs" / "SERIES1" / "RTPLAN.dcm")
    server = QueryRetrieveSCP(tmp_path / "pacs").start()
    try:
        add_node(ortif, server.port)
        ortif.login(REQUESTER)
        patient = ["--patient-name", "LEFÈVRE", "--patient-id", "PID-001"]
        dossier = ortif("--json", "dossier", "create", "--to", TO_EXPERT, *patient).json()["id"]
        add = ["exam", "add", str(dossier), "--pacs", "hop", "--study", study.study_instance_uid]
        result = ortif(*add)
    finally:
        server.stop()
    assert result.exit_code == 8, result.stderr
    assert "6 of 7 instances received" in result.stderr
    assert "1 failed on the PACS" in result.stderr and str(odd.SOPInstanceUID) in result.stderr
