"""The transfer progress display: instances, MB, MB/s and ETA, on a terminal only."""

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


class TransferProgress:
    """A TransferObserver that draws a rich progress bar on stderr when it is a terminal."""

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

    def __enter__(self) -> TransferProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def uploading(self, instances: int, size: int) -> None:
        # size 0: not known in advance (a PACS study): bytes and speed, no bar or ETA
        label = ngettext("Uploading {n} image", "Uploading {n} images", instances)
        self._task = self._progress.add_task(label.format(n=instances), total=size or None)

    def advanced(self, size: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, size)
