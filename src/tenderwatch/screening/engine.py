"""When the rules run, and what becomes of their findings.

- On every change of a project through the ledger's services (feed API, web form), the
  receivers run the rules timed "event" for that project at once and raise or merge its
  warnings before the feed call has answered (issue 5: the page shows the warning within a
  second). Setting TW_SCREEN_ON_CHANGE = False (default True) turns this off, e.g. for bulk tests.
- The collusion screens (`screening.collusion`: 第四十条 evidence, the distribution screens,
  cardinal-rs's flags) run on the project's lots when bids or procedure events arrive, and
  their findings become warnings of origin "screen" (TW_SCREEN_COLLUSION_ON_CHANGE, default
  True, turns only this part off).
- After a bulk import (`ledger.signals.projects_imported`), rules and screens run in batches.
- `tenderwatch screen run --since … [--until …] [--rule …] [--only rules|screens]` runs them over
  a period, the screens as one columnar batch.
- The sweeper (`tenderwatch screen sweep`) runs the rules timed "sweep" — those whose time
  passes, such as a contract not signed 30 days after the award notice — and escalates overdue
  warnings.

The rule functions are pure (`screening.rules`): the engine loads ledger snapshots in bulk
(`load_states`), runs the rules in force with the office's parameters (`catalogue`), and hands
the findings to `services.warnings_raise`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from tenderwatch.core import timeutil
from tenderwatch.core.iterables import chunks
from tenderwatch.ledger.models import Project, ProjectStatus
from tenderwatch.screening import catalogue, services
from tenderwatch.screening.models import Origin

log = logging.getLogger("tenderwatch.screening")

CHUNK = 500


def screen_on_change() -> bool:
    return bool(getattr(settings, "TW_SCREEN_ON_CHANGE", True))


def collusion_on_change() -> bool:
    return screen_on_change() and bool(getattr(settings, "TW_SCREEN_COLLUSION_ON_CHANGE", True))


# A project change of these kinds can change what the collusion screens see.
COLLUSION_KINDS = frozenset({"bid", "opening", "event", "award"})


@dataclass
class ScreenReport:
    projects: int = 0
    findings: int = 0
    rules: list[str] = field(default_factory=list)
    raised: services.RaiseReport = field(default_factory=services.RaiseReport)

    @property
    def created(self) -> int:
        return len(self.raised.created)

    @property
    def merged(self) -> int:
        return len(self.raised.merged)

    def summary(self) -> str:
        return _(
            "projects %(projects)s, rules %(rules)s, findings %(findings)s: warnings created "
            "%(created)s, merged %(merged)s, unchanged %(unchanged)s, already decided %(decided)s"
        ) % {
            "projects": self.projects,
            "rules": len(self.rules),
            "findings": self.findings,
            "created": self.created,
            "merged": self.merged,
            "unchanged": self.raised.unchanged,
            "decided": self.raised.already_decided,
        }


def screen_projects(
    project_ids: Iterable[int],
    *,
    timing: str | None = catalogue.EVENT,
    rule_id: str | None = None,
    today: dt.date | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int], object] | None = None,
) -> ScreenReport:
    """Run the rules in force (of `timing`, or only `rule_id`) over these projects and raise
    their findings as warnings. `progress(n)` is called with the number of projects done per
    chunk (the CLI's progress bar)."""
    ids = sorted(set(project_ids))
    rules = [
        r
        for r in catalogue.rules_in_force(timing=None if rule_id else timing, rule_id=rule_id)
        if catalogue.subject_of(r.spec) != catalogue.APPROVED_PROJECT
    ]
    report = ScreenReport(rules=[r.id for r in rules])
    if not rules or not ids:
        if progress is not None and ids:
            progress(len(ids))
        return report
    params = {r.id: r.params for r in rules}
    wanted = set(params)
    # Explanations are stored once and read by officers: always in the site's language
    # (zh-hans), whatever the language of the request that triggered the run.
    with translation.override(settings.LANGUAGE_CODE):
        for part in chunks(ids, chunk):
            states = catalogue.load_states(part)
            findings = [
                f for f in catalogue.run_rules(states, params, today=today) if f.rule_id in wanted
            ]
            report.projects += len(part)
            report.findings += len(findings)
            report.raised.add(services.warnings_raise(findings=findings, origin=Origin.RULE))
            if progress is not None:
                progress(len(part))
    return report


def screen_collusion(
    project_ids: Iterable[int], *, progress: Callable[[int], object] | None = None
) -> ScreenReport:
    """Run the collusion screens on the lots of these projects (each with its market, tenderer
    and bidders as context) and raise their findings as warnings of origin "screen"."""
    from tenderwatch.screening.collusion import api

    ids = sorted(set(project_ids))
    lot_ids = api.lots_with_bids(ids)
    report = ScreenReport(rules=["collusion"])
    if not lot_ids:
        return report
    with translation.override(settings.LANGUAGE_CODE):
        for part in chunks(lot_ids, api.Params().chunk):
            findings = api.screen_lots(part)
            report.findings += len(findings)
            report.raised.add(services.warnings_raise(findings=findings, origin=Origin.SCREEN))
            if progress is not None:
                progress(len(part))
    report.projects = len(ids)
    return report


def screen_collusion_period(
    since: dt.date,
    until: dt.date | None = None,
    *,
    progress: Callable[[int], object] | None = None,
) -> ScreenReport:
    """The collusion screens over the lots of the projects registered in [since, until], as one
    columnar batch (the fences from the batch, the history before `since` as context)."""
    from tenderwatch.screening.collusion import api

    report = ScreenReport(rules=["collusion"])
    with translation.override(settings.LANGUAGE_CODE):
        result = api.run_period(since, until, progress=progress)
        report.projects = result.targets.lots.select("project").n_unique()
        report.findings = len(result.findings)
        report.raised.add(services.warnings_raise(findings=result.findings, origin=Origin.SCREEN))
    return report


def projects_in_period(since: dt.date, until: dt.date | None = None) -> list[int]:
    """Projects registered (or, without a registration time, created) in [since, until], China
    dates."""
    start = dt.datetime.combine(since, dt.time.min, tzinfo=timeutil.CHINA)
    when = Q(registered_at__gte=start) | Q(registered_at__isnull=True, created_at__gte=start)
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=timeutil.CHINA)
        when &= Q(registered_at__lt=end) | Q(registered_at__isnull=True, created_at__lt=end)
    return list(Project.objects.filter(when).order_by("pk").values_list("pk", flat=True))


