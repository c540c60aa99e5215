"""Excel export of the matters list (its filters), written by `core.xlsx.write_sheet`. The filer
appears masked only."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any

from django.utils.translation import gettext as _

from tenderwatch.complaints import clocks, selectors
from tenderwatch.complaints.models import Matter
from tenderwatch.core import timeutil
from tenderwatch.core.xlsx import china_naive, write_sheet

CHUNK = 500


def _columns() -> list[tuple[str, int]]:
    return [
        (_("Number"), 16),
        (_("Kind"), 10),
        (_("Channel"), 12),
        (_("Received"), 18),
        (_("Status"), 22),
        (_("Routing"), 14),
        (_("Department"), 22),
        (_("Project"), 36),
        (_("Respondent"), 30),
        (_("Filer"), 16),
        (_("About"), 24),
        (_("Next deadline"), 24),
        (_("Due"), 12),
        (_("Overdue"), 8),
        (_("Closed"), 18),
    ]


def _row(m: Matter, now: dt.datetime) -> list[Any]:
    d = selectors.next_deadline(m)
    cd = clocks.countdown(d, now=now) if d is not None else None
    return [
        m.number,
        m.get_kind_display(),
        m.get_channel_display(),
        china_naive(m.received_at),
        m.get_status_display(),
        m.get_routing_display() if m.routing else "",
        str(m.department or _("the office coordinates")),
        m.project_text,
        m.respondent_name,
        m.filer_mask,
        m.get_subject_display(),
        d.get_clock_display() if d else "",
        d.due_on if d else None,
        _("Yes") if cd and cd.overdue else "",
        china_naive(m.closed_at),
    ]


def write(matters: Any, out: IO[bytes]) -> int:
    """Write the matters to `out` as .xlsx; the number written."""
    now = timeutil.now()
    return write_sheet(
        _("Complaints and tip-offs"), _columns(), (_row(m, now) for m in matters), out
    )
