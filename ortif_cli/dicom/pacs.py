"""DICOM networking with a PACS: C-ECHO, C-FIND, C-GET, C-MOVE and C-STORE (SCU).

Speed comes from three habits (see BENCHMARKS.md): TCP_NODELAY on every socket we open
or accept, no PDU size limit, and received instances written as the encoded bytes that
arrived (preamble, File Meta Information, then the data set as sent), never decoded.
Nothing here prints or exits: failures are `OrtifError`s naming the node and AE titles.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from pydicom import Dataset
from pydicom.dataelem import RawDataElement
from pydicom.filereader import read_file_meta_info

from ortif_cli.dicom.charset import decode_text
from ortif_cli.dicom.file_meta import file_header, plain_uids
from ortif_cli.dicom.identity import parse_date
from ortif_cli.dicom.query import StudyMatch, StudyQuery, name_pattern
from ortif_cli.errors import ConnectionFailure, OrtifError, RuleError
from ortif_cli.i18n import _
from ortif_cli.pacs_nodes import PacsNode

CONNECTION_TIMEOUT = 10.0
ACSE_TIMEOUT = 30.0
DIMSE_TIMEOUT = 120.0
TRANSIENT_RETRIES = 3
"""Attempts again when a node rejects an association as transient (too many at once)."""
LATE_ARRIVALS_WAIT = 10.0
"""Seconds to wait after a C-MOVE's final answer for images the PACS still sends."""

STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3"
STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
PATIENT_ROOT_GET = "1.2.840.10008.5.1.4.1.2.1.3"
PATIENT_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.1.2"
VERIFICATION = "1.2.840.10008.1.1"

UNCOMPRESSED = ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")
COMPRESSED = (
    "1.2.840.10008.1.2.4.50",  # JPEG Baseline
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.5",  # RLE Lossless
)
GET_STORAGE_CLASSES = (
    "1.2.840.10008.5.1.4.1.1.2",  # CT
    "1.2.840.10008.5.1.4.1.1.4",  # MR
    "1.2.840.10008.5.1.4.1.1.1",  # CR
    "1.2.840.10008.5.1.4.1.1.1.1",  # DX presentation
    "1.2.840.10008.5.1.4.1.1.1.2",  # MG presentation
    "1.2.840.10008.5.1.4.1.1.6.1",  # US
    "1.2.840.10008.5.1.4.1.1.3.1",  # US multi-frame
    "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture
    "1.2.840.10008.5.1.4.1.1.12.1",  # XA
    "1.2.840.10008.5.1.4.1.1.128",  # PET
    "1.2.840.10008.5.1.4.1.1.20",  # NM
    "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT
    "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR
    "1.2.840.10008.5.1.4.1.1.104.1",  # Encapsulated PDF
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.11.1",  # Grayscale Softcopy Presentation State
)
_UID = re.compile(r"^[0-9.]{1,64}$")
SUCCESS, PENDING = 0x0000, (0xFF00, 0xFF01)


# results -------------------------------------------------------------------------------
@dataclass
class RetrieveReport:
    """What a C-GET or C-MOVE brought: files staged, and the PACS's own counts."""

    received: list[Path] = field(default_factory=list)
    completed: int | None = None
    failed: int = 0
    warning: int = 0
    status: int | None = None
    refused: list[str] = field(default_factory=list)
    """SOP Instance UIDs we refused (the receiver said stop)."""


@dataclass
class StoreReport:
    """The outcome of `store_instances`: SOP Instance UIDs stored, files that failed and why."""

    stored: list[str] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


class AssociationRejected(ConnectionFailure):
    """The node rejected the association (AE title unknown, or too many associations)."""


class StopRetrieval(Exception):
    """Raised by an `on_stored` callback to refuse the instance and stop the retrieval."""


