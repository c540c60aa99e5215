"""The clocks of a matter: which apply, how each is counted, and what stops it. REQ-14.

Every period is counted by `tenderwatch.workdays.calendar` (民法典 第二百零一条: the start day is
not counted; 第二百零三条: a period of days ending on a rest day runs to the next working day; a
deadline day ends at 24:00 China time). The district plan's service levels are policy, kept
beside the statutory outer limits (RULES.md, CP-LOC):

- complaint (招标投标): acceptance 1 working day from receipt (plan) and 3 working days
  (CP-03, 条例 第六十一条); conclusion 10 working days from receipt, or from acceptance as a
  setting (plan); a written decision 30 working days from acceptance (CP-04);
- complaint (政府采购, routed to 财政): the same plan clocks; acceptance 5 working days (GP-05);
  decision 30 working days from receipt (GP-04);
- tip-off: acceptance 3 days from receipt, working days by default (a setting); conclusion as
  for complaints; the statute sets no limit.

A `ClockStop` stands some clocks still (`STOPS`): supplementing (补正) stops the acceptance
clocks and the clocks counted from receipt; inspection, testing, appraisal and expert review
(条例 第六十一条第二款) stop the decision clocks. A stop from day S to day E removes the days
after S up to and including E (counting resumes the day after E, 民法典 第二百零一条); while a
stop is open the clock shows no due time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenderwatch.complaints.models import (
    LIVE_STATES,
    Basis,
    Clock,
    DayUnit,
    Deadline,
    DeadlineState,
    Kind,
    Matter,
    RuleSet,
    StopReason,
)
from tenderwatch.core import timeutil
from tenderwatch.workdays import calendar
from tenderwatch.workdays.calendar import CalendarNotAvailable

log = logging.getLogger("tenderwatch.complaints")

RECEIPT = "receipt"
ACCEPTANCE = "acceptance"


@dataclass(frozen=True)
class ClockRule:
    clock: str
    basis: str
    rule: str
    legal_basis: Any  # lazy text
    unit: str
    length: int
    start: str  # RECEIPT or ACCEPTANCE


def tipoff_unit() -> str:
    value = getattr(settings, "TW_COMPLAINTS_TIPOFF_DAY_TYPE", "workdays")
    return DayUnit.CALENDAR if value == "calendar" else DayUnit.WORKDAYS


def conclusion_start() -> str:
    value = getattr(settings, "TW_COMPLAINTS_CONCLUSION_FROM", RECEIPT)
    return ACCEPTANCE if value == ACCEPTANCE else RECEIPT


PLAN = "区实施方案 四（五）2"


def rules_for(matter: Matter) -> list[ClockRule]:
    """The clocks that apply to `matter` (without the supplement and assignment clocks)."""
    conclusion = ClockRule(
        Clock.CONCLUSION_PLAN,
        Basis.PLAN,
        "CP-LOC",
        PLAN,
        DayUnit.WORKDAYS,
        10,
        conclusion_start(),
    )
    if matter.kind == Kind.TIP_OFF:
        return [
            ClockRule(Clock.ACCEPTANCE_PLAN, Basis.PLAN, "CP-LOC", PLAN, tipoff_unit(), 3, RECEIPT),
            conclusion,
        ]
    plan_acceptance = ClockRule(
        Clock.ACCEPTANCE_PLAN, Basis.PLAN, "CP-LOC", PLAN, DayUnit.WORKDAYS, 1, RECEIPT
    )
    if matter.rule_set == RuleSet.PROCUREMENT:
        return [
            plan_acceptance,
            ClockRule(
                Clock.ACCEPTANCE_STATUTE,
                Basis.STATUTE,
                "GP-05",
                "政府采购质疑和投诉办法（财政部令第94号）第二十一条",
                DayUnit.WORKDAYS,
                5,
                RECEIPT,
            ),
            conclusion,
            ClockRule(
                Clock.DECISION_STATUTE,
                Basis.STATUTE,
                "GP-04",
                "政府采购法 第五十六条",
                DayUnit.WORKDAYS,
                30,
                RECEIPT,
            ),
        ]
    return [
        plan_acceptance,
        ClockRule(
            Clock.ACCEPTANCE_STATUTE,
            Basis.STATUTE,
            "CP-03",
            "招标投标法实施条例 第六十一条第二款",
            DayUnit.WORKDAYS,
            3,
            RECEIPT,
        ),
        conclusion,
        ClockRule(
            Clock.DECISION_STATUTE,
            Basis.STATUTE,
            "CP-04",
            "招标投标法实施条例 第六十一条第二款",
            DayUnit.WORKDAYS,
            30,
            ACCEPTANCE,
        ),
    ]


def supplement_rule() -> ClockRule:
    return ClockRule(
        Clock.SUPPLEMENT,
        Basis.FILER,
        "CP-05",
        "工程建设项目招标投标活动投诉处理办法 第七条；政府采购质疑和投诉办法 第二十一条",
        DayUnit.WORKDAYS,
        int(getattr(settings, "TW_COMPLAINTS_SUPPLEMENT_WORKDAYS", 5)),
        RECEIPT,  # counted from the day of the request
    )


ACCEPTANCE_CLOCKS = frozenset({Clock.ACCEPTANCE_PLAN, Clock.ACCEPTANCE_STATUTE})
DECISION_CLOCKS = frozenset({Clock.DECISION_STATUTE, Clock.CONCLUSION_PLAN})
# Which clocks a stop stands still. Supplementing also stops what runs from receipt.
STOPS: dict[str, frozenset[str]] = {
    StopReason.SUPPLEMENT: ACCEPTANCE_CLOCKS | {Clock.CONCLUSION_PLAN, Clock.DECISION_STATUTE},
    StopReason.INSPECTION: DECISION_CLOCKS,
    StopReason.TESTING: DECISION_CLOCKS,
    StopReason.APPRAISAL: DECISION_CLOCKS,
    StopReason.EXPERT_REVIEW: DECISION_CLOCKS,
}
STOP_BASIS: dict[str, str] = {
    StopReason.SUPPLEMENT: (
        "工程建设项目招标投标活动投诉处理办法 第七条；政府采购质疑和投诉办法 第二十一条"
    ),
    StopReason.INSPECTION: "招标投标法实施条例 第六十一条第二款",
}
for _reason in (StopReason.TESTING, StopReason.APPRAISAL, StopReason.EXPERT_REVIEW):
    STOP_BASIS[_reason] = STOP_BASIS[StopReason.INSPECTION]


def clocks_stopped_by(reason: str, matter: Matter) -> list[str]:
    """The clocks of `matter` a stop for `reason` stands still (fixed when the stop starts)."""
    wanted = set(STOPS.get(reason, frozenset()))
    if reason == StopReason.SUPPLEMENT:
        # Only what runs from receipt: a clock counted from acceptance has not started yet.
        wanted &= {r.clock for r in rules_for(matter) if r.start == RECEIPT}
    return sorted(wanted)


# -- counting -----------------------------------------------------------------------------------

Interval = tuple[dt.date, dt.date | None]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Overlapping stops merged; an open stop swallows everything after its start."""
    out: list[Interval] = []
    for start, end in sorted(intervals, key=lambda i: i[0]):
        if out:
            last_start, last_end = out[-1]
            if last_end is None:
                break
            if start <= last_end:
                out[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        out.append((start, end))
    return out


def _days_in(unit: str, after: dt.date, through: dt.date) -> int:
    """Days of `unit` in (after, through]."""
    if through <= after:
        return 0
    if unit == DayUnit.WORKDAYS:
        return calendar.workdays_between(after, through)
    return (through - after).days


def _period_end(unit: str, start: dt.date, n: int) -> dt.date:
    if unit == DayUnit.WORKDAYS:
        return calendar.add_workdays(start, n)
    return calendar.add_calendar_days(start, n)


@dataclass(frozen=True)
class Count:
    due_on: dt.date | None  # None while a stop is open
    stopped_days: int
    stopped_since: dt.date | None = None


def count(unit: str, start: dt.date, length: int, stops: Sequence[Interval] = ()) -> Count:
    """The last day of a period of `length` days of `unit` after `start`, skipping the days
    (S, E] of each stop. Raises CalendarNotAvailable where the calendar has no schedule.

    The period is extended by the stopped days it contains until it contains no more
    (a fixed point: each extension can only take in more stopped days).
    """
    intervals = [(max(s, start), e) for s, e in _merge(stops) if e is None or e > start]
    extra = 0
    while True:
        due = _period_end(unit, start, length + extra)
        stopped = 0
        for s, e in intervals:
            if s >= due:
                continue
            if e is None:
                return Count(None, stopped + _days_in(unit, s, due), stopped_since=s)
            stopped += _days_in(unit, s, min(e, due))
        if stopped == extra:
            return Count(due, stopped)
        extra = stopped


# -- applying to a matter -----------------------------------------------------------------------


def _china(moment: dt.datetime | None) -> dt.date | None:
    return timeutil.china_date(moment) if moment is not None else None


def _stops_for(matter: Matter, clock: str) -> list[Interval]:
    out: list[Interval] = []
    for stop in matter.clock_stops.all():
        if clock in (stop.clocks or []):
            start = timeutil.china_date(stop.started_at)
            out.append((start, _china(stop.ended_at)))
    return out


def _period_text(unit: str, n: int) -> str:
    if unit == DayUnit.WORKDAYS:
        return ngettext("%(n)s working day", "%(n)s working days", n) % {"n": n}
    return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}


