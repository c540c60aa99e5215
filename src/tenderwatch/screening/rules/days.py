"""Counting days for the rules (RULES.md D1–D5), on a snapshot of the working-day calendar.

Two operations, kept apart as D5 asks:

- `period_days(start, end)`: the length of a period counted in days, start day excluded
  (民法典 第二百零一条): a bid deadline on 03-22 after documents issued on 03-02 leaves 20 days.
  Minimum periods ("不得少于20日", "至少15日前", "公示期不少于3日") are counted this way and
  never rolled forward: a holiday inside or at the end of the period does not lengthen it.
- `DayTable.deadline(start, n)`: the last day of a time limit for an act ("3日内公示", "30日内
  订立合同", "15日内提交书面报告"): start + n days, and when that day is a statutory rest day
  the next working day (民法典 第二百零三条); an adjusted workday (调休上班日) is a working day
  and does not roll. This is `tenderwatch.workdays.calendar.add_calendar_days`, answered from a
  table instead of the calendar's cache.

Why a snapshot. The rules are pure functions (no database, no clock), and a province batch asks
the same question millions of times. `DayTable.from_workdays()` reads the office's calendar once
through `tenderwatch.workdays.calendar` (the only source of which days are worked); a test checks
that `deadline` equals `add_calendar_days` on every day of the covered years.
`DayTable.from_builtin()` gives the same days without a database (tests, benchmarks).

A day the calendar cannot classify (a year without an official schedule) makes `deadline` return
the unrolled day with `rolled=None`: the rule reports it and says the roll-forward could not be
checked, instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def period_days(start: dt.date, end: dt.date) -> int:
    """Days in (start, end]: the start day is not counted (民法典 第二百零一条)."""
    return end.toordinal() - start.toordinal()


def plus_days(day: dt.date, n: int) -> dt.date:
    """The n-th day after `day` (the unrolled last day of a period; see `DayTable.deadline`)."""
    return dt.date.fromordinal(day.toordinal() + n)


@dataclass(frozen=True)
class Deadline:
    """The last day of a time limit: `day` (rolled forward where the law rolls it), the
    unrolled `nominal` day, and whether it rolled (None: the calendar could not tell)."""

    day: dt.date
    nominal: dt.date
    rolled: bool | None


class DayTable:
    """Working-day flags for a contiguous span of days (ordinals), with "first working day on or
    after" precomputed, so a roll-forward is two list lookups."""

    __slots__ = ("first", "last", "on_or_after", "source", "work")

    def __init__(self, first: dt.date, flags: list[bool], *, source: str) -> None:
        self.source = source
        self.first = first.toordinal()
        self.last = self.first + len(flags) - 1
        self.work = flags
        nxt = [-1] * len(flags)
        following = -1
        for i in range(len(flags) - 1, -1, -1):
            if flags[i]:
                following = self.first + i
            nxt[i] = following
        self.on_or_after = nxt

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def from_workdays(cls) -> DayTable | None:
        """The office's calendar (`workdays` tables) over the contiguous run of covered years; None
        when no schedule has been entered."""
        from tenderwatch.workdays import calendar

        years = sorted(calendar.covered_years())
        if not years:
            return None
        run = [years[0]]
        for year in years[1:]:
            if year != run[-1] + 1:
                break
            run.append(year)
        first = dt.date(run[0], 1, 1)
        # From 25 December on a day also needs the next year's schedule (New-Year spill-over).
        last = dt.date(run[-1], 12, 24)
        flags = [
            calendar.is_workday(dt.date.fromordinal(o))
            for o in range(first.toordinal(), last.toordinal() + 1)
        ]
        return cls(first, flags, source="workdays")

    @classmethod
    def from_builtin(cls) -> DayTable:
        """The schedules built into the `workdays` app (what its data migration seeds)."""
        from tenderwatch.workdays.builtin import ADJUSTED_WORKDAY, BUILTIN_YEARS, builtin_days

        special: dict[dt.date, bool] = {}
        for year in BUILTIN_YEARS:
            for day, kind, _name in builtin_days(year):
                special[day] = kind == ADJUSTED_WORKDAY
        first = dt.date(BUILTIN_YEARS[0], 1, 1)
        last = dt.date(BUILTIN_YEARS[-1], 12, 24)
        flags = []
        for o in range(first.toordinal(), last.toordinal() + 1):
            day = dt.date.fromordinal(o)
            flags.append(special.get(day, day.weekday() < 5))
        return cls(first, flags, source="builtin")

    # -- queries ---------------------------------------------------------------------------------

    def covers(self, day: dt.date) -> bool:
        return self.first <= day.toordinal() <= self.last

    def is_workday(self, day: dt.date) -> bool | None:
        o = day.toordinal()
        if not self.first <= o <= self.last:
            return None
        return self.work[o - self.first]

    def roll(self, ordinal: int) -> int | None:
        """`ordinal` if it is a working day, else the next working day; None if unknown."""
        if not self.first <= ordinal <= self.last:
            return None
        found = self.on_or_after[ordinal - self.first]
        return found if found >= 0 else None

    def deadline(self, start: dt.date, n: int, *, roll_forward: bool = True) -> Deadline:
        """The last day of "n日内" from `start` (start not counted), rolled forward under
        民法典 第二百零三条 when `roll_forward` (see the module's docstring)."""
        nominal = start.toordinal() + n
        nominal_day = dt.date.fromordinal(nominal)
        if not roll_forward:
            return Deadline(nominal_day, nominal_day, False)
        rolled = self.roll(nominal)
        if rolled is None:
            return Deadline(nominal_day, nominal_day, None)
        return Deadline(dt.date.fromordinal(rolled), nominal_day, rolled != nominal)


def deadline(
    table: DayTable | None, start: dt.date, n: int, *, roll_forward: bool = True
) -> Deadline:
    """`table.deadline(...)`, or the unrolled day (rolled=None) without a calendar."""
    if table is None:
        nominal = plus_days(start, n)
        return Deadline(nominal, nominal, None if roll_forward else False)
    return table.deadline(start, n, roll_forward=roll_forward)
