"""tenderwatch approved — the approved-projects list (应进必进) from the command line.

    tenderwatch approved import FILE --user office_clerk [--dry-run]
    tenderwatch approved match [--user office_clerk]
    tenderwatch approved not-entered
    tenderwatch approved template OUT.xlsx

`import` checks every row and writes nothing unless the whole file is good (the report names
each bad row); `match` links approved projects to projects that entered since; `not-entered`
lists approved must-tender projects that have not entered the platform.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tenderwatch.core import context
from tenderwatch.core.errors import DomainError
from tenderwatch.ledger import approved
from tenderwatch.org.models import User


class Command(BaseCommand):
    help = "Approved-projects list (应进必进): import, match, list those not entered, template."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="import an approved-projects workbook (.xlsx)")
        imp.add_argument("file")
        imp.add_argument("--user", default="", help="user name of the office staff importing it")
        imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        match = sub.add_parser("match", help="match approved projects to projects entered since")
        match.add_argument("--user", default="", help="user name recorded as the actor")
        sub.add_parser("not-entered", help="approved must-tender projects not on the platform")
        tpl = sub.add_parser("template", help="write the empty template workbook")
        tpl.add_argument("out")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            getattr(self, "_" + options["subcommand"].replace("-", "_"))(options)

    def _user(self, username: str, *, required: bool) -> User | None:
        if not username:
            if required:
                raise CommandError(_("Name the office staff member with --user."))
            return None
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(_("No active user “%(user)s”.") % {"user": username}) from None

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc}
            ) from exc
        if options["dry_run"]:
            parsed = approved.parse_workbook(data)
            for problem in parsed.problems:
                self.stderr.write(str(problem))
            if parsed.problems:
                raise CommandError(
                    _("%(file)s has %(n)s problem(s); nothing would be imported.")
                    % {"file": path, "n": len(parsed.problems)}
                )
            self.stdout.write(
                _("%(n)s rows are good. Dry run: nothing was written.") % {"n": len(parsed.rows)}
            )
            return
        actor = self._user(options["user"], required=True)
        try:
            report = approved.approved_import(actor=actor, data=data, filename=path.name)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        if not report.written:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("%(file)s has %(n)s problem(s); nothing was imported.")
                % {"file": path, "n": len(report.problems)}
            )
        for row in report.rows:
            project = row.matched_project.code if row.matched_project else "—"
            self.stdout.write(
                f"{row.row:>5}  {row.approval_no}  {row.name}  "
                f"{_yes_no(row.must_tender)}  {project} {row.match_method_label}".rstrip()
            )
        counts = report.counts()
        self.stdout.write(
            _(
                "Imported %(rows)s rows (%(created)s new, %(updated)s updated); %(matched)s "
                "matched; %(not_entered)s must be tendered and have not entered. SHA-256 %(sha)s"
            )
            % {**counts, "not_entered": counts["must_tender_not_entered"], "sha": report.sha256}
        )

    def _match(self, options: dict[str, Any]) -> None:
        actor = self._user(options["user"], required=False)
        n = approved.approved_rematch(actor=actor)
        self.stdout.write(_("%(n)s approved project(s) matched to a project.") % {"n": n})

    def _not_entered(self, options: dict[str, Any]) -> None:
        rows = approved.approved_not_entered()
        for ap in rows:
            amount = f"{ap.amount:.2f}" if ap.amount is not None else "—"
            self.stdout.write(
                f"{ap.approval_no}  {ap.approved_on or '—'}  {ap.name}  {ap.owner_name}  {amount}"
            )
        self.stdout.write(
            _("%(n)s approved must-tender project(s) have not entered the platform.")
            % {"n": rows.count()}
        )

    def _template(self, options: dict[str, Any]) -> None:
        out = Path(options["out"])
        out.write_bytes(approved.template_workbook())
        self.stdout.write(_("Template written to %(file)s.") % {"file": out})


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("not assessed")
    return _("must tender") if value else _("need not tender")
