"""The two consoles: data on stdout, everything else on stderr.

rich writes no colour codes when the stream is not a terminal or when NO_COLOR is set,
and `TransferProgress` draws only on a terminal: cron mail stays plain text.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console


def is_interactive() -> bool:
    """True when a person can answer prompts: stdin and stdout are terminals."""
    return sys.stdin.isatty() and sys.stdout.isatty()


PIPE_WIDTH = 1000


def data_console() -> Console:
    """stdout; off a terminal (a pipe, a cron log) tables keep their natural width."""
    width = None if sys.stdout.isatty() else PIPE_WIDTH
    return Console(highlight=False, soft_wrap=True, width=width)


@dataclass
class Output:
    """Where and how results and messages are written, per the global options."""

    json_mode: bool = False
    quiet: bool = False
    verbose: bool = False
    out: Console = field(default_factory=lambda: data_console())
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))

    def message(self, text: str) -> None:
        """A message for the person at the terminal (stderr), silenced by -q."""
        if not self.quiet:
            self.err.print(text)

    def warning(self, text: str) -> None:
        from rich.text import Text

        from ortif_cli.i18n import _

        line = Text(_("warning:"), style="yellow")
        line.append(f" {text}")
        self.err.print(line)

    def trace(self, line: str) -> None:
        """One line of the -v HTTP trace (already redacted), on stderr."""
        self.err.print(line, markup=False, highlight=False, style="dim", soft_wrap=True)

    def data(self, text: str) -> None:
        """A line of data on stdout (ids, tables...), never markup-interpreted."""
        self.out.print(text, markup=False)

    def emit_json(self, document: Any) -> None:
        """The one JSON document of a --json run."""
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()
