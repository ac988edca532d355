"""Rows, Columns and Number of Frames of instances stored before they were recorded
(migration 0004): read once from the stored file when a search first returns them."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from ortif_server.dicom_header import RefusedFile, read_header
from ortif_server.models import Instance
from ortif_server.store import BlobStore

log = logging.getLogger(__name__)


def fill_missing(session: Session, store: BlobStore, rows: Sequence[Instance]) -> None:
    missing = [row for row in rows if row.number_of_frames is None]
    for row in missing:
        try:
            header = read_header(store.path_for(row.sha256), row.size_bytes)
        except (RefusedFile, OSError) as exc:
            log.warning("Cannot read the stored file of instance %s: %s", row.id, exc)
            continue
        row.rows, row.columns = header.rows, header.columns
        row.number_of_frames = header.number_of_frames
    if missing:
        session.commit()
