"""tenderwatch screen — the statutory rules and the collusion screens from the command line.

tenderwatch screen run --since 2026-01-01 [--until 2026-03-31] [--rule TD-06] [--only rules|screens]
    run the rules timed "event" (or only --rule) over the projects registered in the period,
    then the collusion screens over their lots as one columnar batch, with progress bars, and
    raise or merge their warnings
tenderwatch screen rules --list
    print the catalogue: each rule, its legal basis, its parameters in force, on or off
tenderwatch screen sweep [--loop --interval 600]
    escalate overdue warnings to the office head and run the rules timed "sweep"
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from tqdm import tqdm

from tenderwatch.core import context, timeutil
from tenderwatch.core.errors import DomainError
from tenderwatch.screening import catalogue, engine


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Statutory rules: `run` over a period, `rules --list`, `sweep`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        run = sub.add_parser("run", help="run the rules over the projects of a period")
        run.add_argument("--since", required=True, help="first registration date, YYYY-MM-DD")
        run.add_argument("--until", help="last registration date, YYYY-MM-DD (default: today)")
        run.add_argument("--rule", help="only this rule (by id), whatever its timing")
        run.add_argument("--chunk", type=int, default=engine.CHUNK, help="projects per batch")
        run.add_argument(
            "--only",
            choices=("rules", "screens"),
            help="only the statutory rules, or only the collusion screens (default: both)",
        )
        run.add_argument("--no-progress", action="store_true", help="no progress bar")
        rules = sub.add_parser("rules", help="the rule catalogue")
        rules.add_argument("--list", action="store_true", required=True, help="print it")
        sweep = sub.add_parser("sweep", help="escalate overdue warnings; run the sweep rules")
        sweep.add_argument("--loop", action="store_true", help="keep sweeping")
        sweep.add_argument("--interval", type=float, default=600.0, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("zh-hans")
        try:
            with context.bind(channel="cli"):
                getattr(self, f"_{options['subcommand']}")(options)
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _run(self, options: dict[str, Any]) -> None:
        since = _date(options["since"])
        until = _date(options["until"]) if options.get("until") else None
        if until is not None and until < since:
            raise CommandError("--until is before --since")
        spec = catalogue.spec_of(options["rule"]) if options.get("rule") else None
        if spec is not None and catalogue.subject_of(spec) == catalogue.APPROVED_PROJECT:
            report = engine.screen_approved_list(
                today=until or timeutil.china_date(), rule_id=options["rule"]
            )
            self.stdout.write(report.summary())
            return
        if options.get("only") != "screens":
            self._run_rules(since, until, options)
        if options.get("only") != "rules" and not options.get("rule"):
            self._run_screens(since, until, options)

    def _bar(self, total: int | None, unit: str, desc: str, options: dict[str, Any]) -> tqdm:
        return tqdm(
            total=total,
            unit=unit,
            desc=desc,
            disable=options["no_progress"],
            file=getattr(self.stderr, "_out", sys.stderr),
        )

    def _run_rules(self, since: dt.date, until: dt.date | None, options: dict[str, Any]) -> None:
        ids = engine.projects_in_period(since, until)
        with self._bar(len(ids), _("projects"), _("statutory rules"), options) as bar:
            report = engine.screen_projects(
                ids,
                timing=catalogue.EVENT,
                rule_id=options.get("rule"),
                chunk=max(1, options["chunk"]),
                progress=bar.update,
            )
        self.stdout.write(report.summary())

    def _run_screens(self, since: dt.date, until: dt.date | None, options: dict[str, Any]) -> None:
        with self._bar(None, _("lots"), _("collusion screens"), options) as bar:
            report = engine.screen_collusion_period(since, until, progress=bar.update)
        self.stdout.write(_("Collusion screens: %(summary)s") % {"summary": report.summary()})

    def _rules(self, options: dict[str, Any]) -> None:
        rules = catalogue.rules_in_force(enabled_only=False)
        if not rules:
            self.stdout.write(_("The rule catalogue is empty."))
            return
        for rule in rules:
            spec = rule.spec
            basis = "；".join(str(b) for b in getattr(spec, "legal_basis", ()))
            state = _("on") if rule.enabled else _("off")
            version = (
                _("settings v%(version)s") % {"version": rule.setting.version}
                if rule.setting
                else _("defaults")
            )
            self.stdout.write(f"{rule.id}\t{spec.title}\t[{state}, {version}, {rule.timing}]")
            self.stdout.write("    " + _("Legal basis: %(basis)s") % {"basis": basis})
            for name, value in rule.params.items():
                param = spec.params[name]
                label = getattr(param, "label", "") or name
                unit = getattr(param, "unit", "") or ""
                self.stdout.write(f"    {name} ({label}) = {value}{unit}")

    def _sweep(self, options: dict[str, Any]) -> None:
        while True:
            report = engine.sweep()
            self.stdout.write(
                _("Escalated: %(n)s. Sweep rules: %(summary)s. Approved-project list: %(approved)s")
                % {
                    "n": len(report.escalated),
                    "summary": report.screened.summary(),
                    "approved": report.approved_list.summary(),
                }
            )
            if not options["loop"]:
                return
            time.sleep(options["interval"])