# associations --------------------------------------------------------------------------
def _nodelay(event: Any) -> None:
    """EVT_CONN_OPEN handler: switch Nagle's algorithm off on the association's socket."""
    with suppress(AttributeError, OSError):
        event.assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _application_entity(node: PacsNode) -> Any:
    from pynetdicom import AE

    ae = AE(ae_title=node.calling_ae_title)
    ae.maximum_pdu_size = 0
    ae.connection_timeout = CONNECTION_TIMEOUT
    ae.acse_timeout = ACSE_TIMEOUT
    ae.dimse_timeout = DIMSE_TIMEOUT
    ae.network_timeout = DIMSE_TIMEOUT
    return ae


def _describe(node: PacsNode) -> str:
    return _("the PACS {name} ({host}:{port}, called AE {called}, calling AE {calling})").format(
        name=node.name,
        host=node.host,
        port=node.port,
        called=node.called_ae_title,
        calling=node.calling_ae_title,
    )


@contextmanager
def associate(
    node: PacsNode,
    contexts: Sequence[Any],
    *,
    handlers: Sequence[tuple[Any, Callable[..., Any]]] = (),
    roles: Sequence[Any] = (),
    refused: Callable[[], OrtifError] | None = None,
) -> Iterator[Any]:
    """An established association with `node`, released (or aborted) on the way out."""
    from pynetdicom import evt

    ae = _application_entity(node)
    ae.requested_contexts = list(contexts)
    results: list[int] = []

    def on_acse(event: Any) -> None:
        result = getattr(event.primitive, "result", None)
        if isinstance(result, int):  # A-ASSOCIATE: 1 rejected permanent, 2 transient
            results.append(result)

    for attempt in range(TRANSIENT_RETRIES + 1):
        results.clear()
        with warnings.catch_warnings():
            # pynetdicom drops the socket of a refused connection without closing it
            warnings.simplefilter("ignore", ResourceWarning)
            assoc = ae.associate(
                node.host,
                node.port,
                ae_title=node.called_ae_title,
                ext_neg=list(roles) or None,
                evt_handlers=[
                    (evt.EVT_CONN_OPEN, _nodelay),
                    (evt.EVT_ACSE_RECV, on_acse),
                    *handlers,
                ],
            )
            if not assoc.is_established:
                gc.collect()
        if not (assoc.is_rejected and 0x02 in results) or attempt == TRANSIENT_RETRIES:
            break
        time.sleep(0.2 * 2**attempt)  # rejected for now (busy): try again shortly
    if assoc.is_rejected:
        raise AssociationRejected(
            _("{pacs} rejected the association.").format(pacs=_describe(node)),
            hint=_(
                "Ask the PACS administrator to declare the AE title {calling} "
                "(and check that {called} is the PACS's AE title)."
            ).format(calling=node.calling_ae_title, called=node.called_ae_title),
        )
    if not assoc.is_established and 0 in results:  # accepted, but with no usable context
        raise (refused or _no_context(node))()
    if not assoc.is_established:
        raise ConnectionFailure(
            _("Cannot reach {pacs}.").format(pacs=_describe(node)),
            hint=_("Check the host, port and network, then try `ortif pacs echo {name}`.").format(
                name=node.name
            ),
        )
    try:
        yield assoc
    except BaseException:
        assoc.abort()
        raise
    else:
        assoc.release()
    finally:
        ae.shutdown()


def _no_context(node: PacsNode) -> Callable[[], OrtifError]:
    def error() -> OrtifError:
        return RuleError(
            _("{pacs} accepted none of the services asked for.").format(pacs=_describe(node)),
            hint=_("Check with the PACS administrator which services this AE title may use."),
        )

    return error


def _lost(node: PacsNode) -> ConnectionFailure:
    return ConnectionFailure(
        _("{pacs} aborted the association, or it was lost.").format(pacs=_describe(node)),
        hint=_(
            "Check that the PACS lets {calling} query and retrieve; then run "
            "the same command again to resume (what already arrived is not sent twice)."
        ).format(calling=node.calling_ae_title),
    )


