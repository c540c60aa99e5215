# ruff: noqa: N999 — the module is the command: `tenderwatch import ocds FILE…`
"""tenderwatch import — bulk import of files into the ledger.

    tenderwatch import ocds FILE... [--source ocds] [--user NAME] [--batch-size 500]

OCDS release packages, record packages and JSON Lines (of releases, compiled releases, records or
packages), detected from their content and streamed. Every process is stored or refused with its
reason; a line that is not JSON is named. Re-importing the same files changes nothing (one audit
entry says the import ran). The counts, the time taken and every refusal are printed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from tenderwatch.core import context
from tenderwatch.core.errors import DomainError
from tenderwatch.ledger.ingest import ocds
from tenderwatch.ledger.ingest.writer import IngestReport
from tenderwatch.org.models import User


class Command(BaseCommand):
    help = "Import files into the ledger: OCDS (release/record packages, JSON Lines)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="format", required=True)
        imp = sub.add_parser("ocds", help="OCDS packages or JSON Lines, streamed")
        imp.add_argument("files", nargs="+", metavar="FILE")
        imp.add_argument(
            "--source",
            default=ocds.DEFAULT_SOURCE,
            help="the source recorded on every row (default: ocds)",
        )
        imp.add_argument("--user", default="", help="user name of the staff member importing")
        imp.add_argument("--batch-size", type=int, default=500, help="processes per transaction")
        imp.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            self._ocds(options)

    def _ocds(self, options: dict[str, Any]) -> None:
        paths = [Path(f) for f in options["files"]]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(_("No such file: %(files)s") % {"files": ", ".join(missing)})
        source = options["source"].strip()
        if not source or len(source) > 60:
            raise CommandError(_("A source is 1 to 60 characters."))
        actor = None
        if options["user"]:
            try:
                actor = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist:
                raise CommandError(
                    _("No active user “%(user)s”.") % {"user": options["user"]}
                ) from None
        bar: Any = tqdm(
            unit=str(_(" processes")),
            disable=bool(options["no_progress"]) or None,
            file=sys.stderr,
            desc=str(_("Importing")),
        )
        started = time.perf_counter()
        try:
            report = ocds.import_files(
                paths,
                actor=actor,
                source=source,
                progress=bar.update,
                batch_size=max(1, options["batch_size"]),
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self._print(report, time.perf_counter() - started)

    def _print(self, report: IngestReport, elapsed: float) -> None:
        for refusal in report.refused:
            where = " ".join(p for p in (refusal.origin, refusal.where) if p)
            self.stderr.write(
                _("refused %(id)s [%(where)s]: %(reason)s")
                % {
                    "id": refusal.external_id or "—",
                    "where": where or "—",
                    "reason": refusal.reason,
                }
            )
        rate = report.bids_written / elapsed if elapsed else 0.0
        self.stdout.write(
            _(
                "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(stale)d "
                "stale, %(refused)d refused; %(bids)d bids written in %(seconds).1f s "
                "(%(rate).0f bids/s)."
            )
            % {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "stale": report.stale,
                "refused": len(report.refused),
                "bids": report.bids_written,
                "seconds": elapsed,
                "rate": rate,
            }
        )
