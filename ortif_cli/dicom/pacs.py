"""DICOM networking with a PACS: C-ECHO, C-FIND, C-GET, C-MOVE and C-STORE (SCU).

Our SCU speaks DICOM through the lean upper layer of `upper_layer.py` (no pydicom, no
pynetdicom on the C-FIND / C-GET path); pynetdicom serves only as the C-MOVE destination.
Speed comes from three habits (see BENCHMARKS.md): TCP_NODELAY on every socket we open
or accept, no PDU size limit, and received instances written as the encoded bytes that
arrived (preamble, File Meta Information, then the data set as sent), never decoded.
Nothing here prints or exits: failures are `OrtifError`s naming the node and AE titles.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from ortif_cli.dicom import dimse
from ortif_cli.dicom.charset import ascii_value, charsets_of, text_value
from ortif_cli.dicom.dimse import EXPLICIT_LE, IMPLICIT_LE, Command
from ortif_cli.dicom.file_meta import any_file_header, read_part10_meta
from ortif_cli.dicom.identity import parse_date
from ortif_cli.dicom.query import StudyMatch, StudyQuery, name_pattern
from ortif_cli.dicom.upper_layer import Aborted, Association, Context, Rejected
from ortif_cli.errors import ConnectionFailure, OrtifError, RuleError
from ortif_cli.i18n import _
from ortif_cli.pacs_nodes import PacsNode

CONNECTION_TIMEOUT = 10.0
ACSE_TIMEOUT = 30.0
DIMSE_TIMEOUT = 120.0
TRANSIENT_RETRIES = 3
"""Attempts again when a node rejects an association as transient (too many at once)."""
CANCEL_TIMEOUT = 10.0
"""Seconds to wait for a PACS's last answer after a C-CANCEL."""
LATE_ARRIVALS_WAIT = 10.0
"""Seconds to wait after a C-MOVE's final answer for images the PACS still sends."""

STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3"
STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
PATIENT_ROOT_GET = "1.2.840.10008.5.1.4.1.2.1.3"
PATIENT_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.1.2"
VERIFICATION = "1.2.840.10008.1.1"

UNCOMPRESSED = (EXPLICIT_LE, IMPLICIT_LE)
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
STORE_CONTEXTS_PER_ASSOCIATION = 120
"""Presentation contexts per C-STORE association (the protocol allows 128)."""
_UID = re.compile(r"^[0-9.]{1,64}$")
SUCCESS, PENDING = 0x0000, (0xFF00, 0xFF01)
_REFUSED_STORE = 0xA700
_message_ids = itertools.count(1)


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
    failed_uids: list[str] = field(default_factory=list)
    """SOP Instance UIDs the PACS says it could not send (Failed SOP Instance UID List)."""


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


class Cancelled(KeyboardInterrupt):
    """Ctrl-C during a C-FIND, once the PACS answered our C-CANCEL: the association is
    released, not aborted."""


class StopRetrieval(Exception):
    """Raised by an `on_stored` callback to refuse the instance and stop the retrieval."""


# associations --------------------------------------------------------------------------
def _describe(node: PacsNode) -> str:
    return _("the PACS {name} ({host}:{port}, called AE {called}, calling AE {calling})").format(
        name=node.name,
        host=node.host,
        port=node.port,
        called=node.called_ae_title,
        calling=node.calling_ae_title,
    )


