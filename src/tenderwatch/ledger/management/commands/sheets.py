"""tenderwatch sheets — the office's spreadsheets from the command line.

    tenderwatch sheets import FILE --kind projects|bids|events|workbook [--source NAME]
                                   [--user USERNAME] [--dry-run]
    tenderwatch sheets template projects|bids|events OUT.xlsx|OUT.csv [--encoding utf-8|gbk]
    tenderwatch sheets export OUT.xlsx [--industry CODE] [--category …] [--method …]
                              [--status …] [--region PREFIX] [--q TEXT] [--since DATE]
                              [--until DATE] [--must-tender yes|no] [--source SOURCE]

`import` checks every row and writes nothing unless the whole file is good; every problem is
printed with its sheet, row and column (the command exits with an error). A good file is
written in one transaction (`ingest.tabular`). Without --user the server's operator imports.
`export` writes the projects the filters select (the project list's filters; dates are China
dates of registration), with their lots, bids and procedure steps.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tenderwatch.core import context
from tenderwatch.core.errors import DomainError
from tenderwatch.ledger import export_xlsx
from tenderwatch.ledger.ingest import tabular
from tenderwatch.ledger.management.commands.export import filtered_projects
from tenderwatch.org.models import User


def _day(value: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(value)


class Command(BaseCommand):
    help = "Spreadsheets: import (all-or-nothing, with a row report), templates, Excel export."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="import an .xlsx or .csv file, all rows or none")
        imp.add_argument("file")
        imp.add_argument(
            "--kind",
            required=True,
            choices=[*tabular.KINDS, tabular.WORKBOOK],
            help="what the file holds; workbook: every sheet of an export",
        )
        imp.add_argument("--source", default="", help="names the channel of new projects")
        imp.add_argument("--user", default="", help="user name of the office staff importing")
        imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        imp.add_argument("--no-progress", action="store_true", help="no progress bar")
        tpl = sub.add_parser("template", help="write an empty template")
        tpl.add_argument("kind", choices=[tabular.PROJECTS, tabular.BIDS, tabular.EVENTS])
        tpl.add_argument("out", metavar="OUT.xlsx|OUT.csv")
        tpl.add_argument("--encoding", choices=["utf-8", "gbk"], default="utf-8", help="CSV only")
        exp = sub.add_parser("export", help="the selected projects as an Excel workbook")
        exp.add_argument("out", metavar="OUT.xlsx")
        exp.add_argument("--industry", default="")
        exp.add_argument("--category", default="")
        exp.add_argument("--method", default="")
        exp.add_argument("--status", default="")
        exp.add_argument("--region", default="", help="region code prefix")
        exp.add_argument("--q", default="", help="code, name or tenderer")
        exp.add_argument("--since", type=_day, help="registered on or after (YYYY-MM-DD)")
        exp.add_argument("--until", type=_day, help="registered on or before (YYYY-MM-DD)")
        exp.add_argument("--must-tender", choices=["yes", "no"], default="")
        exp.add_argument("--source", default="", help="only projects of this source")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            getattr(self, "_" + options["subcommand"])(options)

    def _user(self, username: str) -> User | None:
        if not username:
            return None
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(_("No active user “%(user)s”.") % {"user": username}) from None

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("Cannot read %(file)s.") % {"file": path})
        actor = self._user(options["user"])
        bar = None
        if not options["no_progress"] and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(unit=" rows", desc=path.name, file=sys.stderr)

        def progress(n: int) -> None:
            if bar is not None:
                bar.update(n - bar.n)

        try:
            report = tabular.sheet_import(
                actor=actor,
                file=path,
                kind=options["kind"],
                source=options["source"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar is not None:
                bar.close()
        facts = [report.file_format.upper()]
        if report.encoding:
            facts.append(_("encoding %(encoding)s") % {"encoding": report.encoding})
        facts.append(_("%(n)s rows") % {"n": report.rows})
        self.stdout.write(f"{path.name}: " + ", ".join(facts))
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            if report.more_problems:
                self.stderr.write(_("… and %(n)s more.") % {"n": report.more_problems})
            raise CommandError(
                _("%(file)s has %(n)s problem(s); nothing was imported.")
                % {"file": path.name, "n": report.problems_total}
            )
        for key, value in sorted(report.counts.items()):
            self.stdout.write(f"  {key}: {value}")
        if report.written:
            self.stdout.write(
                _("Imported; new projects have the source %(source)s.") % {"source": report.source}
            )
        else:
            self.stdout.write(_("The file is good. Dry run: nothing was written."))

    def _template(self, options: dict[str, Any]) -> None:
        out = Path(options["out"])
        if out.suffix.lower() == ".csv":
            content = tabular.template_csv(options["kind"], options["encoding"])
        else:
            content = tabular.template_xlsx(options["kind"])
        out.write_bytes(content)
        self.stdout.write(_("Template written to %(file)s.") % {"file": out})

    def _export(self, options: dict[str, Any]) -> None:
        out = Path(options["out"])
        projects = filtered_projects(options)
        if options.get("must_tender"):
            projects = projects.filter(must_tender=options["must_tender"] == "yes")
        projects = projects.order_by("-registered_at", "-id")
        fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".xlsx", dir=out.parent or ".")
        try:
            with os.fdopen(fd, "wb") as fh:
                counts = export_xlsx.export_workbook(projects, fh)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        Path(tmp).replace(out)
        self.stdout.write(
            _(
                "%(projects)d projects, %(lots)d lots, %(bids)d bids and %(events)d procedure "
                "steps written to %(file)s."
            )
            % {
                "projects": counts.projects,
                "lots": counts.lots,
                "bids": counts.bids,
                "events": counts.events,
                "file": out,
            }
        )
