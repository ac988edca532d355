"""Driving `ortif` at a real pseudo-terminal (pexpect), patiently.

Every wait is on a condition, with a limit generous enough for a loaded 2-core machine
(`PATIENCE`): a text on the screen, the prompt holding the terminal, the end of the
process. Nothing sleeps for a fixed time.
"""

from __future__ import annotations

import io
import os
import re
import sys
import termios
import time
from collections.abc import Mapping

import pexpect

from tests.conftest import PATIENCE

DOWN, ENTER, CTRL_C, CTRL_U = "\x1b[B", "\r", "\x03", "\x15"
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
LANGUAGE_VARIABLES = ("ORTIF_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def spawn_ortif(*args: str, language: str = "en", env: Mapping[str, str] = {}) -> pexpect.spawn:
    """`python -m ortif_cli ARGS` at a 200-column terminal, everything it shows kept."""
    clean = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARIABLES}
    chosen = {"LANG": "fr_FR.UTF-8"} if language == "fr" else {"LANG": "C.UTF-8"}
    terminal = {"PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "NO_COLOR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ortif_cli", *args],
        env={**clean, **chosen, **terminal, **env},
        encoding="utf-8",
        timeout=PATIENCE,
        dimensions=(50, 200),
    )
    child.logfile_read = io.StringIO()
    return child


def screen(child: pexpect.spawn) -> str:
    """Everything the process has shown so far, without the terminal's control sequences."""
    shown: io.StringIO = child.logfile_read
    return CONTROL.sub("", shown.getvalue())


def answer(child: pexpect.spawn, question: str, *keys: str) -> None:
    """Wait for `question`, then for its prompt to hold the terminal, then type `keys`."""
    child.expect_exact(question)
    if keys:
        wait_for_raw_mode(child)
    for key in keys:
        child.send(key)


def wait_for_raw_mode(child: pexpect.spawn) -> None:
    """Until the terminal reads key by key (a prompt is listening), not line by line."""
    deadline = time.monotonic() + PATIENCE
    while termios.tcgetattr(child.child_fd)[3] & termios.ICANON:
        assert time.monotonic() < deadline, "no prompt took the terminal"
        time.sleep(0.02)  # the poll's pace; the wait is for the condition above


def finish(child: pexpect.spawn) -> int:
    """The exit status, once the process has ended."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.signalstatus
    return int(child.exitstatus)