def _request(
    node: PacsNode, contexts: Sequence[tuple[str, Sequence[str]]], scp_roles: Sequence[str]
) -> Association:
    """Association.request, tried again a few times while the node says it is busy."""
    for attempt in itertools.count():
        try:
            return Association.request(
                node.host,
                node.port,
                node.calling_ae_title,
                node.called_ae_title,
                contexts,
                scp_roles=scp_roles,
                connect_timeout=CONNECTION_TIMEOUT,
                acse_timeout=ACSE_TIMEOUT,
                dimse_timeout=DIMSE_TIMEOUT,
            )
        except Rejected as exc:
            if not exc.transient or attempt >= TRANSIENT_RETRIES:
                raise AssociationRejected(
                    _("{pacs} rejected the association.").format(pacs=_describe(node)),
                    hint=_(
                        "Ask the PACS administrator to declare the AE title {calling} "
                        "(and check that {called} is the PACS's AE title)."
                    ).format(calling=node.calling_ae_title, called=node.called_ae_title),
                ) from exc
            time.sleep(0.2 * 2**attempt)  # rejected for now (busy): try again shortly
        except (OSError, Aborted) as exc:
            raise ConnectionFailure(
                _("Cannot reach {pacs}.").format(pacs=_describe(node)),
                hint=_(
                    "Check the host, port and network, then try `ortif pacs echo {name}`."
                ).format(name=node.name),
            ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def associate(
    node: PacsNode,
    contexts: Sequence[tuple[str, Sequence[str]]],
    *,
    scp_roles: Sequence[str] = (),
) -> Iterator[Association]:
    """An established association with `node`, released (or aborted) on the way out.

    A connection lost or aborted while in use becomes the `_lost` error.
    """
    assoc = _request(node, contexts, scp_roles)
    try:
        yield assoc
    except Cancelled:
        assoc.release()
        raise
    except Aborted as exc:
        assoc.abort()
        raise _lost(node) from exc
    except BaseException:
        assoc.abort()
        raise
    else:
        assoc.release()


def _context(
    assoc: Association, abstract_syntax: str, refused: Callable[[], OrtifError]
) -> Context:
    """The accepted context for `abstract_syntax`, or the `refused` error."""
    for context in assoc.contexts.values():
        if context.abstract_syntax == abstract_syntax:
            return context
    raise refused()


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


def _send_request(
    assoc: Association,
    context: Context,
    command_field: int,
    identifier: Sequence[tuple[int, str, str]],
    destination: str | None = None,
) -> int:
    """Send a request with its identifier; return its message ID."""
    abstract_syntax = context.abstract_syntax
    message_id = _message_id()
    command = dimse.request(command_field, message_id, abstract_syntax, destination=destination)
    assoc.send_command(context.id, command)
    assoc.send_dataset(context.id, dimse.encode_identifier(identifier, context.transfer_syntax))
    return message_id


def _message_id() -> int:
    """A message ID for a new request: 1 to 65535, unique among those in flight."""
    return next(_message_ids) % 0xFFFF + 1


def _receive_identifier(assoc: Association, context: Context) -> dict[int, bytes]:
    buffer = BytesIO()
    assoc.receive_dataset(buffer)
    return dimse.decode_identifier(buffer.getvalue(), context.transfer_syntax)


def echo(node: PacsNode) -> float:
    """C-ECHO: the round-trip time in seconds (association included)."""
    started = time.perf_counter()
    with associate(node, [(VERIFICATION, [IMPLICIT_LE])]) as assoc:
        context = _context(assoc, VERIFICATION, _no_context(node))
        assoc.send_command(context.id, dimse.request(dimse.C_ECHO_RQ, 1, VERIFICATION))
        _context_id, data = assoc.receive_command()
        status = Command(data).status
    if status != SUCCESS:
        raise ConnectionFailure(
            _("{pacs} answered C-ECHO with 0x{status:04X}.").format(
                pacs=_describe(node), status=status or 0
            )
        )
    return time.perf_counter() - started


# C-FIND --------------------------------------------------------------------------------
QUERY_LEVEL = 0x00080052
CHARSET = 0x00080005
STUDY_UID, SERIES_UID, SOP_UID = 0x0020000D, 0x0020000E, 0x00080018
PATIENT_NAME, PATIENT_ID, BIRTH_DATE = 0x00100010, 0x00100020, 0x00100030
STUDY_DATE, STUDY_TIME, ACCESSION = 0x00080020, 0x00080030, 0x00080050
MODALITIES, DESCRIPTION = 0x00080061, 0x00081030
SERIES_COUNT, INSTANCE_COUNT = 0x00201206, 0x00201208
QUERY_SYNTAXES = (EXPLICIT_LE, IMPLICIT_LE)


def find_identifier(query: StudyQuery) -> list[tuple[int, str, str]]:
    """The STUDY level C-FIND identifier for `query`, asking for every column we show."""
    return [
        (QUERY_LEVEL, "CS", "STUDY"),
        (CHARSET, "CS", "ISO_IR 192"),
        (STUDY_UID, "UI", query.study_instance_uid or ""),
        (PATIENT_NAME, "PN", name_pattern(query.patient_name) if query.patient_name else ""),
        (PATIENT_ID, "LO", query.patient_id or ""),
        (BIRTH_DATE, "DA", query.birth_date.strftime("%Y%m%d") if query.birth_date else ""),
        (STUDY_DATE, "DA", query.study_date.to_dicom() if query.study_date else ""),
        (STUDY_TIME, "TM", ""),
        (ACCESSION, "SH", query.accession_number or ""),
        (MODALITIES, "CS", query.modality.upper() if query.modality else ""),
        (DESCRIPTION, "LO", ""),
        (SERIES_COUNT, "IS", ""),
        (INSTANCE_COUNT, "IS", ""),
    ]


def find_studies(node: PacsNode, query: StudyQuery) -> list[StudyMatch]:
    """C-FIND at STUDY level, Study Root, or Patient Root when the node refuses Study Root."""
    models = (STUDY_ROOT_FIND, PATIENT_ROOT_FIND)
    with associate(node, [(model, QUERY_SYNTAXES) for model in models]) as assoc:
        accepted = [c for m in models for c in assoc.contexts.values() if c.abstract_syntax == m]
        if not accepted:
            raise RuleError(
                _("{pacs} refused both C-FIND information models.").format(pacs=_describe(node))
            )
        for context in accepted:
            matches = _find(node, assoc, context, query)
            if matches is not None:
                return matches
    raise RuleError(_("{pacs} refused the query.").format(pacs=_describe(node)))


OnMatch = Callable[[dict[int, bytes]], None]


def c_find(
    assoc: Association,
    context: Context,
    identifier: Sequence[tuple[int, str, str]],
    on_match: OnMatch,
) -> int:
    """C-FIND: `on_match` for each pending answer's identifier; the final status.

    Ctrl-C sends a C-CANCEL and waits for the PACS's last answer; `Cancelled` then lets
    `associate` release the association rather than abort it.
    """
    message_id = _send_request(assoc, context, dimse.C_FIND_RQ, identifier)
    try:
        while True:
            status, found = _find_answer(assoc, context)
            if status not in PENDING:
                return status
            if found is not None:
                on_match(found)
    except KeyboardInterrupt:
        if not _cancel(assoc, context, message_id):
            raise
        raise Cancelled() from None


def _find_answer(
    assoc: Association, context: Context, draining: bool = False
) -> tuple[int, dict[int, bytes] | None]:
    """The next C-FIND answer; `draining` skips the rest of one cut short by Ctrl-C."""
    _context_id, data = assoc.receive_command(skip_data=draining)
    command = Command(data)
    if command.field != dimse.C_FIND_RSP or command.status is None:
        raise Aborted("an unexpected answer to C-FIND")
    found = _receive_identifier(assoc, context) if command.has_dataset else None
    return command.status, found


def _cancel(assoc: Association, context: Context, message_id: int) -> bool:
    """C-CANCEL, then read what the PACS still sends up to its final answer.

    False when the PACS does not finish in time (the association is then aborted).
    """
    try:
        assoc.socket.settimeout(CANCEL_TIMEOUT)
        assoc.send_command(context.id, dimse.cancel_request(message_id))
        while _find_answer(assoc, context, draining=True)[0] in PENDING:
            pass
    except (Aborted, OSError):
        return False
    return True


def _find(
    node: PacsNode, assoc: Association, context: Context, query: StudyQuery
) -> list[StudyMatch] | None:
    """The matches, or None if the node refused this information model.

    Some PACS answer a STUDY level query once per instance (pynetdicom's `qrscp`
    application does): answers for a study already seen only add their modalities.
    """
    matches: dict[str, StudyMatch] = {}

    def add(identifier: dict[int, bytes]) -> None:
        match = study_match(identifier, f"pacs:{node.name}")
        seen = matches.get(match.study_instance_uid)
        if seen is None:
            matches[match.study_instance_uid] = match
        elif not set(match.modalities) <= set(seen.modalities):
            modalities = sorted({*seen.modalities, *match.modalities})
            matches[match.study_instance_uid] = replace(seen, modalities=modalities)

    code = c_find(assoc, context, find_identifier(query), add)
    if code in (0xA900, 0x0122) or (code & 0xF000) == 0xC000:
        if context.abstract_syntax == STUDY_ROOT_FIND:
            return None
        _refused(node, code)
    elif code not in (SUCCESS, 0xFE00):
        _refused(node, code)
    found = list(matches.values())
    if query.modality:  # a PACS may ignore ModalitiesInStudy matching
        found = [m for m in found if not m.modalities or query.modality.upper() in m.modalities]
    return found


def _refused(node: PacsNode, code: int) -> None:
    raise RuleError(
        _("{pacs} refused the query (status 0x{status:04X}).").format(
            pacs=_describe(node), status=code
        )
    )


def study_match(values: dict[int, bytes], source: str) -> StudyMatch:
    """A C-FIND answer (raw values by tag) as a StudyMatch."""
    charsets = charsets_of(values)

    def text(tag: int, person_name: bool = False) -> str:
        return text_value(values, tag, charsets, person_name=person_name)

    def count(tag: int) -> int | None:
        value = text(tag)
        return int(value) if value.isdigit() else None

    return StudyMatch(
        study_instance_uid=text(STUDY_UID),
        patient_name=text(PATIENT_NAME, person_name=True),
        patient_id=text(PATIENT_ID),
        birth_date=parse_date(text(BIRTH_DATE)),
        study_date=parse_date(text(STUDY_DATE)),
        modalities=sorted({m for m in text(MODALITIES).split("\\") if m}),
        description=text(DESCRIPTION) or None,
        accession_number=text(ACCESSION) or None,
        series_count=count(SERIES_COUNT),
        instance_count=count(INSTANCE_COUNT),
        source=source,
    )


# retrieval (C-GET, C-MOVE) -----------------------------------------------------------
OnStored = Callable[[Path], None]


class _Receiver:
    """Received instances to files in `staging` (header, then the data set's bytes as they
    arrive), then `on_stored`; shared by the C-GET loop and the C-MOVE destination."""

    def __init__(self, staging: Path, on_stored: OnStored) -> None:
        self.staging = staging
        self.on_stored = on_stored
        self.report = RetrieveReport()
        self.stopped: BaseException | None = None
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    def store(
        self, sop_class: str, uid: str, syntax: str, write_body: Callable[[BinaryIO], object]
    ) -> int:
        """Stage one instance; the C-STORE status to answer."""
        if self.stopped is not None:
            return _REFUSED_STORE
        name = uid if _UID.match(uid) else hashlib.sha256(uid.encode()).hexdigest()
        path = self.staging / f"{name}.dcm"
        part = path.with_suffix(".part")
        try:
            try:
                with open(part, "wb") as stream:
                    stream.write(any_file_header(sop_class, uid, syntax))
                    write_body(stream)
                os.replace(part, path)
            except BaseException:
                part.unlink(missing_ok=True)  # cut short: the association lost, the disk full
                raise
            self.on_stored(path)
        except Aborted:
            raise  # the association is gone: nothing to answer
        except BaseException as exc:  # refuse and remember why; the caller re-raises
            with self.lock:
                self.stopped = exc
                self.report.refused.append(uid)
            return _REFUSED_STORE
        with self.arrived:
            self.report.received.append(path)
            self.arrived.notify_all()
        return SUCCESS

    def handle_store(self, event: Any) -> int:
        """pynetdicom's EVT_C_STORE handler (the C-MOVE destination)."""
        request = event.request

        def body(stream: BinaryIO) -> None:
            with request.DataSet.getbuffer() as view:  # the data set as received
                stream.write(view)

        return self.store(
            str(request.AffectedSOPClassUID),
            str(request.AffectedSOPInstanceUID),
            str(event.context.transfer_syntax),
            body,
        )

    def wait_for(self, expected: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.report.received) < expected and self.stopped is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.arrived.wait(left)


def _storage_contexts() -> list[tuple[str, Sequence[str]]]:
    """Storage contexts: each class with the uncompressed syntaxes, and one per compressed one.

    Separate contexts let the PACS send each file in the syntax it holds (no transcoding).
    """
    contexts: list[tuple[str, Sequence[str]]] = []
    for uid in GET_STORAGE_CLASSES:
        contexts.append((uid, UNCOMPRESSED))
        contexts.extend((uid, (syntax,)) for syntax in COMPRESSED)
    return contexts


def retrieve_identifier(
    study_instance_uid: str, series: Sequence[str] = ()
) -> list[tuple[int, str, str]]:
    """A STUDY level retrieval, or a SERIES level one of the listed series."""
    if not series:
        return [(QUERY_LEVEL, "CS", "STUDY"), (STUDY_UID, "UI", study_instance_uid)]
    return [
        (QUERY_LEVEL, "CS", "SERIES"),
        (STUDY_UID, "UI", study_instance_uid),
        (SERIES_UID, "UI", "\\".join(series)),
    ]


def _final(report: RetrieveReport, command: Command) -> None:
    report.status = command.status
    completed = command.count(dimse.COMPLETED)
    report.completed = report.completed if completed is None else completed
    report.failed = command.count(dimse.FAILED) or 0
    report.warning = command.count(dimse.WARNING) or 0


def get_study(
    node: PacsNode,
    study_instance_uid: str,
    staging: Path,
    on_stored: OnStored,
    series: Sequence[str] = (),
) -> RetrieveReport:
    """C-GET a study (or only the listed series) into `staging`; `on_stored(path)` runs
    as each instance lands."""
    receiver = _Receiver(staging, on_stored)
    _get(node, retrieve_identifier(study_instance_uid, series), receiver)
    _raise_stopped(receiver)
    return receiver.report


def find_instances(node: PacsNode, study_instance_uid: str) -> list[tuple[str, str]] | None:
    """(Series, SOP Instance UID) of every instance of a study (C-FIND at IMAGE level).

    None when the node does not answer at that level (the caller then works by study).
    """
    query = [
        (QUERY_LEVEL, "CS", "IMAGE"),
        (STUDY_UID, "UI", study_instance_uid),
        (SERIES_UID, "UI", ""),
        (SOP_UID, "UI", ""),
    ]
    answers: list[dict[int, bytes]] = []
    with associate(node, [(STUDY_ROOT_FIND, QUERY_SYNTAXES)]) as assoc:
        if not assoc.contexts:
            return None
        (context,) = assoc.contexts.values()
        if c_find(assoc, context, query, answers.append) != SUCCESS:
            return None
    found = [(ascii_value(a.get(SERIES_UID)), ascii_value(a.get(SOP_UID))) for a in answers]
    return None if any(not series or not sop for series, sop in found) else found


def get_instances(
    node: PacsNode,
    study_instance_uid: str,
    instances: Sequence[tuple[str, str]],
    staging: Path,
    on_stored: OnStored,
    connections: int = 2,
) -> RetrieveReport:
    """C-GET the listed (series, SOP Instance UID) over several associations at once.

    Two associations keep the node busy while the other waits on our disk or upload.
    """
    parts: list[list[tuple[str, list[str]]]] = []
    for index in range(max(1, connections)):
        grouped: dict[str, list[str]] = {}
        for series, sop in instances[index :: max(1, connections)]:
            grouped.setdefault(series, []).append(sop)
        parts.append(list(grouped.items()))
    receiver = _Receiver(staging, on_stored)
    errors: list[BaseException] = []
    rejected: list[list[tuple[str, list[str]]]] = []

    def work(part: list[tuple[str, list[str]]]) -> None:
        try:
            for series, sops in part:
                _get(node, image_identifier(study_instance_uid, series, sops), receiver)
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
                _get(node, image_identifier(study_instance_uid, series, sops), receiver)
    _raise_stopped(receiver)
    if errors:
        raise errors[0]
    report = receiver.report
    report.completed = len(report.received)
    return report


def image_identifier(study: str, series: str, sops: list[str]) -> list[tuple[int, str, str]]:
    return [
        (QUERY_LEVEL, "CS", "IMAGE"),
        (STUDY_UID, "UI", study),
        (SERIES_UID, "UI", series),
        (SOP_UID, "UI", "\\".join(sops)),
    ]


def _get(node: PacsNode, identifier: list[tuple[int, str, str]], receiver: _Receiver) -> None:
    """One C-GET on its own association; the node's C-STOREs staged by `receiver`."""
    contexts = [(STUDY_ROOT_GET, QUERY_SYNTAXES), *_storage_contexts()]
    refused = _get_refused(node)
    with associate(node, contexts, scp_roles=GET_STORAGE_CLASSES) as assoc:
        context = _context(assoc, STUDY_ROOT_GET, refused)
        failed_before = receiver.report.failed
        _send_request(assoc, context, dimse.C_GET_RQ, identifier)
        _collect(node, assoc, receiver, dimse.C_GET_RSP)
        with receiver.lock:
            receiver.report.failed += failed_before


def _receive_store(
    assoc: Association, context_id: int, command: Command, receiver: _Receiver
) -> None:
    """Stage the C-STORE sub-operation that `command` starts, and answer it."""
    sop_class = command.uid(dimse.AFFECTED_SOP_CLASS)
    uid = command.uid(dimse.AFFECTED_SOP_INSTANCE)
    context = assoc.contexts.get(context_id)
    if context is None:
        raise Aborted(f"a C-STORE on the unknown presentation context {context_id}")
    status = receiver.store(sop_class, uid, context.transfer_syntax, assoc.receive_dataset)
    _raise_stopped(receiver)  # refused, or not staged: the association is aborted
    message_id = command.us(dimse.MESSAGE_ID)
    assoc.send_command(context_id, dimse.store_response(message_id, sop_class, uid, status))


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
    identifier: Sequence[tuple[int, str, str]] | None = None,
) -> RetrieveReport:
    """C-MOVE a study to our own Storage SCP (pynetdicom's) on the node's move port.

    `identifier` retrieves less than the whole study (see `retrieve_identifier`).
    """
    from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt
    from pynetdicom.presentation import AllStoragePresentationContexts

    receiver = _Receiver(staging, on_stored)
    scp = AE(ae_title=node.calling_ae_title)
    scp.maximum_pdu_size = 0
    scp.acse_timeout = ACSE_TIMEOUT
    scp.dimse_timeout = scp.network_timeout = DIMSE_TIMEOUT
    for storage in AllStoragePresentationContexts:
        scp.add_supported_context(str(storage.abstract_syntax), ALL_TRANSFER_SYNTAXES)
    handlers: list[Any] = [(evt.EVT_CONN_OPEN, _nodelay), (evt.EVT_C_STORE, receiver.handle_store)]
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
        models = (STUDY_ROOT_MOVE, PATIENT_ROOT_MOVE)
        with associate(node, [(model, QUERY_SYNTAXES) for model in models]) as assoc:
            context = _context(assoc, STUDY_ROOT_MOVE, _no_context(node))
            keys = identifier or retrieve_identifier(study_instance_uid)
            destination = node.calling_ae_title
            _send_request(assoc, context, dimse.C_MOVE_RQ, keys, destination)
            _collect(node, assoc, receiver, dimse.C_MOVE_RSP)
        report = receiver.report
        if report.status in (SUCCESS, 0xB000):  # some PACS answer before the last image
            receiver.wait_for(max(expected or 0, int(report.completed or 0)), late_wait)
    finally:
        if server is not None:
            server.shutdown()
        scp.shutdown()
    _raise_stopped(receiver)
    return receiver.report


