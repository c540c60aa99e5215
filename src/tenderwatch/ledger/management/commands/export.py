"""tenderwatch export — the ledger as files.

    tenderwatch export ocds OUT.jsonl|OUT.json [--industry CODE] [--since DATE] [--until DATE]
                       [--category …] [--method …] [--status …] [--region PREFIX] [--q TEXT]

`.jsonl` writes one compiled release a line, `.json` a release package. Every release is
validated against the OCDS 1.1.4 release schema first; if one is invalid nothing is kept and
the problem is printed. Filters are those of the project list (`ledger.selectors.projects_search`,
dates are China dates of registration).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tenderwatch.core import context
from tenderwatch.ledger.ingest import ocds
from tenderwatch.ledger.models import Project


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


class Command(BaseCommand):
    help = "Export the ledger: OCDS compiled releases (JSON Lines or a release package)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="format", required=True)
        exp = sub.add_parser("ocds", help="OCDS 1.1 compiled releases, validated")
        exp.add_argument("out", metavar="OUT.jsonl|OUT.json")
        exp.add_argument("--industry", default="")
        exp.add_argument("--category", default="")
        exp.add_argument("--method", default="")
        exp.add_argument("--status", default="")
        exp.add_argument("--region", default="", help="region code prefix")
        exp.add_argument("--q", default="", help="code, name or tenderer")
        exp.add_argument("--since", type=_day, help="registered on or after (YYYY-MM-DD)")
        exp.add_argument("--until", type=_day, help="registered on or before (YYYY-MM-DD)")
        exp.add_argument("--source", default="", help="only projects of this source")
        exp.add_argument(
            "--private",
            action="store_true",
            help="include bid fingerprints, committee and scores (never for publication)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            self._ocds(options)

    def _ocds(self, options: dict[str, Any]) -> None:
        out = Path(options["out"])
        form = "package" if out.suffix.lower() == ".json" else "jsonl"
        projects = filtered_projects(options)
        fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=out.suffix, dir=out.parent or ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                count = ocds.export_projects(projects, fh, form=form, private=options["private"])
        except ocds.ExportInvalid as exc:
            Path(tmp).unlink(missing_ok=True)
            raise CommandError(
                _("Project %(id)s does not make a valid OCDS release; nothing was written: %(e)s")
                % {"id": exc.external_id, "e": "; ".join(exc.errors)}
            ) from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        Path(tmp).replace(out)
        self.stdout.write(
            _("%(n)d compiled releases written to %(file)s (valid OCDS 1.1).")
            % {"n": count, "file": out}
        )


def filtered_projects(options: dict[str, Any]) -> Any:
    """The projects the filters select (the project list's filters; the command line sees all)."""
    qs = Project.objects.all()
    if options.get("q"):
        from django.db.models import Q

        q = options["q"]
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(tenderer__name__icontains=q))
    for option, lookup in (
        ("industry", "industry"),
        ("category", "category"),
        ("method", "procurement_method"),
        ("status", "status"),
        ("source", "source"),
    ):
        if options.get(option):
            qs = qs.filter(**{lookup: options[option]})
    if options.get("region"):
        qs = qs.filter(region_code__startswith=options["region"])
    from tenderwatch.core.timeutil import CHINA

    if options.get("since"):
        day = options["since"]
        qs = qs.filter(registered_at__gte=dt.datetime(day.year, day.month, day.day, tzinfo=CHINA))
    if options.get("until"):
        day = options["until"] + dt.timedelta(days=1)
        qs = qs.filter(registered_at__lt=dt.datetime(day.year, day.month, day.day, tzinfo=CHINA))
    return qs
