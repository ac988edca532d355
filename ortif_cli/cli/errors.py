"""The one place where failures become messages on stderr and the contract's exit codes."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from ortif_cli.errors import (
    AuthError,
    ConnectionFailure,
    ForbiddenError,
    NotFoundError,
    OrtifError,
    PartialTransfer,
    RuleError,
    UsageError,
)
from ortif_cli.i18n import _
from ortif_cli.ui.console import Output

EXIT_CODES: list[tuple[type[OrtifError], int]] = [
    (UsageError, 2),
    (AuthError, 3),
    (ForbiddenError, 4),
    (NotFoundError, 5),
    (RuleError, 6),
    (ConnectionFailure, 7),
    (PartialTransfer, 8),
]
EXIT_BUG = 1
EXIT_INTERRUPTED = 130
REPORT_URL = "https://github.com/ortif/ortif/issues"

F = TypeVar("F", bound=Callable[..., Any])


def exit_code_for(error: OrtifError) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return EXIT_BUG


def report(output: Output, error: BaseException) -> int:
    """Print what went wrong on stderr and return the exit code.

    The prefixes `ortif: error:` and `hint:` stay the same in every language (scripts grep
    them); the sentences after them are translated."""
    err = output.err
    if isinstance(error, OrtifError):
        # _(): a message kept in an N_() constant is translated here, when shown
        err.print(f"ortif: error: {_(error.message)}", markup=False, highlight=False)
        if error.hint:
            err.print(f"hint: {_(error.hint)}", markup=False, highlight=False)
        return exit_code_for(error)
    if isinstance(error, KeyboardInterrupt):
        interrupted = _("interrupted.")
        err.print(f"ortif: {interrupted}", markup=False, highlight=False)
        return EXIT_INTERRUPTED
    if output.verbose:
        err.print("".join(traceback.format_exception(error)), markup=False, highlight=False)
    message = _("unexpected failure ({kind}). This is a bug.").format(kind=type(error).__name__)
    err.print(f"ortif: error: {message}", markup=False, highlight=False)
    hint = _("please report it at {url} (run again with -v for details).").format(url=REPORT_URL)
    if output.verbose:
        hint = _("please report it at {url}, with the lines above.").format(url=REPORT_URL)
    err.print(f"hint: {hint}", markup=False, highlight=False)
    return EXIT_BUG


def guarded(command: F) -> F:
    """Wrap a command so that every failure goes through `report`."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = kwargs.get("ctx")
        output = ctx.obj.output if ctx is not None and ctx.obj is not None else Output()
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (Exception, KeyboardInterrupt) as error:
            raise typer.Exit(report(output, error)) from None

    return wrapper  # type: ignore[return-value]


class OrtifTyper(typer.Typer):
    """A Typer whose commands all report errors the same way."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        register = super().command(*args, **kwargs)

        def decorator(function: F) -> F:
            register(guarded(function))
            return function

        return decorator
