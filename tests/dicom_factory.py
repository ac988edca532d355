"""DICOM files for tests: sample studies (from the package) and the junk found on real CDs."""

from __future__ import annotations

import gc
import threading
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.fileset import FileSet

from ortif_cli.dicom.sample import WrittenStudy, write_sample_study

__all__ = [
    "QueryRetrieveSCP",
    "WrittenStudy",
    "write_dicomdir",
    "write_non_dicom",
    "write_raw_patient_name",
    "write_study",
    "write_truncated",
    "write_without_preamble",
]

write_study = write_sample_study


def write_non_dicom(path: Path, content: bytes = b"[autorun]\r\nopen=viewer.exe\r\n") -> Path:
    """A file that is not DICOM (by default an autorun.inf)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def write_truncated(source: Path, path: Path, keep: int | None = None) -> Path:
    """A copy of `source` cut after `keep` bytes (by default, half of it)."""
    data = source.read_bytes()
    return write_non_dicom(path, data[: len(data) // 2 if keep is None else keep])


def write_without_preamble(source: Path, path: Path) -> Path:
    """A copy of `source` without its 128-byte preamble and 'DICM' prefix."""
    data = source.read_bytes()
    assert data[128:132] == b"DICM"
    return write_non_dicom(path, data[132:])


def write_raw_patient_name(source: Path, raw_name: bytes, charset: str | None) -> Path:
    """Rewrite `source` with `raw_name` as the exact bytes of Patient's Name.

    `charset` None leaves Specific Character Set out. Latin-1 maps every byte to one
    character, so the bytes written are `raw_name` whatever they really encode.
    """
    ds = dcmread(source)
    del ds.SpecificCharacterSet
    if charset is not None:
        ds.SpecificCharacterSet = charset
    ds.PatientName = raw_name.decode("latin-1")
    ds.save_as(source)
    return source


def write_dicomdir(paths: Iterable[Path], directory: Path) -> Path:
    """A CD layout in `directory`: copies of `paths` and the DICOMDIR indexing them."""
    with warnings.catch_warnings():
        # FileSet leaves its staging directory to the garbage collector, which warns.
        warnings.simplefilter("ignore", ResourceWarning)
        file_set = FileSet()
        for path in paths:
            file_set.add(path)
        file_set.write(directory)
        del file_set
        gc.collect()
    return directory / "DICOMDIR"


class QueryRetrieveSCP:
    """A pynetdicom Query/Retrieve SCP on 127.0.0.1 (free port) serving the files of a folder.

    `get=False` refuses C-GET in negotiation; `study_root=False` offers Patient Root only;
    `abort_after=N` aborts the association after N sub-operations of a retrieval;
    `known_calling` rejects any other calling AE title; `move_destinations` maps an AE
    title to (host, port) for C-MOVE; `max_associations` rejects more at a time;
    `late_last` answers a C-MOVE before sending its last instance (as some PACS do).
    """

    def __init__(
        self,
        root: Path,
        *,
        ae_title: str = "TESTPACS",
        get: bool = True,
        study_root: bool = True,
        abort_after: int | None = None,
        known_calling: list[str] | None = None,
        move_destinations: dict[str, tuple[str, int]] | None = None,
        max_associations: int = 50,
        late_last: bool = False,
    ) -> None:
        from pydicom import dcmread

        self.root = root
        self.ae_title = ae_title
        self.get = get
        self.study_root = study_root
        self.abort_after = abort_after
        self.known_calling = known_calling
        self.move_destinations = move_destinations or {}
        self.max_associations = max_associations
        self.late_last = late_last
        self.files: list[tuple[Path, Any]] = []
        for path in sorted(root.rglob("*.dcm")):
            self.files.append((path, dcmread(path, stop_before_pixels=True)))
        self.server: Any = None
        self.port = 0

    def start(self) -> QueryRetrieveSCP:
        from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt
        from pynetdicom.presentation import AllStoragePresentationContexts
        from pynetdicom.sop_class import (
            PatientRootQueryRetrieveInformationModelFind,
            PatientRootQueryRetrieveInformationModelGet,
            PatientRootQueryRetrieveInformationModelMove,
            StudyRootQueryRetrieveInformationModelFind,
            StudyRootQueryRetrieveInformationModelGet,
            StudyRootQueryRetrieveInformationModelMove,
            Verification,
        )

        ae = AE(ae_title=self.ae_title)
        ae.maximum_pdu_size = 0
        ae.maximum_associations = self.max_associations
        ae.add_supported_context(Verification)
        ae.add_supported_context(PatientRootQueryRetrieveInformationModelFind)
        ae.add_supported_context(PatientRootQueryRetrieveInformationModelMove)
        if self.study_root:
            ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
            ae.add_supported_context(StudyRootQueryRetrieveInformationModelMove)
        if self.get:
            ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
            ae.add_supported_context(PatientRootQueryRetrieveInformationModelGet)
            for context in AllStoragePresentationContexts:
                ae.add_supported_context(
                    context.abstract_syntax, ALL_TRANSFER_SYNTAXES, scp_role=True, scu_role=False
                )
        for pair in sorted(
            {(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID) for _, ds in self.files}
        ):
            ae.add_requested_context(pair[0], pair[1])
        if self.known_calling is not None:
            ae.require_calling_aet = self.known_calling
        handlers = [
            (evt.EVT_C_FIND, self._find),
            (evt.EVT_C_GET, self._get),
            (evt.EVT_C_MOVE, self._move),
        ]
        self.server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
        self.port = self.server.server_address[1]
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server = None

    def _matching(self, identifier: Any) -> list[tuple[Path, Any]]:
        uid = identifier.get("StudyInstanceUID", "")
        sops = identifier.get("SOPInstanceUID", "") if "SOPInstanceUID" in identifier else ""
        wanted = set([sops] if isinstance(sops, str) else sops) - {""}
        return [
            (p, ds)
            for p, ds in self.files
            if (not uid or ds.StudyInstanceUID == uid)
            and (not wanted or ds.SOPInstanceUID in wanted)
        ]

    def _find(self, event: Any) -> Iterator[tuple[int, Any]]:
        from fnmatch import fnmatchcase

        from pydicom import Dataset

        query = event.identifier
        if query.get("QueryRetrieveLevel") == "IMAGE":
            for _, ds in self._matching(query):
                answer = Dataset()
                answer.QueryRetrieveLevel = "IMAGE"
                answer.StudyInstanceUID = ds.StudyInstanceUID
                answer.SeriesInstanceUID = ds.SeriesInstanceUID
                answer.SOPInstanceUID = ds.SOPInstanceUID
                yield 0xFF00, answer
            return
        studies: dict[str, list[Any]] = {}
        for _, ds in self._matching(query):
            studies.setdefault(ds.StudyInstanceUID, []).append(ds)
        wanted = str(query.get("PatientName", "") or "")
        for members in studies.values():
            first = members[0]
            if wanted and not fnmatchcase(str(first.PatientName), wanted):
                continue
            answer = Dataset()
            answer.SpecificCharacterSet = first.get("SpecificCharacterSet", "ISO_IR 100")
            answer.QueryRetrieveLevel = "STUDY"
            for keyword in (
                "StudyInstanceUID",
                "PatientName",
                "PatientID",
                "PatientBirthDate",
                "StudyDate",
                "AccessionNumber",
                "StudyDescription",
            ):
                setattr(answer, keyword, first.get(keyword, ""))
            answer.ModalitiesInStudy = sorted({m.Modality for m in members})
            answer.NumberOfStudyRelatedSeries = len({m.SeriesInstanceUID for m in members})
            answer.NumberOfStudyRelatedInstances = len(members)
            yield 0xFF00, answer

    def _instances(self, event: Any) -> Iterator[Any]:
        from pydicom import dcmread

        matching = self._matching(event.identifier)
        yield len(matching)
        for sent, (path, _) in enumerate(matching):
            if self.abort_after is not None and sent >= self.abort_after:
                event.assoc.abort()
                return
            yield 0xFF00, dcmread(path)

    def _get(self, event: Any) -> Iterator[Any]:
        yield from self._instances(event)

    def _move(self, event: Any) -> Iterator[Any]:
        destination = self.move_destinations.get(str(event.move_destination).strip())
        if destination is None:
            yield None, None
            return
        yield destination
        if not self.late_last:
            yield from self._instances(event)
            return
        matching = self._matching(event.identifier)
        yield len(matching) - 1
        for path, _ in matching[:-1]:
            yield 0xFF00, dcmread(path)
        threading.Timer(0.5, self._store_late, (destination, matching[-1][0])).start()

    def _store_late(self, destination: tuple[str, int], path: Path) -> None:
        """Send one instance after the C-MOVE has already answered success."""
        from pynetdicom import AE

        ds = dcmread(path)
        ae = AE(ae_title=self.ae_title)
        ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
        assoc = ae.associate(*destination)
        if assoc.is_established:
            assoc.send_c_store(ds)
            assoc.release()
