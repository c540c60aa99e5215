"""Working days for the generator: the `workdays` calendar, read once into a table.

The generator asks "is this a working day?" millions of times at national scale; the calendar
answers from memory but through a cache check each time. This table holds one flag per day of
the covered span, read from `tenderwatch.workdays.calendar` (the only source of which days are
worked), and answers with list lookups. Days are proleptic ordinals (`date.toordinal()`).

The span ends on the last day the calendar can classify: from 25 December on, a day needs the
next year's schedule too (New-Year spill-over), so with schedules for 2023–2026 the last day is
2026-12-24. Asking beyond it raises `OutOfCalendar`; the generator never plans past it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable


class OutOfCalendar(Exception):
    """A day outside the span of the calendar's official schedules."""


class WorkCalendar:
    def __init__(self, first: dt.date, workdays: Iterable[bool], *, source: str) -> None:
        flags = [bool(x) for x in workdays]
        if not flags:
            raise OutOfCalendar("the calendar covers no day")
        self.source = source
        self.first = first.toordinal()
        self.last = self.first + len(flags) - 1
        self._work = flags
        # _next[i]: offset of the first working day at or after offset i (len(flags) if none).
        nxt = [len(flags)] * (len(flags) + 1)
        for i in range(len(flags) - 1, -1, -1):
            nxt[i] = i if flags[i] else nxt[i + 1]
        self._next = nxt
        prev = [-1] * len(flags)
        last_work = -1
        for i, flag in enumerate(flags):
            if flag:
                last_work = i
            prev[i] = last_work
        self._prev = prev

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_database(cls) -> WorkCalendar:
        """The calendar as the office keeps it (`workdays` tables): the contiguous run of
        covered years from the earliest one."""
        from tenderwatch.workdays import calendar

        years = sorted(calendar.covered_years())
        if not years:
            raise OutOfCalendar("no holiday schedule has been entered")
        run = [years[0]]
        for year in years[1:]:
            if year != run[-1] + 1:
                break
            run.append(year)
        first = dt.date(run[0], 1, 1)
        # The last day whose classification does not need a year without a schedule.
        last = dt.date(run[-1], 12, 24)
        days = (last - first).days + 1
        flags = [calendar.is_workday(first + dt.timedelta(days=i)) for i in range(days)]
        return cls(first, flags, source="database")

    @classmethod
    def from_builtin(cls) -> WorkCalendar:
        """The schedules built into the `workdays` app (2023–2026, from `chinesecalendar`), the
        same days its data migration seeds: for generating files without a database."""
        from tenderwatch.workdays.builtin import ADJUSTED_WORKDAY, BUILTIN_YEARS, builtin_days

        special: dict[dt.date, bool] = {}
        for year in BUILTIN_YEARS:
            for day, kind, _name in builtin_days(year):
                special[day] = kind == ADJUSTED_WORKDAY
        first = dt.date(BUILTIN_YEARS[0], 1, 1)
        last = dt.date(BUILTIN_YEARS[-1], 12, 24)
        flags = []
        day = first
        while day <= last:
            flags.append(special.get(day, day.weekday() < 5))
            day += dt.timedelta(days=1)
        return cls(first, flags, source="builtin")

    # -- queries (ordinals) ---------------------------------------------------------------------

    def _offset(self, day: int) -> int:
        if not self.first <= day <= self.last:
            raise OutOfCalendar(dt.date.fromordinal(day).isoformat())
        return day - self.first

    def is_workday(self, day: int) -> bool:
        return self._work[self._offset(day)]

    def on_or_after(self, day: int) -> int:
        """`day` if it is a working day, else the next working day."""
        i = self._next[self._offset(day)]
        if i >= len(self._work):
            raise OutOfCalendar(f"no working day after {dt.date.fromordinal(day)}")
        return self.first + i

    def on_or_before(self, day: int) -> int:
        i = self._prev[self._offset(day)]
        if i < 0:
            raise OutOfCalendar(f"no working day before {dt.date.fromordinal(day)}")
        return self.first + i

    def next_workday(self, day: int) -> int:
        """The first working day strictly after `day`."""
        return self.on_or_after(day + 1)

    def add_workdays(self, day: int, n: int) -> int:
        """The n-th working day after `day` (`day` itself not counted)."""
        for _ in range(n):
            day = self.next_workday(day)
        return day

    def pick(self, rng: random.Random, lo: int, hi: int) -> int | None:
        """A working day in [lo, hi], drawn about uniformly; None when there is none."""
        if hi < lo:
            return None
        day = rng.randint(lo, hi)
        after = self.on_or_after(day) if day <= self.last else None
        if after is not None and after <= hi:
            return after
        before = self.on_or_before(min(day, self.last))
        return before if before >= lo else None