def _explain(deadline: Deadline, result: Count) -> str:
    text = _("%(period)s after %(start)s (the start day not counted)") % {
        "period": _period_text(deadline.unit, deadline.length or 0),
        "start": deadline.start_on.isoformat(),
    }
    if result.stopped_days:
        text += _("; %(period)s stood still") % {
            "period": _period_text(deadline.unit, result.stopped_days)
        }
    return text


def recompute(deadline: Deadline, *, now: dt.datetime | None = None) -> Deadline:
    """Count a live deadline again from its stored rule; saves it. Completed ones stay."""
    if not deadline.is_live or deadline.clock == Clock.ASSIGNED:
        return deadline
    now = now or timeutil.now()
    assert deadline.length is not None
    try:
        result = count(
            deadline.unit,
            deadline.start_on,
            deadline.length,
            _stops_for(deadline.matter, deadline.clock),
        )
    except CalendarNotAvailable as exc:
        deadline.state = DeadlineState.PENDING_CALENDAR
        deadline.due_on = None
        deadline.due_at = None
        deadline.explanation = str(exc.message)[:300]
    else:
        deadline.stopped_days = result.stopped_days
        deadline.due_on = result.due_on
        deadline.due_at = calendar.deadline_end(result.due_on) if result.due_on else None
        deadline.state = (
            DeadlineState.RUNNING if result.due_on is not None else DeadlineState.STOPPED
        )
        deadline.explanation = _explain(deadline, result)[:300]
    deadline.computed_at = now
    deadline.save()
    return deadline