def sweep_candidates() -> list[int]:
    """Projects whose procedure is still running, for the rules timed "sweep": not terminated.
    (A rule's own `applies` decides whether it concerns the project at its stage.)"""
    return list(
        Project.objects.exclude(status=ProjectStatus.TERMINATED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def screen_approved_list(*, today: dt.date, rule_id: str | None = None) -> ScreenReport:
    """Run the rules that look at the approved-project list (应进必进, MUST-10): approved
    must-tender projects that have not entered the platform in time."""
    rules = [
        r
        for r in catalogue.rules_in_force(rule_id=rule_id)
        if catalogue.subject_of(r.spec) == catalogue.APPROVED_PROJECT
    ]
    report = ScreenReport(rules=[r.id for r in rules])
    with translation.override(settings.LANGUAGE_CODE):
        findings = catalogue.check_approved_list(rules, today)
        report.findings = len(findings)
        report.raised.add(services.warnings_raise(findings=findings, origin=Origin.RULE))
    return report


@dataclass
class SweepReport:
    escalated: list[int]
    screened: ScreenReport
    approved_list: ScreenReport = field(default_factory=ScreenReport)


def sweep(
    *, now: dt.datetime | None = None, progress: Callable[[int], object] | None = None
) -> SweepReport:
    """The sweeper's pass: escalate overdue warnings, then run the rules whose time passes."""
    now = now or timeutil.now()
    escalated = services.warnings_escalate_overdue(now=now)
    today = timeutil.china_date(now)
    screened = screen_projects(
        sweep_candidates(), timing=catalogue.SWEEP, today=today, progress=progress
    )
    approved_list = screen_approved_list(today=today)
    return SweepReport(escalated=escalated, screened=screened, approved_list=approved_list)