def echo(node: PacsNode) -> float:
    """C-ECHO: the round-trip time in seconds (association included)."""
    from pynetdicom.presentation import build_context

    started = time.perf_counter()
    with associate(node, [build_context(VERIFICATION)]) as assoc:
        status = assoc.send_c_echo()
    if "Status" not in status:
        raise _lost(node)
    if status.Status != SUCCESS:
        raise ConnectionFailure(
            _("{pacs} answered C-ECHO with 0x{status:04X}.").format(
                pacs=_describe(node), status=status.Status
            )
        )
    return time.perf_counter() - started


# C-FIND --------------------------------------------------------------------------------
def find_identifier(query: StudyQuery) -> Dataset:
    """The STUDY level C-FIND identifier for `query`, asking for every column we show."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.StudyInstanceUID = query.study_instance_uid or ""
    ds.PatientName = name_pattern(query.patient_name) if query.patient_name else ""
    ds.PatientID = query.patient_id or ""
    ds.PatientBirthDate = query.birth_date.strftime("%Y%m%d") if query.birth_date else ""
    ds.StudyDate = query.study_date.to_dicom() if query.study_date else ""
    ds.StudyTime = ""
    ds.AccessionNumber = query.accession_number or ""
    ds.ModalitiesInStudy = query.modality.upper() if query.modality else ""
    ds.StudyDescription = ""
    ds.NumberOfStudyRelatedSeries = None
    ds.NumberOfStudyRelatedInstances = None
    return ds


def find_studies(node: PacsNode, query: StudyQuery) -> list[StudyMatch]:
    """C-FIND at STUDY level, Study Root, or Patient Root when the node refuses Study Root."""
    from pynetdicom.presentation import build_context

    contexts = [build_context(STUDY_ROOT_FIND), build_context(PATIENT_ROOT_FIND)]
    with associate(node, contexts) as assoc:
        accepted = {c.abstract_syntax for c in assoc.accepted_contexts}
        models = [m for m in (STUDY_ROOT_FIND, PATIENT_ROOT_FIND) if m in accepted]
        if not models:
            raise RuleError(
                _("{pacs} refused both C-FIND information models.").format(pacs=_describe(node))
            )
        for model in models:
            matches = _find(node, assoc, model, query)
            if matches is not None:
                return matches
    raise RuleError(_("{pacs} refused the query.").format(pacs=_describe(node)))


def _find(node: PacsNode, assoc: Any, model: str, query: StudyQuery) -> list[StudyMatch] | None:
    """The matches, or None if the node refused this information model."""
    matches: list[StudyMatch] = []
    for status, identifier in assoc.send_c_find(find_identifier(query), model):
        if "Status" not in status:
            raise _lost(node)
        code = status.Status
        if code in PENDING and identifier is not None:
            matches.append(study_match(identifier, f"pacs:{node.name}"))
        elif code in (0xA900, 0x0122, 0xC000) or (code & 0xF000) == 0xC000:
            return None if model == STUDY_ROOT_FIND else _refused(node, code)
        elif code not in (SUCCESS, *PENDING, 0xFE00):
            _refused(node, code)
    if query.modality:  # a PACS may ignore ModalitiesInStudy matching
        matches = [m for m in matches if not m.modalities or query.modality.upper() in m.modalities]
    return matches


def _refused(node: PacsNode, code: int) -> list[StudyMatch]:
    raise RuleError(
        _("{pacs} refused the query (status 0x{status:04X}).").format(
            pacs=_describe(node), status=code
        )
    )


def _text(ds: Dataset, keyword: str, charsets: list[str]) -> str:
    """A text value decoded from its raw bytes when possible (mislabelled Latin-1 repaired)."""
    if keyword not in ds:
        return ""
    element = ds.get_item(keyword)
    if isinstance(element, RawDataElement) and isinstance(element.value, bytes):
        return decode_text(element.value, charsets, person_name=element.VR == "PN").strip("\0 ")
    value = ds[keyword].value
    return "" if value is None else str(value).strip()


def _charsets(ds: Dataset) -> list[str]:
    element = ds.get_item("SpecificCharacterSet")
    if element is None:
        return [""]
    raw = element.value
    text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw or "")
    if isinstance(raw, list):
        return [str(v) for v in raw]
    return [t.strip() for t in text.split("\\")] or [""]


def _count(ds: Dataset, keyword: str) -> int | None:
    text = _text(ds, keyword, [""])
    return int(text) if text.isdigit() else None


def study_match(ds: Dataset, source: str) -> StudyMatch:
    """A C-FIND answer as a StudyMatch."""
    charsets = _charsets(ds)
    modalities = _text(ds, "ModalitiesInStudy", charsets)
    return StudyMatch(
        study_instance_uid=_text(ds, "StudyInstanceUID", charsets),
        patient_name=_text(ds, "PatientName", charsets),
        patient_id=_text(ds, "PatientID", charsets),
        birth_date=parse_date(_text(ds, "PatientBirthDate", charsets)),
        study_date=parse_date(_text(ds, "StudyDate", charsets)),
        modalities=sorted({m for m in modalities.split("\\") if m}),
        description=_text(ds, "StudyDescription", charsets) or None,
        accession_number=_text(ds, "AccessionNumber", charsets) or None,
        series_count=_count(ds, "NumberOfStudyRelatedSeries"),
        instance_count=_count(ds, "NumberOfStudyRelatedInstances"),
        source=source,
    )


# retrieval (C-GET, C-MOVE) -----------------------------------------------------------
OnStored = Callable[[Path], None]


class _Receiver:
    """The C-STORE handler: encoded bytes straight to a file in `staging`, then `on_stored`."""

    def __init__(self, staging: Path, on_stored: OnStored) -> None:
        self.staging = staging
        self.on_stored = on_stored
        self.report = RetrieveReport()
        self.stopped: BaseException | None = None
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    def handle_store(self, event: Any) -> int:
        if self.stopped is not None:
            return 0xA700
        uid = str(event.request.AffectedSOPInstanceUID)
        name = uid if _UID.match(uid) else hashlib.sha256(uid.encode()).hexdigest()
        path = self.staging / f"{name}.dcm"
        part = path.with_suffix(".part")
        try:
            with open(part, "wb") as stream:
                _write_received(stream, event)
            os.replace(part, path)
            self.on_stored(path)
        except BaseException as exc:  # refuse and remember why; the caller re-raises
            with self.lock:
                self.stopped = exc
                self.report.refused.append(uid)
            return 0xA700
        with self.arrived:
            self.report.received.append(path)
            self.arrived.notify_all()
        return SUCCESS

    def count(self) -> int:
        with self.lock:
            return len(self.report.received)

    def wait_for(self, expected: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.report.received) < expected and self.stopped is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.arrived.wait(left)


def _write_received(stream: BinaryIO, event: Any) -> None:
    """The received instance as a file: a header built from its UIDs, then the data set
    as it arrived (the bytes of `event.encoded_dataset()`, without pydicom's ~1 ms)."""
    request = event.request
    uids = (
        str(request.AffectedSOPClassUID),
        str(request.AffectedSOPInstanceUID),
        str(event.context.transfer_syntax),
    )
    data = request.DataSet
    if not plain_uids(*uids) or not isinstance(data, BytesIO):
        stream.write(event.encoded_dataset())
        return
    stream.write(file_header(*uids))
    with data.getbuffer() as view:
        stream.write(view)


def _storage_contexts(roles: bool) -> tuple[list[Any], list[Any]]:
    """Storage contexts: each class with the uncompressed syntaxes, and one per compressed one.

    Separate contexts let the PACS send each file in the syntax it holds (no transcoding).
    """
    from pynetdicom.presentation import build_context, build_role

    contexts = []
    for uid in GET_STORAGE_CLASSES:
        contexts.append(build_context(uid, list(UNCOMPRESSED)))
        contexts.extend(build_context(uid, syntax) for syntax in COMPRESSED)
    role_items = [build_role(uid, scp_role=True) for uid in GET_STORAGE_CLASSES] if roles else []
    return contexts, role_items


def _identifier(study_instance_uid: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = study_instance_uid
    return ds


def _final(report: RetrieveReport, status: Dataset) -> None:
    report.status = int(status.Status)
    report.completed = status.get("NumberOfCompletedSuboperations", report.completed)
    report.failed = int(status.get("NumberOfFailedSuboperations", 0) or 0)
    report.warning = int(status.get("NumberOfWarningSuboperations", 0) or 0)


def get_study(
    node: PacsNode, study_instance_uid: str, staging: Path, on_stored: OnStored
) -> RetrieveReport:
    """C-GET a study into `staging`; `on_stored(path)` runs as each instance lands."""
    from pynetdicom import evt
    from pynetdicom.presentation import build_context

    receiver = _Receiver(staging, on_stored)
    storage, roles = _storage_contexts(roles=True)
    contexts = [build_context(STUDY_ROOT_GET), build_context(PATIENT_ROOT_GET), *storage]
    handlers = [(evt.EVT_C_STORE, receiver.handle_store)]

    get_refused = _get_refused(node)
    with associate(node, contexts, handlers=handlers, roles=roles, refused=get_refused) as assoc:
        accepted = {c.abstract_syntax for c in assoc.accepted_contexts}
        if STUDY_ROOT_GET not in accepted:
            raise get_refused()
        _collect(node, assoc.send_c_get(_identifier(study_instance_uid), STUDY_ROOT_GET), receiver)
    _raise_stopped(receiver)
    return receiver.report


def find_instances(node: PacsNode, study_instance_uid: str) -> list[tuple[str, str]] | None:
    """(Series, SOP Instance UID) of every instance of a study (C-FIND at IMAGE level).

    None when the node does not answer at that level (the caller then works by study).
    """
    from pynetdicom.presentation import build_context

    query = Dataset()
    query.QueryRetrieveLevel = "IMAGE"
    query.StudyInstanceUID = study_instance_uid
    query.SeriesInstanceUID = ""
    query.SOPInstanceUID = ""
    found: list[tuple[str, str]] = []
    with associate(node, [build_context(STUDY_ROOT_FIND)]) as assoc:
        if not assoc.accepted_contexts:
            return None
        for status, identifier in assoc.send_c_find(query, STUDY_ROOT_FIND):
            if "Status" not in status:
                raise _lost(node)
            if int(status.Status) in PENDING and identifier is not None:
                series = str(identifier.get("SeriesInstanceUID", "") or "")
                sop = str(identifier.get("SOPInstanceUID", "") or "")
                if not series or not sop:
                    return None
                found.append((series, sop))
            elif int(status.Status) != SUCCESS:
                return None
    return found


def get_instances(
    node: PacsNode,
    study_instance_uid: str,
    instances: Sequence[tuple[str, str]],
    staging: Path,
    on_stored: OnStored,
    connections: int = 2,
) -> RetrieveReport:
    """C-GET the listed (series, SOP Instance UID) over several associations at once.

    pynetdicom spends most of a C-GET waiting between sub-operations; two associations
    overlap those waits (see bench/README.md).
    """
    by_series: dict[str, list[str]] = {}
    for series, sop in instances:
        by_series.setdefault(series, []).append(sop)
    parts: list[list[tuple[str, list[str]]]] = [[] for _ in range(max(1, connections))]
    flat = [(series, sop) for series, sops in by_series.items() for sop in sops]
    for index in range(len(parts)):
        share = flat[index :: len(parts)]
        grouped: dict[str, list[str]] = {}
        for series, sop in share:
            grouped.setdefault(series, []).append(sop)
        parts[index] = list(grouped.items())
    receiver = _Receiver(staging, on_stored)
    errors: list[BaseException] = []
    rejected: list[list[tuple[str, list[str]]]] = []

    def work(part: list[tuple[str, list[str]]]) -> None:
        try:
            for series, sops in part:
                _get(node, _image_identifier(study_instance_uid, series, sops), receiver)
        except AssociationRejected:  # a PACS allowing one association at a time
            rejected.append(part)
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(part,)) for part in parts if part]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not errors:
        for part in rejected:  # one after the other; a node that rejects us raises here
            for series, sops in part:
                _get(node, _image_identifier(study_instance_uid, series, sops), receiver)
    _raise_stopped(receiver)
    if errors:
        raise errors[0]
    report = receiver.report
    report.completed = len(report.received)
    return report


