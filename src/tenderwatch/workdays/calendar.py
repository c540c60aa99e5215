"""Working-day arithmetic for statutory deadlines: the only place in tenderwatch that adds days.

Rules (see "How to count days" in RULES.md):

- 民法典 第二百零一条: a period counted in days does not count its start day; counting begins
  the next day. `add_workdays(start, n)` and `add_calendar_days(start, n)` never count `start`.
- 民法典 第二百零三条: when the last day of a period is a statutory rest day (法定休假日: a holiday
  of the State Council's notice, or a Saturday or Sunday that the notice does not turn into a
  working day), the period ends on the first working day after it; the last day ends at 24:00.
  `add_calendar_days` rolls forward; `add_workdays` cannot land on a rest day anyway;
  `deadline_end(day)` is the instant the day ends (24:00 Asia/Shanghai).
- Days are Asia/Shanghai dates. A datetime argument must be aware; it is converted first.

Which days are holidays and which weekend days are worked (调休上班) is known only from the
yearly notice of the State Council General Office, and cannot be guessed. A date in a year with
no schedule raises `CalendarNotAvailable`; so does a date from 25 December on while the next
year's schedule is missing, because a New-Year arrangement can reach back into December (the
2019 notice made Saturday 2018-12-29 a working day; the 2024 break began on 2023-12-30).
Nothing here ever falls back to "weekends only".

Caching. Every process keeps the whole calendar (a few hundred special days) in memory, so a
deadline of 30 working days costs no query. Each process re-checks at most every
`TW_WORKDAYS_CACHE_SECONDS` seconds (default 10) whether the schedules changed, with one small
query over the `(year, version)` pairs of `HolidaySchedule` (a replacement raises `version`);
only when they differ does it reload. The process that replaces a schedule drops its cache when
the transaction commits, before the open deadlines are recomputed, so the recomputation sees the
new schedule at once; other processes of a web farm (a province runs several) follow within the
re-check interval. We chose a database version check over Django's cache because the cache is
per-process by default and a shared cache (Redis) is optional in our deployments, while the
database is always shared; a schedule changes about once a year, so a 10-second window is
harmless, and N processes cost N tiny queries per interval.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError

# From this day of December on, a date also needs the next year's schedule (New-Year spill-over).
SPILLOVER_FROM = (12, 25)
DEFAULT_CACHE_SECONDS = 10.0

DayLike = dt.date | dt.datetime


class CalendarNotAvailable(DomainError):
    """No official schedule for the year a computation needs: enter the notice first."""

    http_status = 409

    def __init__(self, year: int, day: dt.date | None = None) -> None:
        self.year = year
        self.day = day
        if day is not None and day.year != year:
            message = gettext(
                "%(date)s lies in the last days of the year, which the New-Year arrangement of "
                "%(year)s may change, and the statutory holiday schedule for %(year)s has not "
                "been entered, so the deadline cannot be computed. The office must enter the "
                "State Council General Office's notice for %(year)s."
            ) % {"date": day.isoformat(), "year": year}
        else:
            message = gettext(
                "The statutory holiday schedule for %(year)s has not been entered, so the "
                "deadline cannot be computed. The office must enter the State Council General "
                "Office's notice for %(year)s."
            ) % {"year": year}
        super().__init__(message, code="calendar_not_available", details={"year": year})


@dataclass(frozen=True)
class DayInfo:
    date: dt.date
    is_workday: bool
    kind: str  # "holiday", "adjusted_workday", "weekend" or "workday"
    name: str = ""


@dataclass(frozen=True)
class _Calendar:
    token: tuple[tuple[int, int], ...]
    years: frozenset[int]
    special: Mapping[dt.date, bool]  # True: adjusted workday; False: holiday
    names: Mapping[dt.date, str]


_lock = threading.Lock()
_cached: _Calendar | None = None
_checked_at = -math.inf
_clock: Callable[[], float] = time.monotonic  # replaced in tests


def _cache_seconds() -> float:
    return float(getattr(settings, "TW_WORKDAYS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def clear_cache() -> None:
    """Forget the calendar in this process; the next computation reloads it."""
    global _cached, _checked_at
    with _lock:
        _cached = None
        _checked_at = -math.inf


def _token() -> tuple[tuple[int, int], ...]:
    from tenderwatch.workdays.models import HolidaySchedule

    return tuple(HolidaySchedule.objects.order_by("year").values_list("year", "version"))


def _read(token: tuple[tuple[int, int], ...]) -> _Calendar:
    from tenderwatch.workdays.models import DayKind, SpecialDay

    special: dict[dt.date, bool] = {}
    names: dict[dt.date, str] = {}
    for day, kind, name in SpecialDay.objects.values_list("date", "kind", "name"):
        special[day] = kind == DayKind.ADJUSTED_WORKDAY
        names[day] = name
    return _Calendar(
        token=token, years=frozenset(y for y, _v in token), special=special, names=names
    )


def _calendar() -> _Calendar:
    global _cached, _checked_at
    cal = _cached
    if cal is not None and _clock() - _checked_at < _cache_seconds():
        return cal
    with _lock:
        now = _clock()
        cal = _cached
        if cal is not None and now - _checked_at < _cache_seconds():
            return cal
        # The token is read before the days: the days are never older than the token, so a
        # change committed in between only causes one more reload at the next check.
        token = _token()
        if cal is None or cal.token != token:
            cal = _read(token)
        _cached, _checked_at = cal, now
        return cal


def as_china_date(value: DayLike) -> dt.date:
    """The Asia/Shanghai date of a date or an aware datetime."""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise ValueError("a naive datetime has no China date; pass an aware datetime")
        return timeutil.china_date(value)
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date or an aware datetime, got {type(value).__name__}")


def _check(cal: _Calendar, day: dt.date) -> None:
    if day.year not in cal.years:
        raise CalendarNotAvailable(day.year, day)
    if (day.month, day.day) >= SPILLOVER_FROM and day.year + 1 not in cal.years:
        raise CalendarNotAvailable(day.year + 1, day)


def _is_workday(cal: _Calendar, day: dt.date) -> bool:
    _check(cal, day)
    special = cal.special.get(day)
    if special is not None:
        return special
    return day.weekday() < 5


def _next_workday(cal: _Calendar, day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not _is_workday(cal, day):
        day += dt.timedelta(days=1)
    return day


# -- public API ------------------------------------------------------------------------------


def covered_years() -> frozenset[int]:
    """Years with an official schedule."""
    return _calendar().years


def is_covered(day: DayLike) -> bool:
    """Whether `day` can be classified (its year, and where needed the next, have a schedule)."""
    try:
        _check(_calendar(), as_china_date(day))
    except CalendarNotAvailable:
        return False
    return True


def is_workday(day: DayLike) -> bool:
    """A working day: Monday to Friday unless a holiday, or a weekend day worked (调休上班)."""
    return _is_workday(_calendar(), as_china_date(day))


def day_info(day: DayLike) -> DayInfo:
    """What `day` is, with the holiday's name, for display."""
    cal = _calendar()
    d = as_china_date(day)
    workday = _is_workday(cal, d)
    if d in cal.special:
        kind = "adjusted_workday" if workday else "holiday"
        return DayInfo(d, workday, kind, cal.names.get(d, ""))
    return DayInfo(d, workday, "workday" if workday else "weekend")


