"""Excel export of a selection of warnings (the inbox's filters), in the house style of
`ledger.export_xlsx`: write-only workbook, bold shaded header, frozen first row, China times,
text that looks like a formula written as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import IO, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tenderwatch.core import timeutil
from tenderwatch.core.timeutil import CHINA
from tenderwatch.screening.models import Warning

CHUNK = 1000


def _columns() -> list[tuple[str, int]]:
    return [
        (_("Warning number"), 16),
        (_("Rule"), 12),
        (_("Title"), 30),
        (_("Severity"), 8),
        (_("Status"), 10),
        (_("Project code"), 18),
        (_("Project name"), 36),
        (_("Lot"), 18),
        (_("Competent department"), 22),
        (_("Assigned to"), 22),
        (_("Explanation"), 60),
        (_("Legal basis"), 36),
        (_("Raised at"), 18),
        (_("Handle by"), 12),
        (_("Overdue"), 8),
        (_("Occurrences"), 8),
        (_("Outcome"), 10),
        (_("Action or reason"), 40),
    ]


def _moment(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(CHINA).replace(tzinfo=None, microsecond=0) if value else None


def _row(w: Warning, now: dt.datetime) -> list[Any]:
    if w.outcome == "confirmed":
        detail = f"{w.get_confirm_action_display()}：{w.decision.get('reason', '')}"
    elif w.outcome == "dismissed":
        detail = f"{w.get_dismissal_category_display()}：{w.dismissal_reason}"
    else:
        detail = ""
    return [
        w.reference,
        w.rule_id,
        w.title,
        w.get_severity_display(),
        w.get_status_display(),
        w.subject_code,
        w.subject_name,
        (w.lot.number or w.lot.external_id) if w.lot else "",
        str(w.competent_department or _("the office coordinates")),
        str(w.assigned_department or ""),
        w.explanation,
        w.legal_basis_text,
        _moment(w.created_at),
        w.due_on,
        _("Yes") if w.is_overdue(now) else "",
        w.occurrences,
        w.get_outcome_display(),
        detail,
    ]


def write(warnings: QuerySet[Warning], out: IO[bytes]) -> int:
    """Write the selection to `out` as .xlsx; the number of warnings written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(_("Warnings"))
    columns = _columns()
    for i, (_title, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    header = []
    for title, _width in columns:
        cell = WriteOnlyCell(ws, value=title)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    ws.append(header)
    now = timeutil.now()
    count = 0
    rows: Iterable[Warning] = warnings.select_related(
        "project", "approved_project", "lot", "competent_department", "assigned_department"
    ).iterator(chunk_size=CHUNK)
    for w in rows:
        cells: list[Any] = []
        for value in _row(w, now):
            if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
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
