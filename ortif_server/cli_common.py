"""Options and error exit shared by the `ortif-server` command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataOption = Annotated[Path, typer.Option("--data", help="Data directory (database, blobs).")]
DatabaseOption = Annotated[
    str | None, typer.Option("--database", help="Database URL (default: SQLite in --data).")
]


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"ortif-server: error: {message}", err=True)
    return typer.Exit(code)
