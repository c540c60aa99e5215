"""The clocks of REQ-14 with frozen time, on the real 2026 calendar (国庆 10/1–10/7, 调休上班
9/20 and 10/10)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine

from tenderwatch.audit.models import AuditEntry
from tenderwatch.complaints import clocks, selectors, services
from tenderwatch.complaints.models import (
    Clock,
    DayUnit,
    DeadlineState,
    Escalation,
    EscalationTarget,
    Matter,
    StopReason,
)
from tenderwatch.complaints.testing import complaint_filing, tip_off_filing
from tenderwatch.complaints.tests.conftest import china
from tenderwatch.core.timeutil import CHINA
from tenderwatch.workdays.calendar import CalendarNotAvailable

pytestmark = pytest.mark.usefixtures("district")

D = dt.date


def due(matter: Matter) -> dict[str, tuple[dt.date | None, str]]:
    return {d.clock: (d.due_on, d.state) for d in matter.deadlines.all()}


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=CHINA)


# -- counting, without a matter -----------------------------------------------------------------


def test_count_skips_the_days_a_stop_covers() -> None:
    # 5 working days from Monday 2026-06-08: 9, 10, 11, 12, 15 June.
    assert clocks.count(DayUnit.WORKDAYS, D(2026, 6, 8), 5).due_on == D(2026, 6, 15)
    # Stopped from the 9th to the 11th: the 10th and 11th do not count; counting resumes on the
    # 12th (民法典 第二百零一条): 9, 12, 15, 16, 17.
    result = clocks.count(DayUnit.WORKDAYS, D(2026, 6, 8), 5, [(D(2026, 6, 9), D(2026, 6, 11))])
    assert (result.due_on, result.stopped_days) == (D(2026, 6, 17), 2)
    # An open stop: no due day while it lasts.
    open_stop = clocks.count(DayUnit.WORKDAYS, D(2026, 6, 8), 5, [(D(2026, 6, 9), None)])
    assert open_stop.due_on is None and open_stop.stopped_since == D(2026, 6, 9)
    # A stop that began after the period ended changes nothing.
    late = clocks.count(DayUnit.WORKDAYS, D(2026, 6, 8), 1, [(D(2026, 6, 10), None)])
    assert late.due_on == D(2026, 6, 9)


def test_count_in_calendar_days_rolls_past_rest_days() -> None:
    # 3 days from Wednesday 2026-09-30 end on Saturday 10-03, inside the National Day holiday:
    # the period runs to the first working day after it (民法典 第二百零三条).
    assert clocks.count(DayUnit.CALENDAR, D(2026, 9, 30), 3).due_on == D(2026, 10, 8)


def test_a_year_without_schedule_is_refused_not_guessed() -> None:
    with pytest.raises(CalendarNotAvailable):
        clocks.count(DayUnit.WORKDAYS, D(2026, 12, 28), 3)


# -- the cases --------------------------------------------------------------------------


def test_complaint_received_before_national_day(personas: Any, file: Any) -> None:
    """Received Wednesday 30 September 2026 at 16:00: accept or refuse by the end of the first
    working day after the National Day holiday (Thursday 8 October)."""
    received = china(2026, 9, 30, 16, 0)
    with time_machine.travel(received, tick=False):
        matter = file(
            complaint_filing(
                knew_on=D(2026, 9, 28),
                objection_on=D(2026, 9, 28),
                objection_reply_on=D(2026, 9, 29),
            )
        ).matter
        deadlines = {d.clock: d for d in matter.deadlines.all()}
        plan = deadlines[Clock.ACCEPTANCE_PLAN]
        assert (plan.due_on, plan.due_at) == (D(2026, 10, 8), end_of(D(2026, 10, 8)))
        assert (plan.rule, plan.basis, plan.unit, plan.length) == ("CP-LOC", "plan", "workdays", 1)
        assert plan.start_on == D(2026, 9, 30)
        # 条例 第六十一条: 3 working days — 10/8, 10/9 and Saturday 10/10 (调休上班).
        statute = deadlines[Clock.ACCEPTANCE_STATUTE]
        assert (statute.due_on, statute.rule) == (D(2026, 10, 10), "CP-03")
        assert "第六十一条" in statute.legal_basis
        # The plan's 10 working days to conclude, counted from receipt.
        assert deadlines[Clock.CONCLUSION_PLAN].due_on == D(2026, 10, 20)
        # Counted from acceptance: not running before it.
        assert Clock.DECISION_STATUTE not in deadlines
        assert clocks.countdown(plan).text == "剩余 1 个工作日"

    with time_machine.travel(china(2026, 10, 8, 10, 0), tick=False):
        assert clocks.countdown(plan).text == "今日到期，剩余 14 小时"
        assert not clocks.countdown(plan).overdue
    with time_machine.travel(china(2026, 10, 9, 9, 0), tick=False):
        late = clocks.countdown(plan)
        assert late.overdue and late.text == "已超期 1 个工作日"


def test_tipoff_received_on_a_friday(personas: Any, file: Any, settings: Any) -> None:
    """A tip-off within 3 days: working days by default (行政处罚法 第八十五条 by analogy)."""
    # Friday 2026-09-18; Sunday 9/20 is a working day (调休上班): 9/20, 9/21, 9/22.
    with time_machine.travel(china(2026, 9, 18, 11, 0), tick=False):
        matter = file(tip_off_filing()).matter
    assert due(matter)[Clock.ACCEPTANCE_PLAN] == (D(2026, 9, 22), DeadlineState.RUNNING)
    assert Clock.ACCEPTANCE_STATUTE not in due(matter)  # the statute sets none for tip-offs
    # An ordinary Friday: 2026-06-05 → Wednesday 6/10.
    with time_machine.travel(china(2026, 6, 5, 17, 30), tick=False):
        ordinary = file(tip_off_filing(respondent_name="另一被举报人")).matter
    assert due(ordinary)[Clock.ACCEPTANCE_PLAN][0] == D(2026, 6, 10)

    # As a setting, calendar days: Friday + 3 days = Monday 6/8, a working day.
    settings.TW_COMPLAINTS_TIPOFF_DAY_TYPE = "calendar"
    with time_machine.travel(china(2026, 6, 5, 17, 30), tick=False):
        by_days = file(tip_off_filing(respondent_name="第三被举报人")).matter
    deadline = by_days.deadlines.get(clock=Clock.ACCEPTANCE_PLAN)
    assert (deadline.due_on, deadline.unit) == (D(2026, 6, 8), "calendar")


def test_receipt_on_an_adjusted_workday(personas: Any, file: Any) -> None:
    """Saturday 2026-10-10 is worked (调休上班): a complaint received then is due on Monday."""
    with time_machine.travel(china(2026, 10, 10, 9, 30), tick=False):
        matter = file(
            complaint_filing(
                knew_on=D(2026, 10, 9),
                objection_on=D(2026, 10, 9),
                objection_reply_on=D(2026, 10, 9),
            )
        ).matter
        plan = matter.deadlines.get(clock=Clock.ACCEPTANCE_PLAN)
        assert plan.due_on == D(2026, 10, 12)
        assert matter.deadlines.get(clock=Clock.ACCEPTANCE_STATUTE).due_on == D(2026, 10, 14)
        assert clocks.countdown(plan).text == "剩余 1 个工作日"
    # And one received on a holiday (10/3) counts from the holiday: due on the 8th.
    with time_machine.travel(china(2026, 10, 3, 20, 0), tick=False):
        holiday = file(complaint_filing(respondent_name="另一招标人")).matter
    assert holiday.deadlines.get(clock=Clock.ACCEPTANCE_PLAN).due_on == D(2026, 10, 8)


def test_clock_stopped_for_supplementing(personas: Any, file: Any) -> None:
    received = china(2026, 6, 8, 10, 0)
    with time_machine.travel(received, tick=False):
        matter = file(complaint_filing(files=[])).matter  # no evidence, no signed letter
    assert due(matter)[Clock.ACCEPTANCE_PLAN][0] == D(2026, 6, 9)
    assert due(matter)[Clock.ACCEPTANCE_STATUTE][0] == D(2026, 6, 11)

    with time_machine.travel(china(2026, 6, 8, 14, 0), tick=False):
        services.matter_request_supplement(
            matter=matter, actor=personas.office_clerk, items=["证明材料", "签章的投诉书"]
        )
    matter.refresh_from_db()
    state = due(matter)
    # The review clocks stand still; the filer's own clock runs: 5 working days, to 6/15.
    assert state[Clock.ACCEPTANCE_PLAN] == (None, DeadlineState.STOPPED)
    assert state[Clock.ACCEPTANCE_STATUTE] == (None, DeadlineState.STOPPED)
    assert state[Clock.CONCLUSION_PLAN] == (None, DeadlineState.STOPPED)
    assert state[Clock.SUPPLEMENT] == (D(2026, 6, 15), DeadlineState.RUNNING)
    stop = matter.clock_stops.get()
    assert (stop.reason, stop.ended_at) == (StopReason.SUPPLEMENT, None)
    assert set(stop.clocks) == {
        Clock.ACCEPTANCE_PLAN,
        Clock.ACCEPTANCE_STATUTE,
        Clock.CONCLUSION_PLAN,
    }

    # The supplement arrives on Thursday 6/11: 6/9–6/11 are not counted; counting resumes 6/12.
    with time_machine.travel(china(2026, 6, 11, 15, 0), tick=False):
        services.matter_supplement(matter=matter, text="补交证明材料")
    matter.refresh_from_db()
    state = due(matter)
    assert state[Clock.ACCEPTANCE_PLAN] == (D(2026, 6, 12), DeadlineState.RUNNING)
    assert state[Clock.ACCEPTANCE_STATUTE] == (D(2026, 6, 16), DeadlineState.RUNNING)
    assert state[Clock.SUPPLEMENT] == (D(2026, 6, 15), DeadlineState.MET)
    plan = matter.deadlines.get(clock=Clock.ACCEPTANCE_PLAN)
    assert plan.stopped_days == 3
    assert "3" in plan.explanation
    stop.refresh_from_db()
    assert stop.ended_at == china(2026, 6, 11, 15, 0)


def test_expert_review_stops_the_decision_clock(personas: Any, file: Any) -> None:
    with time_machine.travel(china(2026, 6, 1, 9, 0), tick=False):
        matter = file(
            complaint_filing(
                knew_on=D(2026, 5, 29),
                objection_on=D(2026, 5, 29),
                objection_reply_on=D(2026, 5, 30),
            )
        ).matter
        services.matter_accept(matter=matter, actor=personas.office_clerk)
    matter.refresh_from_db()
    # 30 working days from Monday 6/1 (端午 6/19 is a holiday): 7/14.
    decision = matter.deadlines.get(clock=Clock.DECISION_STATUTE)
    assert (decision.start_on, decision.due_on, decision.rule) == (
        D(2026, 6, 1),
        D(2026, 7, 14),
        "CP-04",
    )
    with time_machine.travel(china(2026, 6, 10, 9, 0), tick=False):
        stop = services.clock_stop_start(
            matter=matter,
            actor=personas.office_clerk,
            reason=StopReason.EXPERT_REVIEW,
            note="组织专家复核评标结果",
        )
    decision.refresh_from_db()
    assert decision.state == DeadlineState.STOPPED and decision.due_at is None
    with time_machine.travel(china(2026, 6, 17, 16, 0), tick=False):
        services.clock_stop_end(stop=stop, actor=personas.office_clerk, note="专家意见已出具")
    decision.refresh_from_db()
    # 6/11, 12, 15, 16, 17: five working days not counted.
    assert (decision.due_on, decision.stopped_days) == (D(2026, 7, 21), 5)
    # The acceptance clocks were met and are not touched.
    plan = matter.deadlines.get(clock=Clock.ACCEPTANCE_PLAN)
    assert plan.state == DeadlineState.MET
    clock_actions = AuditEntry.objects.filter(action__startswith="complaints.clock")
    assert list(clock_actions.order_by("seq").values_list("action", flat=True)) == [
        "complaints.clock.stopped",
        "complaints.clock.resumed",
    ]


def test_conclusion_counted_from_acceptance_as_a_setting(
    personas: Any, file: Any, settings: Any
) -> None:
    settings.TW_COMPLAINTS_CONCLUSION_FROM = "acceptance"
    with time_machine.travel(china(2026, 6, 1, 9, 0), tick=False):
        matter = file(tip_off_filing()).matter
    assert Clock.CONCLUSION_PLAN not in due(matter)
    with time_machine.travel(china(2026, 6, 3, 9, 0), tick=False):
        services.matter_accept(matter=matter, actor=personas.office_clerk)
    # 10 working days from 6/3, 端午 (6/19) excluded: 6/17.
    assert due(matter)[Clock.CONCLUSION_PLAN][0] == D(2026, 6, 17)


def test_procurement_complaint_has_its_own_clocks(personas: Any, file: Any) -> None:
    with time_machine.travel(china(2026, 6, 1, 9, 0), tick=False):
        matter = file(
            complaint_filing(
                industry="government_procurement",
                project_text="黄州区教育局多媒体设备采购项目",
                knew_on=D(2026, 5, 20),
                objection_on=D(2026, 5, 21),
                objection_reply_on=D(2026, 5, 27),
            )
        ).matter
    assert matter.rule_set == "procurement"
    assert matter.department.code == "finance"
    deadlines = {d.clock: d for d in matter.deadlines.all()}
    assert (
        deadlines[Clock.ACCEPTANCE_STATUTE].rule,
        deadlines[Clock.ACCEPTANCE_STATUTE].due_on,
    ) == (
        "GP-05",
        D(2026, 6, 8),
    )
    # GP-04: 30 working days from receipt, not from acceptance.
    assert (deadlines[Clock.DECISION_STATUTE].rule, deadlines[Clock.DECISION_STATUTE].due_on) == (
        "GP-04",
        D(2026, 7, 14),
    )


def test_sweeper_escalates_overdue_matters_once(personas: Any, file: Any) -> None:
    with time_machine.travel(china(2026, 9, 30, 16, 0), tick=False):
        matter = file(
            complaint_filing(
                knew_on=D(2026, 9, 28),
                objection_on=D(2026, 9, 28),
                objection_reply_on=D(2026, 9, 29),
            )
        ).matter
    with time_machine.travel(china(2026, 10, 8, 23, 0), tick=False):
        assert services.deadlines_sweep().escalated == []
    with time_machine.travel(china(2026, 10, 9, 0, 30), tick=False):
        report = services.deadlines_sweep()
        assert [(e.deadline.clock, e.target) for e in report.escalated] == [
            (Clock.ACCEPTANCE_PLAN, EscalationTarget.OFFICE_HEAD)
        ]
        assert services.deadlines_sweep().escalated == []  # escalated once
        # The office head sees it; the clerk's home shows the overdue countdown.
        assert [e.matter for e in selectors.escalations_for(user=personas.principal_head)] == [
            matter
        ]
        assert list(selectors.escalations_for(user=personas.housing_officer)) == []
        row = selectors.intake_queue(user=personas.office_clerk)[0]
        assert row.overdue and row.countdown and row.countdown.text == "已超期 1 个工作日"
    entry = AuditEntry.objects.get(action="complaints.deadline.escalated")
    assert entry.after["clock"] == Clock.ACCEPTANCE_PLAN and entry.actor_id is None
    with time_machine.travel(china(2026, 10, 11, 9, 0), tick=False):
        assert [e.deadline.clock for e in services.deadlines_sweep().escalated] == [
            Clock.ACCEPTANCE_STATUTE
        ]
    assert Escalation.objects.count() == 2


def test_deadlines_follow_a_change_of_the_holiday_schedule(
    personas: Any, file: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tenderwatch.workdays import services as workdays
    from tenderwatch.workdays.models import HolidaySchedule

    with time_machine.travel(china(2026, 9, 30, 16, 0), tick=False):
        matter = file(
            complaint_filing(
                knew_on=D(2026, 9, 28),
                objection_on=D(2026, 9, 28),
                objection_reply_on=D(2026, 9, 29),
            )
        ).matter
    assert due(matter)[Clock.ACCEPTANCE_PLAN][0] == D(2026, 10, 8)
    schedule = HolidaySchedule.objects.get(year=2026)
    days = list(schedule.days.values_list("date", "kind", "name"))
    days.append((D(2026, 10, 8), "holiday", "国庆节（测试：延长）"))
    with django_capture_on_commit_callbacks(execute=True):
        workdays.schedule_replace(
            year=2026,
            days=days,
            notice_title=schedule.notice_title,
            published_on=schedule.published_on,
            actor=personas.office_clerk,
            reason="测试：通知更正",
        )
    assert due(matter)[Clock.ACCEPTANCE_PLAN][0] == D(2026, 10, 9)
    recomputed = AuditEntry.objects.filter(action="complaints.deadline.recomputed")
    assert recomputed.count() >= 1


def test_a_deadline_waits_for_next_years_schedule(
    personas: Any, file: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Filed on 28 December 2026 while the 2027 notice is not entered: the clocks wait, say so,
    and are counted when the office enters it (no weekends-only guess)."""
    from pathlib import Path

    from django.core.management import call_command

    import tenderwatch.workdays

    with time_machine.travel(china(2026, 12, 28, 10, 0), tick=False):
        matter = file(complaint_filing(respondent_name="年末招标人")).matter
        plan = matter.deadlines.get(clock=Clock.ACCEPTANCE_PLAN)
        assert (plan.state, plan.due_at) == (DeadlineState.PENDING_CALENDAR, None)
        assert "2027" in plan.explanation
        assert clocks.countdown(plan).text == "待录入节假日安排"
    data = Path(tenderwatch.workdays.__file__).parent / "tests" / "data"
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "workdays",
            "import",
            str(data / "schedule-2027-TEST-DATA.toml"),
            "--user",
            "office_clerk",
            stdout=io.StringIO(),
        )
    plan.refresh_from_db()
    assert (plan.state, plan.due_on) == (DeadlineState.RUNNING, D(2026, 12, 29))
