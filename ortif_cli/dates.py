"""Dates as people type them (dd/mm/yyyy or yyyy-mm-dd) and read them.

People read dd/mm/yyyy in French, yyyy-mm-dd in English. JSON and CSV always carry
ISO 8601 (see `ui.serialize`, `ui.rows`); `format_date` and `format_time` are for
tables, prompts and messages only. Times are shown in the local time zone.
"""

from __future__ import annotations

from datetime import date, datetime

from ortif_cli.errors import UsageError
from ortif_cli.i18n import _, current_language

FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
_SHOWN = {"fr": "%d/%m/%Y", "en": "%Y-%m-%d"}


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


def format_date(value: date | datetime | None) -> str:
    """`14/02/1970` (French) or `1970-02-14` (English); empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone() if value.tzinfo else value
    return value.strftime(_SHOWN[current_language()])


def format_time(value: datetime | None) -> str:
    """Date and local time to the minute: `26/11/2026 16:52` or `2026-11-26 16:52`."""
    if value is None:
        return ""
    local = value.astimezone() if value.tzinfo else value
    return local.strftime(_SHOWN[current_language()] + " %H:%M")
