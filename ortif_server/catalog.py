"""Records received instances, study summaries and uploaders, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ortif_server import audit
from ortif_server.caller import Caller
from ortif_server.dicom_header import InstanceHeader
from ortif_server.ingest import DIFFERENT_BYTES, PartOutcome
from ortif_server.models import Instance, Study, StudyUpload
from ortif_server.textsearch import search_key
from ortif_server.visibility import visible_study_uids

log = logging.getLogger(__name__)


def stored_digest(session: Session, sop_instance_uid: str) -> str | None:
    """The SHA-256 of the instance stored under this SOP Instance UID, if any."""
    return session.scalar(
        select(Instance.sha256).where(Instance.sop_instance_uid == sop_instance_uid)
    )


def may_add_to(session: Session, caller: Caller, study_uid: str) -> bool:
    """True if the study is new to the platform or the caller may see it."""
    exists = select(Study.study_instance_uid).where(Study.study_instance_uid == study_uid)
    if session.scalar(exists) is None:
        return True
    visible = exists.where(Study.study_instance_uid.in_(visible_study_uids(caller)))
    return session.scalar(visible) is not None


RACE_ATTEMPTS = 5


def record_outcomes(session: Session, caller: Caller, outcomes: Sequence[PartOutcome]) -> None:
    """Insert the rows of stored instances. When a concurrent upload (another request, or
    another server process) inserted some of them, or the same study, first, the unique
    constraints refuse the transaction: re-check which instances are now present and try
    again, so that each instance is stored once and counted once."""
    for attempt in range(RACE_ATTEMPTS):
        try:
            _insert(session, caller, outcomes)
            return
        except IntegrityError:
            session.rollback()
            if attempt == RACE_ATTEMPTS - 1:
                raise
            log.info("Concurrent upload of the same instances; re-checking")
            _recheck(session, outcomes)


def _recheck(session: Session, outcomes: Sequence[PartOutcome]) -> None:
    for outcome in outcomes:
        if outcome.status != "stored" or outcome.sop_instance_uid is None:
            continue
        digest = stored_digest(session, outcome.sop_instance_uid)
        if digest == outcome.sha256:
            outcome.status = "already_present"
        elif digest is not None:
            outcome.status, outcome.reason = "refused", DIFFERENT_BYTES


def _insert(session: Session, caller: Caller, outcomes: Sequence[PartOutcome]) -> None:
    accepted = [o for o in outcomes if o.status != "refused" and o.header is not None]
    stored = [o for o in accepted if o.status == "stored"]
    _add_to_studies(session, stored)
    session.add_all(_instance_row(outcome, caller) for outcome in stored)
    for study_uid in {o.study_instance_uid for o in accepted}:
        assert study_uid is not None
        _record_upload(session, caller, study_uid)
        audit.record(session, caller, "store", ("exam", study_uid), None)
    session.commit()


def _record_upload(session: Session, caller: Caller, study_uid: str) -> None:
    user_id, invitation_id = caller.token.user_id, caller.token.invitation_id
    known = session.scalar(
        select(StudyUpload.id).where(
            StudyUpload.study_instance_uid == study_uid,
            StudyUpload.user_id.is_(None) if user_id is None else StudyUpload.user_id == user_id,
            StudyUpload.invitation_id.is_(None)
            if invitation_id is None
            else StudyUpload.invitation_id == invitation_id,
        )
    )
    if known is None:
        row = StudyUpload(
            study_instance_uid=study_uid, user_id=user_id, invitation_id=invitation_id
        )
        session.add(row)


def _add_to_studies(session: Session, stored: Sequence[PartOutcome]) -> None:
    """Create missing study summaries, then add the new instances' counts and bytes.

    The counters are incremented by the database (`count = count + n`), so concurrent
    uploads into one study never lose each other's counts.
    """
    added: dict[str, tuple[int, int]] = {}
    for outcome in stored:
        header = outcome.header
        assert header is not None
        _merge_modality(session, header)
        count, size = added.get(header.study_instance_uid, (0, 0))
        added[header.study_instance_uid] = (count + 1, size + outcome.size)
    session.flush()
    for study_uid, (count, size) in added.items():
        session.execute(
            update(Study)
            .where(Study.study_instance_uid == study_uid)
            .values(
                instance_count=Study.instance_count + count,
                size_bytes=Study.size_bytes + size,
            )
        )


def _merge_modality(session: Session, header: InstanceHeader) -> None:
    study = session.get(Study, header.study_instance_uid)
    if study is None:
        study = _new_study(header)
        session.add(study)
    modalities = set(filter(None, study.modalities.split("\\"))) | {header.modality or ""}
    study.modalities = "\\".join(sorted(m for m in modalities if m))


def _new_study(header: InstanceHeader) -> Study:
    return Study(
        study_instance_uid=header.study_instance_uid,
        patient_name=header.patient_name,
        patient_name_key=search_key(header.patient_name.replace("^", " ")),
        patient_id=header.patient_id,
        patient_birth_date=header.patient_birth_date,
        study_date=header.study_date,
        study_description=header.study_description,
        study_time=header.study_time,
        accession_number=header.accession_number,
        modalities="",
        instance_count=0,
        size_bytes=0,
    )


def _instance_row(outcome: PartOutcome, caller: Caller) -> Instance:
    header = outcome.header
    assert header is not None
    return Instance(
        sop_instance_uid=header.sop_instance_uid,
        study_instance_uid=header.study_instance_uid,
        series_instance_uid=header.series_instance_uid,
        sop_class_uid=header.sop_class_uid,
        transfer_syntax_uid=header.transfer_syntax_uid,
        series_description=header.series_description,
        series_number=header.series_number,
        modality=header.modality,
        instance_number=header.instance_number,
        rows=header.rows,
        columns=header.columns,
        number_of_frames=header.number_of_frames,
        size_bytes=outcome.size,
        sha256=outcome.sha256,
        uploaded_by_id=caller.token.user_id,
        uploaded_by_invitation_id=caller.token.invitation_id,
    )
