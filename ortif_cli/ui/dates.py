"""Dates and times for people: dd/mm/yyyy in French, yyyy-mm-dd in English.

JSON and CSV always carry ISO 8601 (see `ui.serialize`, `ui.rows`); these are for tables
and messages only. Times are shown in the local time zone.
"""

from __future__ import annotations

from datetime import date, datetime

from ortif_cli.i18n import current_language

_DATE = {"fr": "%d/%m/%Y", "en": "%Y-%m-%d"}


def format_date(value: date | datetime | None) -> str:
    """`14/02/1970` (French) or `1970-02-14` (English); empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone() if value.tzinfo else value
    return value.strftime(_DATE[current_language()])


def format_time(value: datetime | None) -> str:
    """Date and local time to the minute: `26/11/2026 16:52` or `2026-11-26 16:52`."""
    if value is None:
        return ""
    local = value.astimezone() if value.tzinfo else value
    return local.strftime(_DATE[current_language()] + " %H:%M")
