"""Writes to the working-day calendar: entering or replacing a year's schedule (REQ-14 and
every statutory deadline depend on it).

A replacement keeps the replaced version whole (`ScheduleRevision`), leaves an audit entry with
before and after, and — once committed — drops the calendar cache and has every app recompute
the deadlines of its open records in the years that changed (`workdays.deadlines`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenderwatch.audit import services as audit
from tenderwatch.core.errors import DomainError
from tenderwatch.org.scoping import ensure_allowed
from tenderwatch.workdays import calendar, deadlines
from tenderwatch.workdays.models import (
    DayKind,
    HolidaySchedule,
    ScheduleRevision,
    ScheduleSource,
    SpecialDay,
)
from tenderwatch.workdays.schedule_input import (
    DayEntry,
    Problem,
    ScheduleDraft,
    validate,
    weekday_label,
)

DayTuple = tuple[dt.date, str, str]


class ScheduleInvalid(DomainError):
    """The schedule has problems; `details` lists them (a `Problem` per line or entry)."""

    def __init__(self, problems: list[Problem]) -> None:
        message = ngettext(
            "The schedule has %(n)d problem; nothing was saved.",
            "The schedule has %(n)d problems; nothing was saved.",
            len(problems),
        ) % {"n": len(problems)}
        super().__init__(message, code="schedule_invalid", details=problems)
        self.problems = problems


def reason_required_message(year: int) -> str:
    return _("the %(year)s schedule exists: say why it is replaced") % {"year": year}


def conflicts(draft: ScheduleDraft) -> list[Problem]:
    """Dates of the draft that another year's schedule already names (one date, one notice)."""
    if draft.year is None or not draft.days:
        return []
    taken = {
        day: year
        for day, year in SpecialDay.objects.filter(date__in=[d.date for d in draft.days])
        .exclude(schedule__year=draft.year)
        .values_list("date", "schedule__year")
    }
    return [
        Problem(
            entry.where,
            _("%(date)s is already part of the %(year)s schedule")
            % {"date": f"{entry.date.isoformat()}（{weekday_label(entry.date)}）", "year": year},
            entry.line,
        )
        for entry in draft.days
        if entry.date in taken
        for year in [taken[entry.date]]
    ]


def check(draft: ScheduleDraft) -> list[Problem]:
    """All problems of a draft, including clashes with the other years' schedules."""
    return sorted([*draft.problems, *conflicts(draft)], key=lambda p: p.line)


def _days_of(schedule: HolidaySchedule) -> list[DayTuple]:
    return list(schedule.days.order_by("date").values_list("date", "kind", "name"))


def _state(schedule: HolidaySchedule, days: Iterable[DayTuple]) -> dict[str, Any]:
    """A schedule as JSON-safe data: what a revision keeps and what the audit entry shows."""
    return {
        "year": schedule.year,
        "version": schedule.version,
        "notice_title": schedule.notice_title,
        "notice_ref": schedule.notice_ref,
        "published_on": schedule.published_on.isoformat() if schedule.published_on else None,
        "source_url": schedule.source_url,
        "source": schedule.source,
        "entered_by": schedule.entered_by.get_username() if schedule.entered_by else None,
        "entered_at": schedule.entered_at.isoformat(),
        "days": [[d.isoformat(), kind, name] for d, kind, name in days],
    }


