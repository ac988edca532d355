"""A small local PACS: a pynetdicom Query/Retrieve SCP serving the DICOM files of a folder.

It answers C-ECHO, C-FIND (Study and Patient Root), C-GET and C-MOVE on 127.0.0.1, and
is the PACS of `ortif demo`. Its options also simulate the PACS behaviours the
transfer engine must survive (refused C-GET, aborts, late C-MOVE arrivals), for tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydicom import dcmread

from ortif_cli.dicom.pacs import (
    PATIENT_ROOT_FIND,
    PATIENT_ROOT_GET,
    PATIENT_ROOT_MOVE,
    STUDY_ROOT_FIND,
    STUDY_ROOT_GET,
    STUDY_ROOT_MOVE,
)

VERIFICATION = "1.2.840.10008.1.1"


class LocalPacs:
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
        ae_title: str = "ORTIFPACS",
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
        self.sent: list[str] = []
        """SOP Instance UIDs sent by C-GET or C-MOVE, in order (tests count them)."""
        for path in sorted(root.rglob("*.dcm")):
            self.files.append((path, dcmread(path, stop_before_pixels=True)))
        self.server: Any = None
        self.port = 0

    def start(self) -> LocalPacs:
        from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt
        from pynetdicom.presentation import AllStoragePresentationContexts

        ae = AE(ae_title=self.ae_title)
        ae.maximum_pdu_size = 0
        ae.maximum_associations = self.max_associations
        for sop_class in self._query_retrieve_classes():
            ae.add_supported_context(sop_class)
        if self.get:
            for context in AllStoragePresentationContexts:
                assert context.abstract_syntax is not None
                ae.add_supported_context(
                    context.abstract_syntax, ALL_TRANSFER_SYNTAXES, scp_role=True, scu_role=False
                )
        for pair in sorted(
            {(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID) for _, ds in self.files}
        ):
            ae.add_requested_context(pair[0], pair[1])
        if self.known_calling is not None:
            ae.require_calling_aet = self.known_calling
        handlers: list[Any] = [
            (evt.EVT_C_FIND, self._find),
            (evt.EVT_C_GET, self._get),
            (evt.EVT_C_MOVE, self._move),
        ]
        self.server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
        self.port = self.server.server_address[1]
        return self

    def _query_retrieve_classes(self) -> list[str]:
        classes = [VERIFICATION, PATIENT_ROOT_FIND, PATIENT_ROOT_MOVE]
        if self.study_root:
            classes += [STUDY_ROOT_FIND, STUDY_ROOT_MOVE]
        if self.get:
            classes += [STUDY_ROOT_GET, PATIENT_ROOT_GET]
        return classes

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server = None

    def _matching(self, identifier: Any) -> list[tuple[Path, Any]]:
        study = _uids(identifier, "StudyInstanceUID")
        series = _uids(identifier, "SeriesInstanceUID")
        sops = _uids(identifier, "SOPInstanceUID")
        return [
            (p, ds)
            for p, ds in self.files
            if (not study or ds.StudyInstanceUID in study)
            and (not series or ds.SeriesInstanceUID in series)
            and (not sops or ds.SOPInstanceUID in sops)
        ]

    def _find(self, event: Any) -> Iterator[tuple[int, Any]]:
        from fnmatch import fnmatchcase

        from pydicom import Dataset

        query = event.identifier
        if query.get("QueryRetrieveLevel") == "IMAGE":
            for _, ds in self._matching(query):
                answer = Dataset()
                answer.QueryRetrieveLevel = "IMAGE"
                for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
                    setattr(answer, keyword, ds.get(keyword))
                answer.InstanceNumber = ds.get("InstanceNumber", "")
                yield 0xFF00, answer
            return
        if query.get("QueryRetrieveLevel") == "SERIES":
            yield from self._find_series(query)
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

    def _find_series(self, query: Any) -> Iterator[tuple[int, Any]]:
        from pydicom import Dataset

        series: dict[str, list[Any]] = {}
        for _, ds in self._matching(query):
            series.setdefault(ds.SeriesInstanceUID, []).append(ds)
        for members in series.values():
            first = members[0]
            answer = Dataset()
            answer.SpecificCharacterSet = first.get("SpecificCharacterSet", "ISO_IR 100")
            answer.QueryRetrieveLevel = "SERIES"
            for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "Modality"):
                setattr(answer, keyword, first.get(keyword, ""))
            answer.SeriesNumber = first.get("SeriesNumber", "")
            answer.SeriesDescription = first.get("SeriesDescription", "")
            answer.NumberOfSeriesRelatedInstances = len(members)
            yield 0xFF00, answer

    def _instances(self, event: Any) -> Iterator[Any]:
        from pydicom import dcmread

        matching = self._matching(event.identifier)
        yield len(matching)
        for sent, (path, header) in enumerate(matching):
            if self.abort_after is not None and sent >= self.abort_after:
                event.assoc.abort()
                return
            self.sent.append(str(header.SOPInstanceUID))
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


def _uids(identifier: Any, keyword: str) -> set[str]:
    """The UIDs a request names for `keyword` (a single one, or a list), none if absent."""
    value = identifier.get(keyword, "") if keyword in identifier else ""
    return set([value] if isinstance(value, str) else value) - {""}
