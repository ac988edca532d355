"""The lean DICOM upper layer and DIMSE encoding: checked against pydicom and pynetdicom's
decoders, and against a scripted SCP for the failures a real PACS can cause."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.filereader import read_dataset
from pynetdicom.pdu import A_ASSOCIATE_RQ

from ortif_cli.dicom import dimse, pacs, upper_layer
from ortif_cli.dicom.file_meta import read_part10_meta
from ortif_cli.dicom.query import StudyQuery
from ortif_cli.errors import ConnectionFailure
from ortif_cli.pacs_nodes import PacsNode
from tests.dicom_factory import write_study

CT = "1.2.840.10008.5.1.4.1.1.2"


# encodings -----------------------------------------------------------------------------
def test_associate_rq_as_pynetdicom_reads_it() -> None:
    contexts = [(pacs.STUDY_ROOT_GET, pacs.QUERY_SYNTAXES), (CT, ("1.2.840.10008.1.2.4.50",))]
    pdu = upper_layer.associate_rq("ORTIF", "PACS", contexts, scp_roles=[CT], max_pdu=0)
    decoded = A_ASSOCIATE_RQ()
    decoded.decode(pdu)
    assert decoded.calling_ae_title == "ORTIF" and decoded.called_ae_title == "PACS"
    requested = {c.context_id: c for c in decoded.presentation_context}
    assert requested[1].abstract_syntax == pacs.STUDY_ROOT_GET
    assert requested[1].transfer_syntax == list(pacs.QUERY_SYNTAXES)
    assert requested[3].transfer_syntax == ["1.2.840.10008.1.2.4.50"]
    user = decoded.user_information
    assert user.maximum_length == 0
    (role,) = user.role_selection.values()
    assert role.sop_class_uid == CT and role.scp_role and not role.scu_role
    with pytest.raises(ValueError):  # context ids are odd bytes: 128 at most
        upper_layer.associate_rq("ORTIF", "PACS", contexts * 65)


def test_command_set_reads_back_with_pydicom() -> None:
    command = dimse.request(dimse.C_GET_RQ, 7, pacs.STUDY_ROOT_GET)
    ds = read_dataset(BytesIO(command), is_implicit_VR=True, is_little_endian=True)
    assert ds.CommandGroupLength == len(command) - 12
    assert ds.CommandField == 0x0010 and ds.MessageID == 7 and ds.Priority == 0
    assert ds.AffectedSOPClassUID == pacs.STUDY_ROOT_GET and ds.CommandDataSetType == 0
    answer = dimse.Command(dimse.store_response(7, CT, "1.2.3", 0xA700))
    assert (answer.field, answer.status, answer.has_dataset) == (dimse.C_STORE_RSP, 0xA700, False)
    assert answer.uid(dimse.AFFECTED_SOP_INSTANCE) == "1.2.3"


@pytest.mark.parametrize("syntax", [dimse.EXPLICIT_LE, dimse.IMPLICIT_LE])
def test_identifier_reads_back_with_pydicom(syntax: str) -> None:
    identifier = pacs.find_identifier(StudyQuery(patient_name="lefèvre", patient_id="PID-1"))
    data = dimse.encode_identifier(identifier, syntax)
    ds = read_dataset(BytesIO(data), syntax == dimse.IMPLICIT_LE, True)
    ds.SpecificCharacterSet = "ISO_IR 192"
    assert ds.QueryRetrieveLevel == "STUDY" and ds.PatientID == "PID-1"
    assert str(ds.PatientName) == "lefèvre*" and ds.StudyDescription == ""
    assert dimse.decode_identifier(data, syntax)[pacs.PATIENT_ID] == b"PID-1 "


def test_part10_meta_as_pydicom_reads_it(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study", series=1, instances_per_series=1)
    path = study.paths[0]
    sop_class, sop_instance, syntax, offset = read_part10_meta(path)
    meta = dcmread(path).file_meta
    assert (sop_class, sop_instance, syntax) == (
        meta.MediaStorageSOPClassUID,
        meta.MediaStorageSOPInstanceUID,
        meta.TransferSyntaxUID,
    )
    assert offset == 132 + 12 + meta.FileMetaInformationGroupLength
    (tmp_path / "junk").write_bytes(b"\0" * 200)
    with pytest.raises(ValueError):
        read_part10_meta(tmp_path / "junk")


# a scripted SCP ------------------------------------------------------------------------
Script = Callable[[socket.socket, bytes], None]


def _read_pdu(conn: socket.socket) -> tuple[int, bytes]:
    head = _exactly(conn, 6)
    kind, length = struct.unpack(">BxL", head)
    return kind, _exactly(conn, length)


def _exactly(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise ConnectionError
        data += chunk
    return data


def accept_all(request: bytes) -> bytes:
    """An A-ASSOCIATE-AC accepting every context of `request` with its first syntax."""
    decoded = A_ASSOCIATE_RQ()
    decoded.decode(request)
    items = b""
    for context in decoded.presentation_context:
        syntax = context.transfer_syntax[0].encode()
        sub = struct.pack(">BxH", 0x40, len(syntax)) + syntax
        body = bytes((context.context_id, 0, 0, 0)) + sub
        items += struct.pack(">BxH", 0x21, len(body)) + body
    max_length = struct.pack(">BxHL", 0x51, 4, 16384)
    items += struct.pack(">BxH", 0x50, len(max_length)) + max_length
    body = request[6:74] + items
    return struct.pack(">BxL", 0x02, len(body)) + body


def pdata(context_id: int, control: int, data: bytes) -> bytes:
    pdv = struct.pack(">LBB", len(data) + 2, context_id, control) + data
    return struct.pack(">BxL", 0x04, len(pdv)) + pdv


@pytest.fixture
def scripted() -> Iterator[Callable[..., PacsNode]]:
    """An SCP on 127.0.0.1 playing `script(conn, request_pdu)` for each connection in turn."""
    listeners: list[socket.socket] = []

    def start(*scripts: Script) -> PacsNode:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve() -> None:
            for script in scripts:
                conn, _address = listener.accept()
                with conn:
                    try:
                        kind, body = _read_pdu(conn)
                        script(conn, struct.pack(">BxL", kind, len(body)) + body)
                    except (ConnectionError, OSError):
                        pass

        threading.Thread(target=serve, daemon=True).start()
        return PacsNode("scripted", "127.0.0.1", listener.getsockname()[1], "SCRIPTED")

    yield start
    for listener in listeners:
        listener.close()


def test_a_permanent_rejection_names_the_ae_titles(scripted: Callable[..., PacsNode]) -> None:
    node = scripted(lambda conn, rq: conn.sendall(struct.pack(">BxLBBBB", 3, 4, 0, 1, 1, 3)))
    with pytest.raises(pacs.AssociationRejected) as caught:
        pacs.echo(node)
    assert "SCRIPTED" in caught.value.message and "ORTIF" in str(caught.value.hint)


def test_a_peer_closing_at_once_is_unreachable(scripted: Callable[..., PacsNode]) -> None:
    node = scripted(lambda conn, rq: None)
    with pytest.raises(ConnectionFailure, match="Cannot reach"):
        pacs.echo(node)


def test_an_abort_inside_a_data_set_loses_nothing_staged(
    scripted: Callable[..., PacsNode], tmp_path: Path
) -> None:
    """The PACS starts a C-STORE, sends half a data set, then A-ABORT: no file is left."""

    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(accept_all(request))
        _read_pdu(conn)  # the C-GET command
        _read_pdu(conn)  # its identifier
        store_context = 3  # the first storage context (CT, uncompressed)
        command = dimse.request(dimse.C_STORE_RQ, 1, CT, instance="1.2.3.4")
        conn.sendall(pdata(store_context, 0x03, command))
        conn.sendall(pdata(store_context, 0x00, b"\x08\x00\x18\x00" + b"\0" * 100))
        conn.sendall(struct.pack(">BxLxxBB", 0x07, 4, 2, 0))
        conn.recv(100)

    node = scripted(script)
    staged: list[Path] = []
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(ConnectionFailure, match="aborted the association"):
        pacs.get_study(node, "1.2.3", staging, staged.append)
    assert staged == [] and list(staging.iterdir()) == []


def test_a_silent_pacs_times_out(
    scripted: Callable[..., PacsNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pacs, "DIMSE_TIMEOUT", 0.3)
    done = threading.Event()

    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(accept_all(request))
        done.wait(5)

    node = scripted(script)
    try:
        with pytest.raises(ConnectionFailure, match="aborted the association"):
            pacs.find_studies(node, StudyQuery())
    finally:
        done.set()


def test_a_malformed_pdu_aborts(scripted: Callable[..., PacsNode]) -> None:
    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(accept_all(request))
        _read_pdu(conn)
        conn.sendall(struct.pack(">BxL", 0x09, 2) + b"??")
        conn.recv(100)

    with pytest.raises(ConnectionFailure, match="aborted the association"):
        pacs.echo(scripted(script))


def test_a_malformed_answer_aborts(scripted: Callable[..., PacsNode]) -> None:
    """A C-FIND answer whose identifier is cut inside an element: lost, not a crash."""

    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(accept_all(request))
        _read_pdu(conn)
        _read_pdu(conn)
        answer = dimse.encode_command(
            {
                dimse.AFFECTED_SOP_CLASS: dimse.ui(pacs.STUDY_ROOT_FIND),
                dimse.COMMAND_FIELD: dimse.us(dimse.C_FIND_RSP),
                dimse.RESPONDED_ID: dimse.us(1),
                dimse.DATASET_TYPE: dimse.us(0),
                dimse.STATUS: dimse.us(0xFF00),
            }
        )
        conn.sendall(pdata(1, 0x03, answer))
        conn.sendall(pdata(1, 0x02, b"\x10\x00\x10\x00\xff\x00\x00\x00DUP"))
        conn.recv(100)

    with pytest.raises(ConnectionFailure, match="aborted the association"):
        pacs.find_studies(scripted(script), StudyQuery())


def test_a_transient_rejection_is_tried_again(scripted: Callable[..., PacsNode]) -> None:
    """A node busy for now (A-ASSOCIATE-RJ result 2) is asked again, then answers C-ECHO."""

    def busy(conn: socket.socket, request: bytes) -> None:
        conn.sendall(struct.pack(">BxLBBBB", 3, 4, 0, 2, 3, 2))

    def echo(conn: socket.socket, request: bytes) -> None:
        conn.sendall(accept_all(request))
        kind, body = _read_pdu(conn)
        context_id = body[4]
        answer = dimse.encode_command(
            {
                dimse.AFFECTED_SOP_CLASS: dimse.ui(pacs.VERIFICATION),
                dimse.COMMAND_FIELD: dimse.us(dimse.C_ECHO_RSP),
                dimse.RESPONDED_ID: dimse.us(1),
                dimse.DATASET_TYPE: dimse.us(dimse.NO_DATASET),
                dimse.STATUS: dimse.us(0),
            }
        )
        conn.sendall(pdata(context_id, 0x03, answer))
        assert _read_pdu(conn)[0] == 0x05  # A-RELEASE-RQ
        conn.sendall(struct.pack(">BxL", 0x06, 4) + bytes(4))

    assert pacs.echo(scripted(busy, busy, echo)) > 0


def test_large_instances_are_sent_in_the_peers_pdu_size(tmp_path: Path) -> None:
    """C-STORE of a 2 MB file to an SCP taking 16 KB PDUs: fragments, same bytes."""
    from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt

    study = write_study(
        tmp_path / "study", series=1, instances_per_series=1, rows=1024, columns=1024
    )
    source = study.paths[0]
    received: list[bytes] = []

    def handle(event: object) -> int:
        received.append(event.request.DataSet.getvalue())  # type: ignore[attr-defined]
        return 0

    ae = AE(ae_title="STORE")
    ae.maximum_pdu_size = 16384
    ae.add_supported_context(CT, ALL_TRANSFER_SYNTAXES)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, handle)]
    )
    try:
        node = PacsNode("s", "127.0.0.1", server.server_address[1], "STORE")
        report = pacs.store_instances(node, [source])
    finally:
        server.shutdown()
    assert report.ok and len(report.stored) == 1
    offset = read_part10_meta(source)[3]
    assert received == [source.read_bytes()[offset:]]


def test_ctrl_c_between_an_answer_and_its_identifier_cancels_then_releases(
    scripted: Callable[..., PacsNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    """C-CANCEL names the request; what is left of the cut answer is skipped; released."""
    seen: list[int] = []

    def answer(status: int, dataset: bool) -> bytes:
        return dimse.encode_command(
            {
                dimse.AFFECTED_SOP_CLASS: dimse.ui(pacs.STUDY_ROOT_FIND),
                dimse.COMMAND_FIELD: dimse.us(dimse.C_FIND_RSP),
                dimse.RESPONDED_ID: dimse.us(1),
                dimse.DATASET_TYPE: dimse.us(0 if dataset else dimse.NO_DATASET),
                dimse.STATUS: dimse.us(status),
            }
        )

    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(accept_all(request))
        command = dimse.Command(_read_pdu(conn)[1][6:])
        _read_pdu(conn)  # the identifier
        conn.sendall(pdata(1, 0x03, answer(0xFF00, True)))
        conn.sendall(pdata(1, 0x02, b"\x10\x00\x10\x00\x04\x00\x00\x00DUP "))
        cancel = dimse.Command(_read_pdu(conn)[1][6:])
        if cancel.field == dimse.C_CANCEL_RQ:
            seen.append(cancel.us(dimse.RESPONDED_ID) - command.us(dimse.MESSAGE_ID))
        conn.sendall(pdata(1, 0x03, answer(0xFE00, False)))
        seen.append(_read_pdu(conn)[0])  # 0x05: A-RELEASE-RQ
        conn.sendall(struct.pack(">BxL", 0x06, 4) + bytes(4))

    calls: list[int] = []
    receive = pacs._receive_identifier

    def interrupted_once(*args: object) -> dict[int, bytes]:
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return receive(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pacs, "_receive_identifier", interrupted_once)
    with pytest.raises(pacs.Cancelled):
        pacs.find_studies(scripted(script), StudyQuery())
    assert seen == [0, 0x05]