@transaction.atomic
def schedule_replace(
    *,
    year: int,
    days: Iterable[DayEntry | DayTuple],
    notice_title: str,
    notice_ref: str = "",
    published_on: dt.date | None,
    source_url: str = "",
    actor: Any,
    reason: str = "",
) -> HolidaySchedule:
    """Enter a year's schedule from the State Council's notice, or replace the one there is.

    `days` are (date, kind, holiday name) tuples, kind "holiday" or "adjusted_workday", or the
    `DayEntry` items of a parsed draft (problems then name its lines). The whole
    schedule is checked first (`schedule_input.validate`, plus dates other years already hold);
    with any problem, `ScheduleInvalid` lists them all and nothing is written. Replacing needs a
    reason; the replaced version is kept in `ScheduleRevision`.
    """
    ensure_allowed(actor, "workdays.manage")
    entries = [
        d if isinstance(d, DayEntry) else DayEntry(d[0], d[1], d[2].strip(), d[0].isoformat())
        for d in days
    ]
    draft = ScheduleDraft(
        year=year,
        notice_title=notice_title.strip(),
        notice_ref=notice_ref.strip(),
        published_on=published_on,
        source_url=source_url.strip(),
        days=entries,
        holiday_entries=sum(1 for e in entries if e.kind == DayKind.HOLIDAY),
    )
    for entry in entries:
        if entry.kind not in DayKind.values:
            draft.problem(entry.where, _("unknown kind of day “%(kind)s”") % {"kind": entry.kind})
    validate(draft)
    existing = HolidaySchedule.objects.select_for_update().filter(year=year).first()
    reason = reason.strip()
    if existing is not None and not reason:
        draft.problem("reason", reason_required_message(year))
    problems = check(draft)
    if problems:
        raise ScheduleInvalid(problems)

    now = timezone.now()
    new_days: list[DayTuple] = sorted((e.date, e.kind, e.name) for e in entries)
    before: dict[str, Any] | None = None
    old_days: list[DayTuple] = []
    if existing is not None:
        old_days = _days_of(existing)
        before = _state(existing, old_days)
        ScheduleRevision.objects.create(
            schedule=existing,
            year=year,
            version=existing.version,
            notice={k: v for k, v in before.items() if k != "days"},
            days=before["days"],
            replaced_by=actor,
            replaced_at=now,
            reason=reason,
        )
        existing.days.all().delete()
        schedule = existing
        schedule.version += 1
    else:
        schedule = HolidaySchedule(year=year, version=1)
    schedule.notice_title = draft.notice_title
    schedule.notice_ref = draft.notice_ref
    schedule.published_on = published_on
    schedule.source_url = draft.source_url
    schedule.source = ScheduleSource.OFFICE_ENTRY
    schedule.entered_by = actor
    schedule.entered_at = now
    try:
        with transaction.atomic():  # a savepoint: a clash with a concurrent entry is reported
            schedule.save()
            SpecialDay.objects.bulk_create(
                SpecialDay(schedule=schedule, date=day, kind=kind, name=name)
                for day, kind, name in new_days
            )
    except IntegrityError:
        raise DomainError(
            _(
                "Someone else saved a holiday schedule at the same time. Reload the page, check "
                "the %(year)s schedule and enter your changes again."
            )
            % {"year": year},
            code="conflict",
        ) from None
    after = _state(schedule, new_days)
    audit.record(
        actor=actor,
        action="workdays.schedule.replaced" if existing else "workdays.schedule.entered",
        obj=schedule,
        before=before,
        after=after,
        note=reason,
    )
    changed_years = {year} | {d.year for d, _k, _n in set(old_days) ^ set(new_days)}
    if existing is None:
        # The last days of the year before could not be computed until now (calendar.py:
        # New-Year spill-over), so its open deadlines are recomputed too.
        changed_years.add(year - 1)
    # robust: a failing recomputation is logged; it must not turn the saved change into an error.
    transaction.on_commit(lambda: _after_commit(schedule.pk, changed_years, actor), robust=True)
    return schedule


def _after_commit(schedule_pk: int, years: set[int], actor: Any) -> None:
    """Drop the calendar cache, then have every app recompute its open deadlines."""
    calendar.clear_cache()
    counts = deadlines.recompute_all(years)
    schedule = HolidaySchedule.objects.get(pk=schedule_pk)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="workdays.deadlines.recomputed",
            obj=schedule,
            after={"years": sorted(years), "recomputed": counts},
        )
