"""Progress displays of uploads and downloads: MB, MB/s and ETA, on a terminal only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TypeVar

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ortif_cli.i18n import ngettext
from ortif_cli.ui.console import Output

P = TypeVar("P", bound="ByteProgress")


class ByteProgress:
    """A rich progress bar of bytes (MB, MB/s, ETA) on stderr, on a terminal and without -q."""

    def __init__(self, output: Output) -> None:
        enabled = output.err.is_terminal and not output.quiet
        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(binary_units=False),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=output.err,
            disable=not enabled,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self: P) -> P:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop drawing while a prompt has the terminal."""
        self._progress.stop()
        try:
            yield
        finally:
            self._progress.start()

    def begin(self, label: str, size: int) -> None:
        """A new bar; size 0 means not known in advance: bytes and speed, no bar or ETA."""
        self._task = self._progress.add_task(label, total=size or None)

    def advance(self, size: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, size)


class TransferProgress(ByteProgress):
    """The TransferObserver of uploads (a PACS study's size is not known in advance)."""

    def uploading(self, instances: int, size: int) -> None:
        label = ngettext("Uploading {n} image", "Uploading {n} images", instances)
        self.begin(label.format(n=instances), size)

    def advanced(self, size: int) -> None:
        self.advance(size)


class DownloadProgress(ByteProgress):
    """The progress of `dossier pull`."""

    def start(self, files: int, size: int) -> None:
        label = ngettext("Downloading {n} file", "Downloading {n} files", files)
        self.begin(label.format(n=files), size)
