"""Counting days (RULES.md D1–D5) on the calendar snapshot, across National Day 2026 and its
adjusted Saturday (调休上班日 2026-10-10)."""

from __future__ import annotations

import datetime as dt

import pytest

from tenderwatch.screening.rules.days import DayTable, deadline, period_days
from tenderwatch.workdays import calendar

D = dt.date


def test_a_period_does_not_count_its_start_day() -> None:
    """民法典 第二百零一条: documents issued on 03-02, deadline 03-22 — 20 days."""
    assert period_days(D(2026, 3, 2), D(2026, 3, 22)) == 20
    assert period_days(D(2026, 3, 2), D(2026, 3, 2)) == 0


def test_a_deadline_on_national_day_rolls_to_the_first_working_day(table: DayTable) -> None:
    """民法典 第二百零三条: 30 days from 2026-09-01 end on 10-01, a holiday (10-01…10-07), so
    the period ends on Thursday 10-08."""
    due = table.deadline(D(2026, 9, 1), 30)
    assert (due.nominal, due.day, due.rolled) == (D(2026, 10, 1), D(2026, 10, 8), True)


def test_a_deadline_on_an_adjusted_saturday_does_not_roll(table: DayTable) -> None:
    """民法典 第二百零三条 rolls only past rest days: Saturday 2026-10-10 is worked (调休上班),
    so 30 days from 09-10 end on it."""
    due = table.deadline(D(2026, 9, 10), 30)
    assert (due.day, due.rolled) == (D(2026, 10, 10), False)
    assert table.is_workday(D(2026, 10, 10)) is True


def test_a_deadline_on_a_saturday_rolls_onto_an_adjusted_sunday(table: DayTable) -> None:
    """民法典 第二百零三条: 15 days from 2026-09-04 end on Saturday 09-19; Sunday 09-20 is an
    adjusted workday, so the period ends then, not on Monday."""
    due = table.deadline(D(2026, 9, 4), 15)
    assert (due.nominal, due.day) == (D(2026, 9, 19), D(2026, 9, 20))


def test_without_roll_forward_or_calendar_the_nominal_day_stands(table: DayTable) -> None:
    """民法典 第二百零三条 switched off (parameter), or no schedule for the year: no roll, and the
    latter says it could not check."""
    assert table.deadline(D(2026, 9, 1), 30, roll_forward=False).day == D(2026, 10, 1)
    unknown = table.deadline(D(2027, 3, 1), 3)
    assert (unknown.day, unknown.rolled) == (D(2027, 3, 4), None)
    assert deadline(None, D(2026, 9, 1), 30).rolled is None


@pytest.mark.django_db
def test_the_snapshot_is_the_office_calendar() -> None:
    """民法典 第二百零三条 as `workdays.calendar.add_calendar_days` computes it: the rules' table
    gives the same last day for every start of the covered years."""
    table = DayTable.from_workdays()
    assert table is not None and table.covers(D(2026, 12, 24))
    assert table.work == DayTable.from_builtin().work
    day = D(2024, 1, 1)
    while day <= D(2026, 11, 20):
        for n in (3, 15, 20, 30):
            assert table.deadline(day, n).day == calendar.add_calendar_days(day, n), (day, n)
        day += dt.timedelta(days=1)
