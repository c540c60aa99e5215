"""tenderwatch officers — the officer roster (执法人员信息库) as a spreadsheet.

    tenderwatch officers import FILE [--user office_clerk]
    tenderwatch officers export FILE [--user …] [--department housing] [--specialty water]
                                     [--status available] [--dispatchable]
    tenderwatch officers template FILE

`import` applies the file only when every row is good; otherwise it lists each bad row, column
and reason and imports nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tenderwatch.core import context
from tenderwatch.core.errors import DomainError
from tenderwatch.org import selectors, services
from tenderwatch.org.models import Department, User


class Command(BaseCommand):
    help = "Officer roster: import or export it as XLSX, or write an empty template."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="import the roster from an XLSX file (all or nothing)")
        imp.add_argument("file")
        imp.add_argument("--user", default="", help="user name of the office staff member")
        exp = sub.add_parser("export", help="write the roster to an XLSX file")
        exp.add_argument("file")
        exp.add_argument("--user", default="", help="user name of the person exporting")
        exp.add_argument("--department", default="", help="department code")
        exp.add_argument("--specialty", default="", help="specialty code, e.g. water")
        exp.add_argument("--status", default="", help="available, on_leave or suspended")
        exp.add_argument(
            "--dispatchable", action="store_true", help="only officers dispatchable today"
        )
        tpl = sub.add_parser("template", help="write an empty roster template")
        tpl.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            try:
                getattr(self, "_" + options["subcommand"])(options)
            except DomainError as exc:
                raise CommandError(str(exc)) from None

    def _actor(self, options: dict[str, Any]) -> User | None:
        if not options.get("user"):
            return None
        actor = User.objects.filter(username=options["user"], is_active=True).first()
        if actor is None:
            raise CommandError(_("No active user “%(u)s”.") % {"u": options["user"]})
        return actor

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No file %(path)s.") % {"path": path})
        report = services.officers_import_xlsx(
            file=path, actor=self._actor(options), file_name=path.name
        )
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("Nothing was imported: %(n)s problem(s) in %(rows)s row(s).")
                % {"n": len(report.errors), "rows": len(report.bad_rows)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(rows)s rows: %(created)s new, %(updated)s updated, "
                    "%(unchanged)s unchanged."
                )
                % {
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                }
            )
        )

    def _export(self, options: dict[str, Any]) -> None:
        actor = self._actor(options)
        department = None
        if options["department"]:
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                raise CommandError(
                    _("Unknown department code “%(code)s”.") % {"code": options["department"]}
                )
        filters = {
            k: options[k]
            for k in ("department", "specialty", "status", "dispatchable")
            if options[k]
        }
        officers = selectors.officers_filtered(
            user=None,
            department=department,
            specialty=options["specialty"],
            status=options["status"],
            dispatchable=True if options["dispatchable"] else None,
            unscoped=True,
        )
        content = services.officers_export_xlsx(actor=actor, officers=officers, filters=filters)
        Path(options["file"]).write_bytes(content)
        self.stdout.write(
            self.style.SUCCESS(
                _("Wrote %(n)s officers to %(path)s.")
                % {"n": officers.count(), "path": options["file"]}
            )
        )

    def _template(self, options: dict[str, Any]) -> None:
        Path(options["file"]).write_bytes(services.roster_template())
        self.stdout.write(
            self.style.SUCCESS(_("Wrote the template to %(path)s.") % {"path": options["file"]})
        )
