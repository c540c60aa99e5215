"""Deadline arithmetic against the State Council notices (民法典 Arts. 201, 203).

2025 (国办发明电〔2024〕12号): 国庆节、中秋节 1–8 October off; Sunday 28 September and Saturday
11 October worked. 2026 (国办发明电〔2025〕7号): 春节 15–23 February off; Saturday 14 February
and Saturday 28 February worked.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine

from tenderwatch.workdays import calendar
from tenderwatch.workdays.calendar import (
    CalendarNotAvailable,
    add_calendar_days,
    add_workdays,
    deadline_end,
    is_workday,
    next_workday,
    workdays_between,
)
from tenderwatch.workdays.models import HolidaySchedule, SpecialDay

D = dt.date
CHINA = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(dt.datetime(2025, 9, 20, 10, 0, tzinfo=CHINA), tick=False) as t:
        yield t


# -- 2025 National Day and Mid-Autumn ----------------------------------------------------------


def test_the_2025_golden_week_and_its_adjusted_workdays() -> None:
    assert is_workday(D(2025, 9, 28))  # Sunday, worked (调休上班)
    assert is_workday(D(2025, 10, 11))  # Saturday, worked
    for day in range(1, 9):
        assert not is_workday(D(2025, 10, day)), day
    assert not is_workday(D(2025, 9, 27))  # an ordinary Saturday
    assert is_workday(D(2025, 10, 9))
    assert calendar.day_info(D(2025, 10, 6)).name == "中秋节"
    assert calendar.day_info(D(2025, 10, 1)).name == "国庆节"
    assert calendar.day_info(D(2025, 9, 28)).kind == "adjusted_workday"


def test_one_working_day_from_30_september_2025_is_9_october() -> None:
    # A complaint received on Tuesday 30 September: the next working day is Thursday 9 October.
    assert add_workdays(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert next_workday(D(2025, 9, 30)) == D(2025, 10, 9)


def test_received_on_saturday_27_september_the_next_working_day_is_sunday_28() -> None:
    assert add_workdays(D(2025, 9, 27), 1) == D(2025, 9, 28)


def test_three_working_days_to_accept_a_complaint_received_30_september_2025() -> None:
    # 招标投标法实施条例 第六十一条: 3 working days; the third is the adjusted Saturday 11 October.
    assert add_workdays(D(2025, 9, 30), 3) == D(2025, 10, 11)


def test_ten_working_days_from_26_september_2025() -> None:
    # 28, 29, 30 Sep; 9, 10, 11 (Sat) Oct; 13, 14, 15, 16 Oct.
    assert add_workdays(D(2025, 9, 26), 10) == D(2025, 10, 16)


def test_calendar_period_ending_in_the_holiday_rolls_to_the_next_workday() -> None:
    # 民法典 第二百零三条: 25 September + 10 days = Sunday 5 October, a holiday → Thursday 9 Oct.
    assert add_calendar_days(D(2025, 9, 25), 10) == D(2025, 10, 9)


def test_calendar_period_ending_on_the_adjusted_saturday_does_not_roll() -> None:
    # Saturday 11 October 2025 is a working day by the notice: no roll-forward.
    assert add_calendar_days(D(2025, 10, 1), 10) == D(2025, 10, 11)
    assert add_calendar_days(D(2025, 9, 26), 15) == D(2025, 10, 11)


def test_calendar_period_ending_on_an_ordinary_weekend_rolls_to_monday() -> None:
    assert add_calendar_days(D(2025, 10, 2), 10) == D(2025, 10, 13)  # Sunday 12 → Monday 13


def test_calendar_period_ending_on_a_workday_ends_that_day() -> None:
    assert add_calendar_days(D(2025, 9, 18), 10) == D(2025, 9, 28)  # the adjusted Sunday


def test_the_start_day_is_not_counted() -> None:
    # 民法典 第二百零一条: a complaint received at 23:59 on a workday still has its whole period.
    assert add_workdays(D(2025, 9, 29), 1) == D(2025, 9, 30)
    assert add_calendar_days(D(2025, 9, 15), 1) == D(2025, 9, 16)


# -- Spring Festival 2026 ----------------------------------------------------------------------


def test_spring_festival_2026() -> None:
    assert is_workday(D(2026, 2, 14))  # Saturday, worked
    assert is_workday(D(2026, 2, 28))  # Saturday, worked
    for day in range(15, 24):
        assert not is_workday(D(2026, 2, day)), day
    assert is_workday(D(2026, 2, 24))


def test_thirty_working_days_across_spring_festival_2026() -> None:
    # 招标投标法实施条例 第六十一条: 30 working days to decide. From Monday 2 February 2026:
    # six weekdays off (16–20, 23 Feb) and two Saturdays worked (14, 28 Feb) → Friday 20 March.
    assert add_workdays(D(2026, 2, 2), 30) == D(2026, 3, 20)


def test_three_working_days_from_friday_13_february_2026() -> None:
    assert add_workdays(D(2026, 2, 13), 3) == D(2026, 2, 25)  # 14 (Sat), 24, 25


def test_calendar_days_across_spring_festival_2026() -> None:
    assert add_calendar_days(D(2026, 2, 10), 10) == D(2026, 2, 24)  # Fri 20 Feb is a holiday
    assert add_calendar_days(D(2026, 2, 18), 10) == D(2026, 2, 28)  # adjusted Saturday: stays


def test_workdays_between_across_both_holidays() -> None:
    # (26 Sep, 31 Oct 2025]: 28, 29, 30 Sep; 9, 10, 11 Oct; then three full weeks.
    assert workdays_between(D(2025, 9, 26), D(2025, 10, 31)) == 21
    # (13 Feb, 28 Feb 2026]: 14, 24, 25, 26, 27, 28.
    assert workdays_between(D(2026, 2, 13), D(2026, 2, 28)) == 6
    assert workdays_between(D(2026, 2, 28), D(2026, 2, 13)) == -6
    assert workdays_between(D(2025, 10, 1), D(2025, 10, 8)) == 0
    assert workdays_between(D(2025, 10, 8), D(2025, 10, 8)) == 0
    # Both holidays in one span, checked against the package the data came from.
    first, last = D(2025, 9, 1), D(2026, 3, 31)
    expected = len(chinese_calendar.get_workdays(first + dt.timedelta(days=1), last))
    assert workdays_between(first, last) == expected


# -- datetimes and the end of the day ----------------------------------------------------------


def test_aware_datetimes_are_read_as_china_dates() -> None:
    # 17:30 UTC on 30 September is 01:30 on 1 October in China: the start day is 1 October.
    received = dt.datetime(2025, 9, 30, 17, 30, tzinfo=dt.UTC)
    assert add_workdays(received, 1) == D(2025, 10, 9)
    assert is_workday(dt.datetime(2025, 9, 30, 15, 59, tzinfo=dt.UTC))  # 23:59 in China
    assert not is_workday(received)
    with pytest.raises(ValueError, match="naive"):
        is_workday(dt.datetime(2025, 9, 30, 12, 0))


def test_a_deadline_ends_at_24_00_china_time() -> None:
    end = deadline_end(add_workdays(D(2025, 9, 30), 1))
    assert end == dt.datetime(2025, 10, 10, 0, 0, tzinfo=CHINA)
    assert end.astimezone(dt.UTC) == dt.datetime(2025, 10, 9, 16, 0, tzinfo=dt.UTC)
    assert calendar.workday_deadline(D(2025, 9, 30), 1) == end
    assert calendar.calendar_deadline(D(2025, 9, 25), 10) == end


def test_periods_have_at_least_one_day() -> None:
    with pytest.raises(ValueError):
        add_workdays(D(2025, 9, 30), 0)
    with pytest.raises(ValueError):
        add_calendar_days(D(2025, 9, 30), -1)


# -- years without a schedule ------------------------------------------------------------------


def test_a_year_without_a_schedule_raises_a_clear_error_in_chinese() -> None:
    with pytest.raises(CalendarNotAvailable) as err:
        is_workday(D(2027, 3, 1))
    assert err.value.year == 2027
    assert "2027年的法定节假日安排尚未录入" in str(err.value)
    assert "国务院办公厅" in str(err.value)
    with pytest.raises(CalendarNotAvailable):
        is_workday(D(2022, 6, 1))


def test_a_deadline_that_runs_into_2027_raises_and_never_guesses() -> None:
    # A complaint received on 30 December 2026: its 3-working-day limit lies in January 2027.
    with pytest.raises(CalendarNotAvailable) as err:
        add_workdays(D(2026, 12, 30), 3)
    assert err.value.year == 2027
    with pytest.raises(CalendarNotAvailable):
        add_calendar_days(D(2026, 12, 20), 15)


def test_the_last_days_of_december_wait_for_the_next_years_new_year_arrangement() -> None:
    # Notices reach back into December (2019: Saturday 2018-12-29 worked), so from 25 December
    # the next year's schedule is needed too.
    assert is_workday(D(2026, 12, 24))
    with pytest.raises(CalendarNotAvailable) as err:
        is_workday(D(2026, 12, 28))
    assert err.value.year == 2027
    assert "2026-12-28" in str(err.value)
    assert add_workdays(D(2026, 12, 22), 2) == D(2026, 12, 24)
    with pytest.raises(CalendarNotAvailable):
        add_workdays(D(2026, 12, 22), 3)
    assert calendar.is_covered(D(2026, 12, 24))
    assert not calendar.is_covered(D(2026, 12, 25))


def test_new_year_days_in_december_belong_to_the_next_years_notice() -> None:
    # 国办发明电〔2023〕7号: 2024 New Year on Monday 1 January, with the weekend before it.
    day = SpecialDay.objects.get(date=D(2023, 12, 30))
    assert day.schedule.year == 2024
    assert day.name == "元旦"


# -- the built-in data -------------------------------------------------------------------------


def test_every_day_of_2023_to_2026_matches_chinese_calendar() -> None:
    day, checked = D(2023, 1, 1), 0
    while day <= D(2026, 12, 24):
        assert is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
        checked += 1
    assert checked == 1454
    # The last week of 2026 waits for the 2027 notice (see above).
    with pytest.raises(CalendarNotAvailable):
        is_workday(D(2026, 12, 31))


def test_builtin_notices_are_recorded() -> None:
    notices = {
        s.year: (s.notice_ref, s.published_on, s.source) for s in HolidaySchedule.objects.all()
    }
    assert notices == {
        2023: ("国办发明电〔2022〕16号", D(2022, 12, 8), "builtin"),
        2024: ("国办发明电〔2023〕7号", D(2023, 10, 25), "builtin"),
        2025: ("国办发明电〔2024〕12号", D(2024, 11, 12), "builtin"),
        2026: ("国办发明电〔2025〕7号", D(2025, 11, 4), "builtin"),
    }
    names = set(SpecialDay.objects.values_list("name", flat=True))
    assert names == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}


def test_ensure_builtin_restores_a_flushed_calendar() -> None:
    from tenderwatch.workdays import builtin

    assert builtin.ensure_builtin() == []
    SpecialDay.objects.all().delete()
    HolidaySchedule.objects.all().delete()
    assert builtin.ensure_builtin() == [2023, 2024, 2025, 2026]
    assert add_workdays(D(2025, 9, 30), 1) == D(2025, 10, 9)


# -- cache -------------------------------------------------------------------------------------


def test_a_warm_calendar_computes_without_queries(django_assert_num_queries) -> None:
    add_workdays(D(2026, 2, 2), 1)  # warm up
    with django_assert_num_queries(0):
        assert add_workdays(D(2026, 2, 2), 30) == D(2026, 3, 20)
        assert add_calendar_days(D(2025, 9, 25), 10) == D(2025, 10, 9)
        assert workdays_between(D(2025, 1, 1), D(2026, 12, 1)) > 400


def test_other_processes_see_a_change_after_the_recheck_interval(
    monkeypatch, settings, django_assert_num_queries
) -> None:
    """A replacement committed by another process: this one notices within the interval."""
    settings.TW_WORKDAYS_CACHE_SECONDS = 10
    now = [1000.0]
    monkeypatch.setattr(calendar, "_clock", lambda: now[0])
    assert is_workday(D(2025, 10, 11))
    # Another process turns the adjusted Saturday into a holiday (bypassing this process).
    SpecialDay.objects.filter(date=D(2025, 10, 11)).update(kind="holiday")
    schedule = HolidaySchedule.objects.get(year=2025)
    HolidaySchedule.objects.filter(pk=schedule.pk).update(version=schedule.version + 1)
    now[0] += 5
    with django_assert_num_queries(0):
        assert is_workday(D(2025, 10, 11))  # still within the interval: cached
    now[0] += 6
    assert not is_workday(D(2025, 10, 11))  # re-checked: version changed, reloaded
    now[0] += 11
    with django_assert_num_queries(1):  # the version check only: nothing changed
        assert not is_workday(D(2025, 10, 11))
