"""The download progress display of `dossier pull`, on a terminal only."""

from __future__ import annotations

from types import TracebackType

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


class DownloadProgress:
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
        )
        self._task: TaskID | None = None

    def __enter__(self) -> DownloadProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def start(self, files: int, size: int) -> None:
        label = ngettext("Downloading {n} file", "Downloading {n} files", files).format(n=files)
        self._task = self._progress.add_task(label, total=size)

    def advance(self, size: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, size)