def start_clock(
    matter: Matter, rule: ClockRule, *, start_on: dt.date, now: dt.datetime
) -> Deadline:
    """Create (or restart) the deadline of `rule` for `matter`, counted from `start_on`."""
    deadline, _created = Deadline.objects.update_or_create(
        matter=matter,
        clock=rule.clock,
        defaults={
            "basis": rule.basis,
            "rule": rule.rule,
            "legal_basis": str(rule.legal_basis)[:200],
            "unit": rule.unit,
            "length": rule.length,
            "start_on": start_on,
            "state": DeadlineState.RUNNING,
            "completed_at": None,
            "escalated_at": None,
            "computed_at": now,
        },
    )
    return recompute(deadline, now=now)


def start_fixed(matter: Matter, *, due_on: dt.date, now: dt.datetime) -> Deadline:
    """The date an assigning body set for its answer (交办期限): taken as given."""
    deadline, _created = Deadline.objects.update_or_create(
        matter=matter,
        clock=Clock.ASSIGNED,
        defaults={
            "basis": Basis.ASSIGNING_BODY,
            "rule": "ASSIGNED",
            "legal_basis": matter.assigned_ref or matter.assigned_source,
            "unit": DayUnit.CALENDAR,
            "length": None,
            "start_on": timeutil.china_date(matter.received_at),
            "due_on": due_on,
            "due_at": calendar.deadline_end(due_on),
            "state": DeadlineState.RUNNING,
            "completed_at": None,
            "computed_at": now,
            "explanation": _("as set by the assigning body"),
        },
    )
    return deadline


def start_intake_clocks(matter: Matter, *, now: dt.datetime) -> list[Deadline]:
    """The clocks that run from receipt, at filing."""
    received = timeutil.china_date(matter.received_at)
    out = [
        start_clock(matter, rule, start_on=received, now=now)
        for rule in rules_for(matter)
        if rule.start == RECEIPT
    ]
    if matter.assigned_due is not None:
        out.append(start_fixed(matter, due_on=matter.assigned_due, now=now))
    return out


def start_acceptance_clocks(matter: Matter, *, now: dt.datetime) -> list[Deadline]:
    """The clocks that run from acceptance (CP-04; the plan's conclusion where so set)."""
    accepted = timeutil.china_date(matter.accepted_at or now)
    return [
        start_clock(matter, rule, start_on=accepted, now=now)
        for rule in rules_for(matter)
        if rule.start == ACCEPTANCE
    ]