def _nodelay(event: Any) -> None:
    """EVT_CONN_OPEN handler: switch Nagle's algorithm off on an accepted socket."""
    with suppress(AttributeError, OSError):
        event.assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _collect(node: PacsNode, assoc: Association, receiver: _Receiver, answer: int) -> None:
    """Serve the node's C-STOREs and read its C-GET / C-MOVE answers up to the final one."""
    while True:
        context_id, data = assoc.receive_command()
        command = Command(data)
        if command.field == dimse.C_STORE_RQ:
            _receive_store(assoc, context_id, command, receiver)
            continue
        if command.field != answer or command.status is None:
            raise Aborted(f"unexpected command 0x{command.field:04X}")
        failed = _failed_list(assoc, context_id) if command.has_dataset else []
        code = command.status
        if code in PENDING:
            continue
        _final(receiver.report, command)
        receiver.report.failed_uids += failed
        if code in (0xA701, 0xA702):
            raise ConnectionFailure(
                _("{pacs} cannot send the images (status 0x{status:04X}).").format(
                    pacs=_describe(node), status=code
                ),
                hint=_("For C-MOVE, declare this AE title, host and move port on the PACS."),
            )
        if code == 0xA801:
            raise RuleError(
                _("{pacs} does not know the move destination {calling}.").format(
                    pacs=_describe(node), calling=node.calling_ae_title
                ),
                hint=_("Declare {calling} with this machine and port {port} on the PACS.").format(
                    calling=node.calling_ae_title, port=node.move_port
                ),
            )
        return