def _image_identifier(study: str, series: str, sops: list[str]) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "IMAGE"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.SOPInstanceUID = sops
    return ds


def _get(node: PacsNode, identifier: Dataset, receiver: _Receiver) -> None:
    from pynetdicom import evt
    from pynetdicom.presentation import build_context

    storage, roles = _storage_contexts(roles=True)
    contexts = [build_context(STUDY_ROOT_GET), *storage]
    handlers = [(evt.EVT_C_STORE, receiver.handle_store)]
    refused = _get_refused(node)
    with associate(node, contexts, handlers=handlers, roles=roles, refused=refused) as assoc:
        if STUDY_ROOT_GET not in {c.abstract_syntax for c in assoc.accepted_contexts}:
            raise refused()
        failed_before = receiver.report.failed
        _collect(node, assoc.send_c_get(identifier, STUDY_ROOT_GET), receiver)
        with receiver.lock:
            receiver.report.failed += failed_before


def _get_refused(node: PacsNode) -> Callable[[], OrtifError]:
    def error() -> OrtifError:
        return RuleError(
            _("{pacs} refuses C-GET.").format(pacs=_describe(node)),
            hint=_(
                "Retrieve with C-MOVE instead: `ortif pacs add {name} --host {host} "
                "--port {port} --aet {called} --retrieve move --move-port N`, with this "
                "AE title and port declared on the PACS."
            ).format(name=node.name, host=node.host, port=node.port, called=node.called_ae_title),
        )

    return error


