"""Content-addressed blob store: DATA/blobs/ab/cd/<sha256>, written atomically."""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

WRITE_BUFFER = 1 << 20
SYNC_WORKERS = 8


def temp_prefix() -> str:
    """Temporary files start with the host's name: hosts sharing DATA each clean their own."""
    return f"{socket.gethostname()}."


class TempBlob:
    """A file being received into DATA/tmp, hashed as it is written."""

    def __init__(self, tmp_dir: Path) -> None:
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=temp_prefix(), suffix=".part")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb", buffering=WRITE_BUFFER)
        self._fd: int | None = None  # after `finish`: the file, without its write buffer
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def finish(self) -> str:
        """Flush what was written (readable by path) and return its SHA-256. The write
        buffer is freed now: a request may hold many finished parts waiting for fsync."""
        self._file.flush()
        self._fd = os.dup(self._file.fileno())
        self._file.close()
        return self._hash.hexdigest()

    def sync_and_close(self) -> None:
        """fsync a finished file, then close it."""
        assert self._fd is not None, "finish() first"
        os.fsync(self._fd)
        self._close_fd()

    def discard(self) -> None:
        self._file.close()
        self._close_fd()
        self.path.unlink(missing_ok=True)

    def _close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class BlobStore:
    def __init__(self, blobs_dir: Path, tmp_dir: Path) -> None:
        self.blobs_dir = blobs_dir
        self.tmp_dir = tmp_dir
        self._syncer = ThreadPoolExecutor(SYNC_WORKERS, thread_name_prefix="blob-sync")

    def path_for(self, sha256: str) -> Path:
        return self.blobs_dir / sha256[:2] / sha256[2:4] / sha256

    def open_temp(self) -> TempBlob:
        return TempBlob(self.tmp_dir)

    def keep(self, temp: TempBlob, sha256: str) -> Path:
        """Move a finished temp file into place (after fsync); return its directory."""
        target = self.path_for(sha256)
        if target.exists():
            temp.discard()
            return target.parent
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.sync_and_close()
        os.replace(temp.path, target)
        return target.parent

    def keep_later(self, temp: TempBlob, sha256: str) -> Future[Path]:
        """`keep` in a worker thread, so that the fsyncs of many small files overlap."""
        return self._syncer.submit(self.keep, temp, sha256)

    @staticmethod
    def sync_dirs(directories: Iterable[Path]) -> None:
        """fsync directories so that the renames into them survive a crash."""
        for directory in directories:
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
