"""One sheet of a list, as officers get it in Excel: a write-only workbook (memory stays flat
whatever the number of rows), a bold shaded header, the first row frozen, dates and times as
Excel dates, and text that Excel would take for a formula (=, +, -, @) written as text.

    count = write_sheet(_("Warnings"), [(_("Rule"), 12), …], (row_values(w) for w in rows), out)

Times must already be naive China times (`china_naive`): Excel has no time zones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import IO, Any

from tenderwatch.core.timeutil import CHINA

FORMULA_STARTS = ("=", "+", "-", "@")


def china_naive(value: dt.datetime | None) -> dt.datetime | None:
    """An aware time as the naive China time Excel shows (seconds kept, microseconds dropped)."""
    return value.astimezone(CHINA).replace(tzinfo=None, microsecond=0) if value else None


def write_sheet(
    title: str,
    columns: Sequence[tuple[str, int]],
    rows: Iterable[Sequence[Any]],
    out: IO[bytes],
) -> int:
    """Write `rows` under the `columns` (header, width) to `out` as .xlsx; the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title)
    for i, (_header, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    header = []
    for name, _width in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    ws.append(header)
    count = 0
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"  # text, never a formula
                cells.append(cell)
            elif isinstance(value, dt.datetime):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm"
                cells.append(cell)
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=dt.datetime.combine(value, dt.time()))
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
        count += 1
    workbook.save(out)
    return count
