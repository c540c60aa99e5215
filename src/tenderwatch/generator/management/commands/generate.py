"""tenderwatch generate — realistic tendering data with labelled violations.

    tenderwatch generate --scale district --seed 1                      into the database
    tenderwatch generate --scale province --seed 1 --format ocds-jsonl  DIR/releases.jsonl
    tenderwatch generate --scale national --seed 1 --format parquet     DIR/{lots,bids}.parquet
    [--out DIR] [--years 3] [--start 2023-01-01] [--violation-rate-scale 1.0] [--lots N]
    [--workers N] [--no-progress]

Scales (DESIGN.md): district ≈1,500 lots in three years; province 200,000 lots and about
1,000,000 bids; national 1,000,000 lots and about 5,000,000 bids — per three years: `--years 6`
doubles them. `--lots` sets another size (lots in all) with the shape of the scale. The same
seed gives the same data, byte for byte. The labels of the injected violations go to
DIR/labels.jsonl and DIR/labels.csv in every format, with the counts and rates in
DIR/generation.json. Writing to the database is idempotent: a second run with the same seed
changes nothing. The rates and the rules they break: `tenderwatch.generator.violations`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from tenderwatch.core import context
from tenderwatch.generator.model import SCALES, Scale
from tenderwatch.generator.outputs import FORMATS, Options, Result, run
from tenderwatch.generator.workcal import OutOfCalendar, WorkCalendar


def default_out() -> Path:
    return Path(settings.VAR_DIR) / "generated"


def load_calendar(*, needs_database: bool) -> tuple[WorkCalendar, str]:
    """The working-day calendar the office keeps; for files without a database, the built-in
    schedules (the same days the database is seeded with). Returns it with a note or ""."""
    try:
        return WorkCalendar.from_database(), ""
    except (DatabaseError, OutOfCalendar) as exc:
        if needs_database:
            raise CommandError(
                _("The working-day calendar cannot be read (%(error)s); run “tenderwatch migrate”.")
                % {"error": exc}
            ) from exc
        return WorkCalendar.from_builtin(), _(
            "The database's working-day calendar cannot be read; the built-in schedules are used."
        )


class Command(BaseCommand):
    help = "Generate realistic tendering data with labelled violations."
    # Files can be generated without a database; the checks would connect to one.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="district")
        parser.add_argument("--seed", type=int, required=True, help="the same seed, the same data")
        parser.add_argument(
            "--out", default="", help="folder for the files and labels (default: var/generated)"
        )
        parser.add_argument("--format", choices=FORMATS, default="db")
        parser.add_argument("--years", type=int, default=3, help="years of registrations (3)")
        parser.add_argument(
            "--start", default="2023-01-01", help="first day of registrations (2023-01-01)"
        )
        parser.add_argument(
            "--violation-rate-scale",
            type=float,
            default=1.0,
            help="multiply every violation rate (0 gives clean data)",
        )
        parser.add_argument(
            "--lots", type=int, default=0, help="another size: about this many lots in all"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=0,
            help="processes writing OCDS (default: the number of CPUs)",
        )
        parser.add_argument("--batch-size", type=int, default=500, help="projects per transaction")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start = dt.date.fromisoformat(options["start"])
        except ValueError:
            raise CommandError(
                _("--start is a date such as 2023-01-01, not “%(value)s”.")
                % {"value": options["start"]}
            ) from None
        if options["years"] < 1:
            raise CommandError(_("--years is at least 1."))
        if options["violation_rate_scale"] < 0:
            raise CommandError(_("--violation-rate-scale cannot be negative."))
        if options["lots"] < 0:
            raise CommandError(_("--lots cannot be negative."))
        scale = SCALES[options["scale"]]
        if options["lots"]:
            # A scale counts lots over three years; --lots counts them over the whole run.
            scale = Scale.custom(
                scale.market, max(1, round(options["lots"] * 3 / options["years"]))
            )
        calendar, note = load_calendar(needs_database=options["format"] == "db")
        if note:
            self.stderr.write(note)
        run_options = Options(
            scale=scale,
            seed=options["seed"],
            out=Path(options["out"]) if options["out"] else default_out(),
            format=options["format"],
            start=start,
            years=options["years"],
            rate_scale=options["violation_rate_scale"],
            workers=options["workers"] or (os.cpu_count() or 1),
            progress=not options["no_progress"],
            progress_file=self.stderr._out,
            batch_size=max(1, options["batch_size"]),
        )
        try:
            with context.bind(channel="cli"):
                result = run(run_options, calendar)
        except (ValueError, OutOfCalendar) as exc:
            raise CommandError(str(exc)) from exc
        self._print(run_options, result)

    def _print(self, options: Options, result: Result) -> None:
        for note in result.notes:
            self.stderr.write(note)
        stats = result.stats
        self.stdout.write(
            _(
                "Generated %(projects)d projects, %(lots)d lots and %(bids)d bids "
                "(scale %(scale)s, seed %(seed)d) in %(seconds).1f s."
            )
            % {
                "projects": stats["projects"],
                "lots": stats["lots"],
                "bids": stats["bids"],
                "scale": options.scale.name,
                "seed": options.seed,
                "seconds": result.elapsed,
            }
        )
        report = result.report
        if report is not None:
            for refusal in report.refused[:20]:
                self.stderr.write(
                    _("refused %(id)s [%(where)s]: %(reason)s")
                    % {"id": refusal.external_id, "where": refusal.where, "reason": refusal.reason}
                )
            self.stdout.write(
                _(
                    "Database: %(created)d created, %(updated)d updated, %(unchanged)d "
                    "unchanged, %(refused)d refused."
                )
                % {
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "refused": len(report.refused),
                }
            )
        self.stdout.write(_("Violations injected (code, rule, injected / eligible, rate):"))
        for code, row in stats["violations"].items():
            self.stdout.write(
                f"  {code:<27} {row['rule']:<9} {row['injected']:>7} / {row['eligible']:<8} "
                f"{row['rate']:.2%}"
            )
        for path in result.files:
            self.stdout.write(_("Wrote %(path)s") % {"path": path})
        if report is not None and report.refused:
            raise CommandError(
                _("%(n)d generated projects were refused by the ledger.")
                % {"n": len(report.refused)}
            )