def complete(
    matter: Matter, clocks: Iterable[str], *, at: dt.datetime, close: bool = False
) -> None:
    """Mark the live deadlines of `clocks` met or missed at `at` (or closed: no longer apply)."""
    for deadline in matter.deadlines.filter(clock__in=list(clocks), state__in=LIVE_STATES):
        if close:
            deadline.state = DeadlineState.CLOSED
        elif deadline.due_at is not None and at > deadline.due_at:
            deadline.state = DeadlineState.MISSED
        elif deadline.state == DeadlineState.PENDING_CALENDAR:
            deadline.state = DeadlineState.MET  # decided before a due time could be computed
        else:
            deadline.state = DeadlineState.MET
        deadline.completed_at = at
        deadline.save(update_fields=["state", "completed_at"])


def recompute_matter(matter: Matter, *, now: dt.datetime) -> None:
    for deadline in matter.deadlines.filter(state__in=LIVE_STATES):
        recompute(deadline, now=now)


def recompute_for_years(years: set[int]) -> int:
    """Registered with `workdays.deadlines`: recount the live deadlines that a change of the
    holiday schedules of `years` can move (those counted from, or due in, those years, and
    those that waited for a schedule)."""
    if not years:
        return 0
    # A period counted from the last days of a year can end in the next one (and the other
    # way round), so the years next to a changed one are included.
    span = set()
    for year in years:
        span |= {year - 1, year, year + 1}
    condition = Q(state=DeadlineState.PENDING_CALENDAR) | Q(state=DeadlineState.STOPPED)
    for year in span:
        condition |= Q(start_on__year=year) | Q(due_on__year=year)
    ids = list(
        Deadline.objects.filter(state__in=LIVE_STATES)
        .filter(condition)
        .exclude(clock=Clock.ASSIGNED)
        .values_list("pk", flat=True)
    )
    return recompute_ids(ids, note=_("holiday schedule changed"))


def recompute_ids(ids: Iterable[int], *, note: str) -> int:
    """Count the given live deadlines again, each in its own transaction; a change of due time
    or state leaves an audit entry with `note`."""
    from tenderwatch.audit import services as audit

    now = timeutil.now()
    done = 0
    for pk in ids:
        with transaction.atomic():
            deadline = (
                Deadline.objects.select_for_update().select_related("matter").filter(pk=pk).first()
            )
            if deadline is None or not deadline.is_live:
                continue
            before = (deadline.due_at, deadline.state)
            recompute(deadline, now=now)
            if (deadline.due_at, deadline.state) != before:
                audit.record(
                    actor=None,
                    action="complaints.deadline.recomputed",
                    obj=deadline.matter,
                    before={"clock": deadline.clock, "due_at": before[0], "state": before[1]},
                    after={
                        "clock": deadline.clock,
                        "due_at": deadline.due_at,
                        "state": deadline.state,
                    },
                    note=note,
                )
            done += 1
    return done


# -- countdown ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Countdown:
    text: str
    overdue: bool
    urgent: bool  # due today or the next working day
    state: str


def countdown(deadline: Deadline, *, now: dt.datetime | None = None) -> Countdown:
    """What a person reads beside a deadline: time left, or how late it is."""
    now = now or timeutil.now()
    if deadline.state == DeadlineState.STOPPED:
        return Countdown(_("clock stopped"), False, False, deadline.state)
    if deadline.state == DeadlineState.PENDING_CALENDAR:
        return Countdown(_("waiting for the holiday schedule"), False, True, deadline.state)
    if deadline.state in (DeadlineState.MET, DeadlineState.MISSED, DeadlineState.CLOSED):
        label = str(DeadlineState(deadline.state).label)
        return Countdown(label, deadline.state == DeadlineState.MISSED, False, deadline.state)
    assert deadline.due_on is not None and deadline.due_at is not None
    today = timeutil.china_date(now)
    if now >= deadline.due_at:
        try:
            late = _days_in(deadline.unit, deadline.due_on, today)
        except CalendarNotAvailable:
            late = 0
        if late <= 0:
            return Countdown(_("overdue"), True, True, deadline.state)
        return Countdown(
            _("overdue by %(period)s") % {"period": _period_text(deadline.unit, late)},
            True,
            True,
            deadline.state,
        )
    if deadline.due_on == today:
        hours = max(1, int((deadline.due_at - now).total_seconds() // 3600))
        return Countdown(
            ngettext("due today, %(n)s hour left", "due today, %(n)s hours left", hours)
            % {"n": hours},
            False,
            True,
            deadline.state,
        )
    try:
        left = _days_in(deadline.unit, today, deadline.due_on)
    except CalendarNotAvailable:
        left = (deadline.due_on - today).days
    return Countdown(
        _("%(period)s left") % {"period": _period_text(deadline.unit, left)},
        False,
        left <= 1,
        deadline.state,
    )
