"""Excel export of a selection of warnings (the inbox's filters), written by
`core.xlsx.write_sheet` (write-only workbook, bold shaded header, frozen first row, China times,
text that looks like a formula written as text)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import IO, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tenderwatch.core import timeutil
from tenderwatch.core.xlsx import china_naive, write_sheet
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
        china_naive(w.created_at),
        w.due_on,
        _("Yes") if w.is_overdue(now) else "",
        w.occurrences,
        w.get_outcome_display(),
        detail,
    ]


def write(warnings: QuerySet[Warning], out: IO[bytes]) -> int:
    """Write the selection to `out` as .xlsx; the number of warnings written."""
    now = timeutil.now()
    rows: Iterable[Warning] = warnings.select_related(
        "project", "approved_project", "lot", "competent_department", "assigned_department"
    ).iterator(chunk_size=CHUNK)
    return write_sheet(_("Warnings"), _columns(), (_row(w, now) for w in rows), out)
