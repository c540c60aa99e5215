"""tenderwatch workdays — the working-day calendar from the command line.

    tenderwatch workdays list
    tenderwatch workdays show 2026 [--toml]
    tenderwatch workdays import FILE --user office_clerk [--reason "..."] [--dry-run]

`import` reads a year's State Council notice as TOML (see examples/schedule-example.toml),
reports every bad entry with its line, and writes nothing unless the whole file is good.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tenderwatch.core import context
from tenderwatch.core.errors import DomainError
from tenderwatch.org.models import User
from tenderwatch.workdays import selectors, services
from tenderwatch.workdays.models import DayKind
from tenderwatch.workdays.schedule_input import parse_toml, to_toml, weekday_label


class Command(BaseCommand):
    help = "Working-day calendar: list the years covered, show a year, import a year's notice."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("list", help="years with a holiday schedule, and coverage warnings")
        show = sub.add_parser("show", help="the holidays and adjusted workdays of a year")
        show.add_argument("year", type=int)
        show.add_argument("--toml", action="store_true", help="print as an importable TOML file")
        imp = sub.add_parser("import", help="enter or replace a year's schedule from a TOML file")
        imp.add_argument("file", help="TOML file of the notice")
        imp.add_argument(
            "--user", required=True, help="user name of the office staff member entering it"
        )
        imp.add_argument("--reason", default="", help="why (required to replace a schedule)")
        imp.add_argument("--dry-run", action="store_true", help="check and show, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            getattr(self, "_" + options["subcommand"])(options)

    def _list(self, options: dict[str, Any]) -> None:
        for s in selectors.schedules_overview().order_by("year"):
            who = s.entered_by.get_username() if s.entered_by else s.get_source_display()
            counts = {"h": getattr(s, "holiday_count", 0), "w": getattr(s, "workday_count", 0)}
            self.stdout.write(
                f"{s.year}  v{s.version}  "
                + _("%(h)s holiday days, %(w)s adjusted workdays") % counts
                + f"  {s.notice_ref or '—'}  {s.notice_title}  ({who})"
            )
        for warning in selectors.coverage_warnings():
            self.stderr.write(self.style.WARNING(warning))

    def _show(self, options: dict[str, Any]) -> None:
        schedule = selectors.schedule_of(options["year"])
        if schedule is None:
            raise CommandError(
                _("No holiday schedule for %(year)s has been entered.") % {"year": options["year"]}
            )
        days = selectors.days_of(schedule)
        if options["toml"]:
            self.stdout.write(
                to_toml(
                    year=schedule.year,
                    notice_title=schedule.notice_title,
                    notice_ref=schedule.notice_ref,
                    published_on=schedule.published_on,
                    source_url=schedule.source_url,
                    days=days,
                ),
                ending="",
            )
            return
        self.stdout.write(f"{schedule.notice_title}  {schedule.notice_ref}".rstrip())
        if schedule.published_on:
            self.stdout.write(_("Published on %(date)s") % {"date": schedule.published_on})
        for day, kind, name in days:
            label = _("holiday") if kind == DayKind.HOLIDAY else _("adjusted workday")
            self.stdout.write(f"{day.isoformat()} {weekday_label(day)}  {label}  {name}")

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc}
            ) from exc
        draft = parse_toml(text)
        problems = services.check(draft)
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("%(file)s has %(n)s problem(s); nothing was written.")
                % {"file": path, "n": len(problems)}
            )
        assert draft.year is not None
        self.stdout.write(
            _("%(year)s: %(h)s holiday days, %(w)s adjusted workdays")
            % {"year": draft.year, "h": len(draft.holidays), "w": len(draft.adjusted_workdays)}
        )
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was written."))
            return
        try:
            actor = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(
                _("No active user “%(user)s”.") % {"user": options["user"]}
            ) from None
        try:
            schedule = services.schedule_replace(
                year=draft.year,
                days=draft.days,
                notice_title=draft.notice_title,
                notice_ref=draft.notice_ref,
                published_on=draft.published_on,
                source_url=draft.source_url,
                actor=actor,
                reason=options["reason"],
            )
        except services.ScheduleInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("The %(year)s schedule is saved (version %(version)s).")
                % {"year": schedule.year, "version": schedule.version}
            )
        )
