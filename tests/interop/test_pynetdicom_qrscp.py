"""Against pynetdicom's own Query/Retrieve application (`python -m pynetdicom qrscp`).

It answers a STUDY level C-FIND once per instance and limits PDUs to 16382 bytes.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom import dcmread

from ortif_cli.dicom import pacs
from ortif_cli.dicom.pacs_series import find_series
from ortif_cli.dicom.query import StudyQuery
from ortif_cli.localserver import free_port
from ortif_cli.pacs_nodes import PacsNode
from tests.dicom_factory import WrittenStudy, write_study
from tests.interop.test_dcmtk import wait_listening

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def qrscp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PacsNode, WrittenStudy]]:
    root = tmp_path_factory.mktemp("qrscp")
    port = free_port()
    config = root / "qrscp.ini"
    config.write_text(
        "[DEFAULT]\nae_title: QRSCP\n"
        f"port: {port}\nmax_pdu: 16382\nacse_timeout: 30\ndimse_timeout: 30\n"
        "network_timeout: 30\nbind_address: 127.0.0.1\n"
        f"instance_location: {root / 'instances'}\n"
        f"database_location: {root / 'instances.sqlite'}\nlog_identifier: False\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pynetdicom", "qrscp", "-q", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(port)
        node = PacsNode("qrscp", "127.0.0.1", port, "QRSCP")
        study = write_study(root / "study", patient_name="N'GUYEN^Anh", series=2)
        assert pacs.store_instances(node, study.paths).ok
        yield node, study
    finally:
        process.terminate()
        process.wait(10)


def test_a_study_answered_once_per_instance_is_one_row(
    qrscp: tuple[PacsNode, WrittenStudy],
) -> None:
    node, study = qrscp
    query = StudyQuery(patient_name="N'GUYEN*")
    answers: list[dict[int, bytes]] = []
    with pacs.associate(node, [(pacs.STUDY_ROOT_FIND, pacs.QUERY_SYNTAXES)]) as assoc:
        (context,) = assoc.contexts.values()
        pacs.c_find(assoc, context, pacs.find_identifier(query), answers.append)
    assert len(answers) == 6  # the quirk: one answer per instance
    matches = pacs.find_studies(node, query)
    assert [m.study_instance_uid for m in matches] == [study.study_instance_uid]
    assert matches[0].patient_name == "N'GUYEN^Anh"


def test_series_and_get(qrscp: tuple[PacsNode, WrittenStudy], tmp_path: Path) -> None:
    node, study = qrscp
    series = find_series(node, study.study_instance_uid)
    assert [(s.series_number, s.instance_count) for s in series] == [(1, 3), (2, 3)]
    first = series[0].series_instance_uid
    got = pacs.get_study(node, study.study_instance_uid, tmp_path, lambda p: None, [first])
    assert len(got.received) == 3
    assert {str(dcmread(p).SeriesInstanceUID) for p in got.received} == {first}
