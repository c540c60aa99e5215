"""Reads of the working-day calendar. The calendar is not scoped: every staff role reads it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from tenderwatch.core import timeutil
from tenderwatch.workdays import calendar
from tenderwatch.workdays.models import DayKind, HolidaySchedule, ScheduleRevision

LOOKAHEAD_DAYS = 90
# From this day on (1 October), the next year's schedule is expected: the State Council usually
# publishes it in October or November, and deadlines start to reach into the next year.
NEXT_YEAR_FROM = (10, 1)


def coverage_warnings(today: dt.date | None = None) -> list[str]:
    """Warnings for the office dashboard about schedules that are missing.

    - a date in the next 90 days lies in a year with no schedule (including the last days of
      December, which need the next year's New-Year arrangement: see `calendar`);
    - from 1 October, next year's schedule is not entered yet (with the December spill-over
      the first rule already warns from 26 September; this one stays should that change).
    """
    today = today or timeutil.china_date()
    covered = set(HolidaySchedule.objects.values_list("year", flat=True))
    horizon = today + dt.timedelta(days=LOOKAHEAD_DAYS)
    needed = calendar.required_years(today, horizon)
    if (today.month, today.day) >= NEXT_YEAR_FROM:
        needed.add(today.year + 1)
    warnings: list[str] = []
    for year in sorted(needed - covered):
        # A year's schedule is first needed from 25 December before it, as a New-Year
        # arrangement may reach back into December (calendar.SPILLOVER_FROM).
        first_needed = max(today, dt.date(year - 1, *calendar.SPILLOVER_FROM))
        warnings.append(
            _(
                "No holiday schedule for %(year)s: deadlines that reach %(date)s or later cannot "
                "be computed. Enter the State Council General Office's notice for %(year)s."
            )
            % {"year": year, "date": first_needed.isoformat()}
        )
    return warnings


def schedules_overview() -> QuerySet[HolidaySchedule]:
    return (
        HolidaySchedule.objects.select_related("entered_by")
        .annotate(
            holiday_count=Count("days", filter=Q(days__kind=DayKind.HOLIDAY)),
            workday_count=Count("days", filter=Q(days__kind=DayKind.ADJUSTED_WORKDAY)),
            revision_count=Count("revisions", distinct=True),
        )
        .order_by("-year")
    )


def schedule_of(year: int) -> HolidaySchedule | None:
    return HolidaySchedule.objects.select_related("entered_by").filter(year=year).first()


def days_of(schedule: HolidaySchedule) -> list[tuple[dt.date, str, str]]:
    return list(schedule.days.order_by("date").values_list("date", "kind", "name"))


def revisions_of(year: int) -> QuerySet[ScheduleRevision]:
    return ScheduleRevision.objects.select_related("replaced_by").filter(year=year)


@dataclass(frozen=True)
class DayChange:
    date: dt.date
    before: tuple[str, str] | None  # (kind, name)
    after: tuple[str, str] | None


def diff(
    old: list[tuple[dt.date, str, str]], new: list[tuple[dt.date, str, str]]
) -> list[DayChange]:
    """What a replacement changes, day by day."""
    a = {d: (k, n) for d, k, n in old}
    b = {d: (k, n) for d, k, n in new}
    return [
        DayChange(day, a.get(day), b.get(day))
        for day in sorted(set(a) | set(b))
        if a.get(day) != b.get(day)
    ]


def last_recompute(schedule: HolidaySchedule) -> Any:
    """The newest `workdays.deadlines.recomputed` audit entry of a schedule, if any."""
    from tenderwatch.audit.models import AuditEntry

    return (
        AuditEntry.objects.filter(
            action="workdays.deadlines.recomputed",
            object_type=schedule._meta.label_lower,
            object_id=str(schedule.pk),
        )
        .order_by("-seq")
        .first()
    )