def move_study(
    node: PacsNode,
    study_instance_uid: str,
    staging: Path,
    on_stored: OnStored,
    expected: int | None = None,
    late_wait: float = LATE_ARRIVALS_WAIT,
) -> RetrieveReport:
    """C-MOVE a study to our own Storage SCP on the node's move port."""
    from pynetdicom import evt
    from pynetdicom.presentation import build_context

    receiver = _Receiver(staging, on_stored)
    scp = _application_entity(node)
    from pynetdicom import ALL_TRANSFER_SYNTAXES
    from pynetdicom.presentation import AllStoragePresentationContexts

    for context in AllStoragePresentationContexts:
        scp.add_supported_context(context.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    handlers = [(evt.EVT_CONN_OPEN, _nodelay), (evt.EVT_C_STORE, receiver.handle_store)]
    try:
        server = scp.start_server(("", node.move_port or 0), block=False, evt_handlers=handlers)
    except OSError as exc:
        raise ConnectionFailure(
            _("Cannot listen on port {port} for C-MOVE: {reason}.").format(
                port=node.move_port, reason=exc.strerror or exc
            ),
            hint=_("Free that port, or change it with `ortif pacs add ... --move-port N`."),
        ) from exc
    try:
        contexts = [build_context(STUDY_ROOT_MOVE), build_context(PATIENT_ROOT_MOVE)]
        with associate(node, contexts) as assoc:
            responses = assoc.send_c_move(
                _identifier(study_instance_uid), node.calling_ae_title, STUDY_ROOT_MOVE
            )
            _collect(node, responses, receiver)
        report = receiver.report
        if report.status in (SUCCESS, 0xB000):  # some PACS answer before the last image
            receiver.wait_for(max(expected or 0, int(report.completed or 0)), late_wait)
    finally:
        server.shutdown()
        scp.shutdown()
    _raise_stopped(receiver)
    return receiver.report


def _collect(node: PacsNode, responses: Any, receiver: _Receiver) -> None:
    for status, _identifier_ds in responses:
        if "Status" not in status:
            if receiver.stopped is not None:
                return
            raise _lost(node)
        if int(status.Status) not in PENDING:
            _final(receiver.report, status)
        if int(status.Status) in (0xA701, 0xA702):
            raise ConnectionFailure(
                _("{pacs} cannot send the images (status 0x{status:04X}).").format(
                    pacs=_describe(node), status=status.Status
                ),
                hint=_("For C-MOVE, declare this AE title, host and move port on the PACS."),
            )
        if int(status.Status) == 0xA801:
            raise RuleError(
                _("{pacs} does not know the move destination {calling}.").format(
                    pacs=_describe(node), calling=node.calling_ae_title
                ),
                hint=_("Declare {calling} with this machine and port {port} on the PACS.").format(
                    calling=node.calling_ae_title, port=node.move_port
                ),
            )


def _raise_stopped(receiver: _Receiver) -> None:
    if receiver.stopped is not None:
        if isinstance(receiver.stopped, (OrtifError, KeyboardInterrupt)):
            raise receiver.stopped
        message = _("Receiving the images failed: {reason}").format(reason=receiver.stopped)
        raise OrtifError(message) from receiver.stopped


# C-STORE SCU ---------------------------------------------------------------------------
ProgressCallback = Callable[[int, int], None]
"""Called with (instances done, bytes done) after each instance."""


def store_instances(
    node: PacsNode, paths: Sequence[Path], on_progress: ProgressCallback | None = None
) -> StoreReport:
    """C-STORE DICOM files to `node` as they are on disk (no decoding, no transcoding).

    Every file is offered in its own transfer syntax; a file the node refuses, or whose
    syntax it does not accept, is listed in `StoreReport.failed` with the reason.
    """
    from pynetdicom import _config
    from pynetdicom.presentation import build_context

    _config.STORE_SEND_CHUNKED_DATASET = True
    report = StoreReport()
    headers: list[tuple[Path, str, str]] = []
    for path in paths:
        try:
            meta = read_file_meta_info(path)
            headers.append((path, str(meta.MediaStorageSOPClassUID), str(meta.TransferSyntaxUID)))
        except Exception as exc:  # unreadable file: reported, never fatal to the others
            report.failed.append((path, _("not a DICOM file ({reason})").format(reason=exc)))
    pairs = sorted({(sop_class, syntax) for _path, sop_class, syntax in headers})
    for start in range(0, len(pairs), 120):
        chunk = set(pairs[start : start + 120])
        contexts = [build_context(sop_class, syntax) for sop_class, syntax in chunk]
        todo = [h for h in headers if (h[1], h[2]) in chunk]
        with associate(node, contexts) as assoc:
            _store_all(node, assoc, todo, report, on_progress)
    return report


def _store_all(
    node: PacsNode,
    assoc: Any,
    headers: list[tuple[Path, str, str]],
    report: StoreReport,
    on_progress: ProgressCallback | None,
) -> None:
    accepted = {(c.abstract_syntax, c.transfer_syntax[0]) for c in assoc.accepted_contexts}
    done_bytes = 0
    for path, sop_class, syntax in headers:
        if (sop_class, syntax) not in accepted:
            refusal = _("the PACS does not accept {sop_class} in {syntax}")
            report.failed.append((path, refusal.format(sop_class=sop_class, syntax=syntax)))
            continue
        status = assoc.send_c_store(path)
        if "Status" not in status:
            raise _lost(node)
        code = int(status.Status)
        if code == SUCCESS or (code & 0xF000) == 0xB000:
            report.stored.append(str(read_file_meta_info(path).MediaStorageSOPInstanceUID))
        else:
            refusal = _("refused by the PACS (status 0x{status:04X})").format(status=code)
            report.failed.append((path, refusal))
        done_bytes += path.stat().st_size
        if on_progress:
            on_progress(len(report.stored) + len(report.failed), done_bytes)
