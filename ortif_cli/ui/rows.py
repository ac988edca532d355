"""One renderer for every command that lists rows: table, --csv, --json or -q.

A list command describes its columns once and hands its rows over:

    from ortif_cli.ui.rows import Column, RowFormat, render_rows

    COLUMNS = [
        Column("id", _("id"), lambda d: d.id),
        Column("status", _("status"), lambda d: d.status),
        Column("created_at", _("created"), lambda d: d.created_at),   # a datetime
    ]

    render_rows(
        app_.output,
        COLUMNS,
        page.items,
        row_format=RowFormat.pick(app_.output, csv),   # csv: the command's --csv flag
        json_document={"items": to_json(page.items), "total": page.total},
        row_id=lambda d: d.id,
        empty=_("No dossiers."),
    )

- `Column(key, header, value, shown=None)`: `key` is the CSV header (snake_case, stable
  like the JSON keys), `header` the translated table heading, `value(row)` the cell: str,
  int, float, bool, date, datetime or None. `shown(row)`, if given, is the table's text
  instead (a translated status, say), while CSV keeps `value`.
- Table (the default): a rich table on stdout; dates as `dates.format_date`
  (dd/mm/yyyy in French, yyyy-mm-dd in English), datetimes as `format_time` (local time),
  None as empty, text never markup-interpreted. `empty` (if given) goes to stderr
  when there are no rows, and no table is drawn.
- `--csv` (RowFormat.CSV): RFC 4180 CSV on stdout, a header line of keys then one line
  per row; dates and times in ISO 8601, None empty, booleans `true`/`false`.
- `--json` (RowFormat.JSON): `json_document` printed as is (the command's documented
  schema), so the rows' JSON is not derived from the columns.
- `-q` (RowFormat.IDS): `row_id(row)` one per line, nothing else.

`RowFormat.pick(output, csv)` chooses, and refuses `--csv` together with `--json` (exit 2).
The `--csv` option itself: `CsvOption` in `ortif_cli.cli.context`.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from ortif_cli.dates import format_date, format_time
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _
from ortif_cli.ui.console import Output

Row = TypeVar("Row")
Cell = str | int | float | bool | date | datetime | None


@dataclass(frozen=True)
class Column(Generic[Row]):
    key: str
    header: str
    value: Callable[[Row], Cell]
    shown: Callable[[Row], str] | None = None

    def table_text(self, row: Row) -> str:
        return self.shown(row) if self.shown else table_cell(self.value(row))


UNBROKEN = 10


class RowFormat(Enum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    IDS = "ids"

    @classmethod
    def pick(cls, output: Output, csv: bool = False) -> RowFormat:
        if csv and output.json_mode:
            raise UsageError(_("--csv and --json cannot be used together."))
        if output.json_mode:
            return cls.JSON
        if csv:
            return cls.CSV
        return cls.IDS if output.quiet else cls.TABLE


def render_rows(
    output: Output,
    columns: Sequence[Column[Row]],
    rows: Sequence[Row],
    *,
    row_format: RowFormat,
    json_document: Any,
    row_id: Callable[[Row], object],
    empty: str | None = None,
) -> None:
    """Print `rows` in `row_format` (see the module's docstring)."""
    if row_format is RowFormat.JSON:
        output.emit_json(json_document)
    elif row_format is RowFormat.IDS:
        for row in rows:
            output.data(str(row_id(row)))
    elif row_format is RowFormat.CSV:
        write_csv(columns, rows)
    elif not rows and empty:
        output.message(empty)
    else:
        output.out.print(table(columns, rows))


def write_csv(columns: Sequence[Column[Row]], rows: Sequence[Row]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\r\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([csv_cell(c.value(row)) for c in columns])
    sys.stdout.flush()


def csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def table_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def table(columns: Sequence[Column[Row]], rows: Sequence[Row]) -> Any:
    """The rich Table of `rows` (for callers that print it themselves).

    A value too long for its column folds onto the next line: a patient's name or a
    study UID is never cut short behind an ellipsis; values of up to UNBROKEN characters
    (dates, identifiers, counts) are never broken.
    """
    from rich.table import Column as TableColumn
    from rich.table import Table
    from rich.text import Text

    cells = [[c.table_text(row) for c in columns] for row in rows]
    widths = [
        min(UNBROKEN, max((len(r[i]) for r in cells), default=0)) for i in range(len(columns))
    ]
    headers = [TableColumn(c.header, overflow="fold") for c in columns]
    for header, width in zip(headers, widths, strict=True):
        header.min_width = width
    grid = Table(*headers, box=None)
    for row_cells in cells:
        grid.add_row(*map(Text, row_cells))
    return grid
