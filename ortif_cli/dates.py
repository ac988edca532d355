"""Dates as people type them: dd/mm/yyyy or yyyy-mm-dd."""

from __future__ import annotations

from datetime import date, datetime

from ortif_cli.errors import UsageError
from ortif_cli.i18n import _

FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def parse_date(text: str, flag: str) -> date:
    for pattern in FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise UsageError(
        _("{flag} {text!r} is not a date.").format(flag=flag, text=text),
        hint=_("Write it as dd/mm/yyyy or yyyy-mm-dd."),
    )
