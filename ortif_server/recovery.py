"""Start-up recovery: what a crashed server (SIGKILL, power loss) may have left behind.

Uploads are streamed into DATA/tmp and renamed into DATA/blobs only once complete and
fsynced, and rows are committed only after the rename. So a crash leaves at most
temporary files (removed here) and complete blobs no row points to yet (harmless: the
next upload of the same bytes finds them in place).
"""

from __future__ import annotations

import glob
import logging
from pathlib import Path

from ortif_server.config import ServerSettings
from ortif_server.db import check_schema_current, create_db_engine
from ortif_server.store import temp_prefix

log = logging.getLogger(__name__)


def clean_temporary_files(tmp_dir: Path) -> int:
    """Remove every file this host left in `tmp_dir` in an interrupted upload (the files of
    other hosts sharing the data directory may be uploads in progress); return how many."""
    if not tmp_dir.is_dir():
        return 0
    removed = 0
    for path in tmp_dir.glob(f"{glob.escape(temp_prefix())}*"):
        if path.is_file() or path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("Removed %d temporary file(s) left by an interrupted upload", removed)
    return removed


def prepare_to_serve(settings: ServerSettings) -> None:
    """Refuse a database whose schema is behind (SchemaError), then clean DATA/tmp."""
    engine = create_db_engine(settings.effective_database_url)
    try:
        check_schema_current(engine)
    finally:
        engine.dispose()
    clean_temporary_files(settings.tmp_dir)