FAILED_SOP_LIST = 0x00080058


def _failed_list(assoc: Association, context_id: int) -> list[str]:
    """The Failed SOP Instance UID List of a C-GET / C-MOVE answer's identifier."""
    buffer = BytesIO()
    assoc.receive_dataset(buffer)
    context = assoc.contexts.get(context_id)
    syntax = context.transfer_syntax if context else IMPLICIT_LE
    values = dimse.decode_identifier(buffer.getvalue(), syntax)
    return [uid for uid in ascii_value(values.get(FAILED_SOP_LIST)).split("\\") if uid]


def _raise_stopped(receiver: _Receiver) -> None:
    if receiver.stopped is not None:
        if isinstance(receiver.stopped, (OrtifError, KeyboardInterrupt)):
            raise receiver.stopped
        message = _("Receiving the images failed: {reason}").format(reason=receiver.stopped)
        raise OrtifError(message) from receiver.stopped


# C-STORE SCU ---------------------------------------------------------------------------
ProgressCallback = Callable[[int, int], None]
"""Called with (instances done, bytes done) after each instance."""


@dataclass
class _Outgoing:
    path: Path
    sop_class: str
    sop_instance: str
    syntax: str
    offset: int
    """Where the data set starts, after the File Meta Information."""


def store_instances(
    node: PacsNode, paths: Sequence[Path], on_progress: ProgressCallback | None = None
) -> StoreReport:
    """C-STORE DICOM files to `node` as they are on disk (no decoding, no transcoding).

    Every file is offered in its own transfer syntax; a file the node refuses, or whose
    syntax it does not accept, is listed in `StoreReport.failed` with the reason.
    """
    report = StoreReport()
    files: list[_Outgoing] = []
    for path in paths:
        try:
            files.append(_Outgoing(path, *read_part10_meta(path)))
        except (OSError, ValueError) as exc:  # unreadable file: reported, never fatal
            report.failed.append((path, _("not a DICOM file ({reason})").format(reason=exc)))
    pairs = sorted({(f.sop_class, f.syntax) for f in files})
    done_files, done_bytes = len(report.failed), 0
    for start in range(0, len(pairs), STORE_CONTEXTS_PER_ASSOCIATION):
        chunk = pairs[start : start + STORE_CONTEXTS_PER_ASSOCIATION]
        todo = [f for f in files if (f.sop_class, f.syntax) in set(chunk)]
        with associate(node, [(sop_class, (syntax,)) for sop_class, syntax in chunk]) as assoc:
            accepted = {(c.abstract_syntax, c.transfer_syntax): c for c in assoc.contexts.values()}
            for outgoing in todo:
                context = accepted.get((outgoing.sop_class, outgoing.syntax))
                if context is None:
                    refusal = _("the PACS does not accept {sop_class} in {syntax}")
                    reason = refusal.format(sop_class=outgoing.sop_class, syntax=outgoing.syntax)
                    report.failed.append((outgoing.path, reason))
                else:
                    _store_one(assoc, context, outgoing, report)
                done_files += 1
                with suppress(OSError):
                    done_bytes += outgoing.path.stat().st_size
                if on_progress:
                    on_progress(done_files, done_bytes)
    return report


def _store_one(
    assoc: Association, context: Context, outgoing: _Outgoing, report: StoreReport
) -> None:
    instance = outgoing.sop_instance
    command = dimse.request(dimse.C_STORE_RQ, _message_id(), outgoing.sop_class, instance=instance)
    with open(outgoing.path, "rb") as stream:
        length = os.fstat(stream.fileno()).st_size - outgoing.offset
        stream.seek(outgoing.offset)
        assoc.send_command(context.id, command)
        assoc.send_dataset_from(context.id, stream, length)
    _context_id, data = assoc.receive_command()
    answer = Command(data)
    if answer.field != dimse.C_STORE_RSP or answer.status is None:
        raise Aborted("an unexpected answer to C-STORE")
    code = answer.status
    if code == SUCCESS or (code & 0xF000) == 0xB000:
        report.stored.append(outgoing.sop_instance)
    else:
        refusal = _("refused by the PACS (status 0x{status:04X})").format(status=code)
        report.failed.append((outgoing.path, refusal))