def next_workday(day: DayLike) -> dt.date:
    """The first working day strictly after `day`."""
    return _next_workday(_calendar(), as_china_date(day))


def add_workdays(start: DayLike, n: int) -> dt.date:
    """The n-th working day after `start`; `start` itself is not counted (民法典 第二百零一条).

    E.g. a complaint received on Tuesday 2025-09-30 is to be accepted or refused within 3
    working days (招标投标法实施条例 第六十一条): 10-09, 10-10, 10-11 (an adjusted Saturday).
    """
    if n < 1:
        raise ValueError("a period of working days has at least one day")
    cal = _calendar()
    day = as_china_date(start)
    for _ in range(n):
        day = _next_workday(cal, day)
    return day


def add_calendar_days(start: DayLike, n: int) -> dt.date:
    """The last day of a period of n calendar days from `start` (not counted: 民法典 第二百零一条).

    If that day is a statutory rest day, the period ends on the next working day
    (民法典 第二百零三条); an adjusted workday (调休上班日) is a working day and does not roll.
    """
    if n < 1:
        raise ValueError("a period of days has at least one day")
    cal = _calendar()
    day = as_china_date(start) + dt.timedelta(days=n)
    if _is_workday(cal, day):
        return day
    return _next_workday(cal, day)


def workdays_between(a: DayLike, b: DayLike) -> int:
    """The number of working days in (a, b]: after `a`, up to and including `b`.

    Negative when `b` is before `a` (the working days in (b, a], counted backwards).
    """
    cal = _calendar()
    start, end = as_china_date(a), as_china_date(b)
    if end < start:
        return -workdays_between(end, start)
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        if _is_workday(cal, day):
            count += 1
        day += dt.timedelta(days=1)
    return count


def deadline_end(day: DayLike) -> dt.datetime:
    """The instant a deadline day ends: 24:00 Asia/Shanghai (民法典 第二百零三条 第二款)."""
    return timeutil.end_of_china_day(as_china_date(day))


def workday_deadline(start: DayLike, n: int) -> dt.datetime:
    """End (24:00) of the n-th working day after `start`."""
    return deadline_end(add_workdays(start, n))


def calendar_deadline(start: DayLike, n: int) -> dt.datetime:
    """End (24:00) of a period of n calendar days from `start`, rolled forward under Art. 203."""
    return deadline_end(add_calendar_days(start, n))


def required_years(first: dt.date, last: dt.date) -> set[int]:
    """The years whose schedules are needed to classify every day from `first` to `last`."""
    years = set(range(first.year, last.year + 1))
    if (last.month, last.day) >= SPILLOVER_FROM:
        years.add(last.year + 1)
    return years
