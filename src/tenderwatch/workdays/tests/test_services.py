"""Entering next year's notice: import, validation, history, audit, recompute, permissions."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import PermissionDenied
from tenderwatch.workdays import calendar, deadlines, services
from tenderwatch.workdays.calendar import CalendarNotAvailable, add_workdays
from tenderwatch.workdays.models import HolidaySchedule, ScheduleRevision, SpecialDay
from tenderwatch.workdays.schedule_input import parse_lines, parse_toml

from .conftest import BAD_2027, TEST_2027

D = dt.date
CHINA = ZoneInfo("Asia/Shanghai")
EXAMPLE = TEST_2027.parents[2] / "examples" / "schedule-example.toml"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> object:
    # Late November 2026: the 2027 notice is out, the calendar stops at 2026.
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=CHINA), tick=False) as t:
        yield t


def _days_2027_v2() -> list[tuple[dt.date, str, str]]:
    """The test schedule with National Day moved (as if the office corrected a typing error)."""
    draft = parse_toml(TEST_2027.read_text(encoding="utf-8"))
    days = [(d.date, d.kind, d.name) for d in draft.days if d.name != "国庆节"]
    days += [(D(2027, 10, day), "holiday", "国庆节") for day in range(1, 9)]
    days.append((D(2027, 10, 9), "adjusted_workday", "国庆节"))
    return days


def test_a_deadline_into_2027_computes_once_the_2027_notice_is_imported(
    personas, import_2027
) -> None:
    # A complaint received on Wednesday 30 December 2026: 3 working days to decide on acceptance.
    with pytest.raises(CalendarNotAvailable):
        add_workdays(D(2026, 12, 30), 3)
    import_2027()
    # 31 Dec (1); 1–3 Jan off (invented test data); 4 Jan (2); 5 Jan (3).
    assert add_workdays(D(2026, 12, 30), 3) == D(2027, 1, 5)
    assert calendar.is_workday(D(2027, 2, 20))  # an adjusted Saturday of the test data
    assert not calendar.is_workday(D(2027, 2, 8))
    schedule = HolidaySchedule.objects.get(year=2027)
    assert schedule.source == "office_entry"
    assert schedule.entered_by == personas.office_clerk
    assert schedule.version == 1
    assert schedule.notice_ref == ""  # none in the file: never invented
    assert schedule.days.filter(kind="holiday").count() == 26
    assert schedule.days.filter(kind="adjusted_workday").count() == 5
    entry = AuditEntry.objects.get(action="workdays.schedule.entered")
    assert entry.actor == personas.office_clerk
    assert entry.channel == "cli"
    assert entry.before is None
    assert ["2027-02-20", "adjusted_workday", "春节"] in entry.after["days"]


def test_a_bad_file_reports_every_bad_entry_with_its_line_and_writes_nothing(personas) -> None:
    before = (
        HolidaySchedule.objects.count(),
        SpecialDay.objects.count(),
        AuditEntry.objects.count(),
    )
    err = StringIO()
    with pytest.raises(CommandError, match="5"):
        call_command("workdays", "import", str(BAD_2027), "--user", "office_clerk", stderr=err)
    report = err.getvalue().splitlines()
    assert len(report) == 5
    assert report[0].startswith("第11行") and "2027-02-05" in report[0]  # range backwards
    assert report[1].startswith("第16行") and "2028-04-03" in report[1]  # outside 2027
    assert report[2].startswith("第20行") and "名称" in report[2]  # no holiday name
    assert report[3].startswith("第24行") and "2027-02-08（周一）" in report[3]  # a weekday
    assert report[4].startswith("第28行") and "2027-01-02（周六）" in report[4]  # both kinds
    after = (
        HolidaySchedule.objects.count(),
        SpecialDay.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
    with pytest.raises(CalendarNotAvailable):
        calendar.is_workday(D(2027, 1, 4))


def test_a_date_held_by_another_years_schedule_is_refused(personas) -> None:
    clash = parse_lines(
        "2026-12-31 元旦\n2027-01-01 元旦",
        year=2027,
        notice_title="测试用（虚构）",
        published_on=D(2026, 11, 5),
    )
    assert clash.ok  # 31 December may belong to the 2027 notice (New-Year spill-over)...
    SpecialDay.objects.create(
        schedule=HolidaySchedule.objects.get(year=2026),
        date=D(2026, 12, 31),
        kind="holiday",
        name="测试",
    )
    problems = services.check(clash)  # ...but not while the 2026 schedule holds it
    assert [p.line for p in problems] == [1]
    assert "2026年安排" in str(problems[0])
    with pytest.raises(services.ScheduleInvalid):
        services.schedule_replace(
            year=2027,
            days=clash.days,
            notice_title="测试用（虚构）",
            published_on=D(2026, 11, 5),
            actor=personas.office_clerk,
        )
    assert not HolidaySchedule.objects.filter(year=2027).exists()


def test_dry_run_writes_nothing(personas) -> None:
    out = StringIO()
    call_command(
        "workdays", "import", str(TEST_2027), "--user", "office_clerk", "--dry-run", stdout=out
    )
    assert "2027" in out.getvalue()
    assert not HolidaySchedule.objects.filter(year=2027).exists()


def test_the_example_file_is_a_format_example_only() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "NOT A REAL SCHEDULE" in text
    draft = parse_toml(text)
    assert draft.year == 2099
    # Its notice date lies in the future, so it can never be imported as it stands.
    assert [p.where for p in draft.problems] == ["published_on"]
    assert len(draft.holidays) == 4 + 8 + 1
    assert len(draft.adjusted_workdays) == 2


def test_replacing_keeps_the_old_version_and_needs_a_reason(
    personas, import_2027, django_capture_on_commit_callbacks
) -> None:
    import_2027()
    with pytest.raises(services.ScheduleInvalid) as err:
        services.schedule_replace(
            year=2027,
            days=_days_2027_v2(),
            notice_title="测试用：2027年部分节假日安排（虚构，更正）",
            published_on=D(2026, 11, 5),
            actor=personas.office_clerk,
        )
    assert any(p.where == "reason" for p in err.value.problems)

    assert calendar.is_workday(D(2027, 10, 8))  # v1: Friday 8 October is a workday
    with django_capture_on_commit_callbacks(execute=True):
        schedule = services.schedule_replace(
            year=2027,
            days=_days_2027_v2(),
            notice_title="测试用：2027年部分节假日安排（虚构，更正）",
            published_on=D(2026, 11, 5),
            actor=personas.seconded_officer,
            reason="更正国庆节日期",
        )
    assert schedule.version == 2
    assert not calendar.is_workday(D(2027, 10, 8))  # v2 seen at once in this process
    assert not calendar.is_workday(D(2027, 9, 26))  # no longer an adjusted workday

    revision = ScheduleRevision.objects.get(year=2027)
    assert revision.version == 1
    assert revision.replaced_by == personas.seconded_officer
    assert revision.reason == "更正国庆节日期"
    assert revision.notice["notice_title"] == "测试用：2027年部分节假日安排（虚构）"
    assert revision.notice["entered_by"] == "office_clerk"
    assert ["2027-09-26", "adjusted_workday", "国庆节"] in revision.days
    assert len(revision.days) == 31

    entry = AuditEntry.objects.get(action="workdays.schedule.replaced")
    assert entry.before["version"] == 1
    assert entry.after["version"] == 2
    assert ["2027-10-08", "holiday", "国庆节"] in entry.after["days"]
    assert ["2027-10-08", "holiday", "国庆节"] not in entry.before["days"]
    assert entry.note == "更正国庆节日期"


def test_recompute_functions_run_after_commit_with_the_new_calendar(
    personas, django_capture_on_commit_callbacks
) -> None:
    calls: list[tuple[set[int], dt.date]] = []

    def recompute_test_records(years: set[int]) -> int:
        # Runs after commit: the new schedule is already visible to the calendar.
        calls.append((years, add_workdays(D(2026, 12, 30), 3)))
        return 7

    def broken(years: set[int]) -> int:
        raise RuntimeError("boom")

    draft = parse_toml(TEST_2027.read_text(encoding="utf-8"))
    with (
        deadlines.recompute_registered(recompute_test_records, name="test.records"),
        deadlines.recompute_registered(broken, name="test.broken"),
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.schedule_replace(
                year=2027,
                days=draft.days,
                notice_title=draft.notice_title,
                published_on=draft.published_on,
                actor=personas.office_clerk,
            )
        assert calls == []  # nothing before the commit
        for callback in callbacks:
            callback()
    # 2026 too: its last days needed the 2027 New-Year arrangement.
    assert calls == [({2026, 2027}, D(2027, 1, 5))]
    assert "test.records" not in deadlines.registered()
    entry = AuditEntry.objects.get(action="workdays.deadlines.recomputed")
    assert entry.after["years"] == [2026, 2027]
    assert entry.after["recomputed"]["test.records"] == 7
    assert entry.after["recomputed"]["test.broken"].startswith("error: RuntimeError")


def test_a_change_reaching_into_december_recomputes_both_years(
    personas, import_2027, django_capture_on_commit_callbacks
) -> None:
    import_2027()
    assert calendar.is_workday(D(2026, 12, 31))
    seen: list[set[int]] = []

    def spy(years: set[int]) -> int:
        seen.append(years)
        return 0

    days = [*_days_2027_v2(), (D(2026, 12, 31), "holiday", "元旦")]
    with (
        deadlines.recompute_registered(spy, name="test.spy"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.schedule_replace(
            year=2027,
            days=days,
            notice_title="测试用（虚构）",
            published_on=D(2026, 11, 5),
            actor=personas.office_clerk,
            reason="元旦提前放假（虚构）",
        )
    assert seen == [{2026, 2027}]
    assert not calendar.is_workday(D(2026, 12, 31))


def test_a_housing_officer_cannot_replace_a_schedule(personas) -> None:
    draft = parse_toml(TEST_2027.read_text(encoding="utf-8"))
    for user in (personas.housing_officer, personas.auditor, personas.section_head):
        with pytest.raises(PermissionDenied):
            services.schedule_replace(
                year=2027,
                days=draft.days,
                notice_title=draft.notice_title,
                published_on=draft.published_on,
                actor=user,
            )
    assert not HolidaySchedule.objects.filter(year=2027).exists()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("workdays", "import", str(TEST_2027), "--user", "housing_officer", stderr=err)
    assert not HolidaySchedule.objects.filter(year=2027).exists()


def test_list_and_show(personas, import_2027) -> None:
    out, err = StringIO(), StringIO()
    call_command("workdays", "list", stdout=out, stderr=err)
    assert "国办发明电〔2025〕7号" in out.getvalue()
    assert "2027" in err.getvalue()  # the warning: 2027 is missing
    import_2027()
    out = StringIO()
    call_command("workdays", "show", "2025", stdout=out)
    text = out.getvalue()
    assert "2025-09-28 周日" in text and "国庆节" in text
    out = StringIO()
    call_command("workdays", "show", "2027", "--toml", stdout=out)
    again = parse_toml(out.getvalue())
    original = parse_toml(TEST_2027.read_text(encoding="utf-8"))
    assert again.ok
    assert sorted((d.date, d.kind, d.name) for d in again.days) == sorted(
        (d.date, d.kind, d.name) for d in original.days
    )
    with pytest.raises(CommandError):
        call_command("workdays", "show", "2031")
