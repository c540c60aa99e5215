"""tenderwatch letters sweep [--older-than-hours 24] [--dry-run] — remove the letter files no
letter refers to (left by an issue whose transaction rolled back), with an audit entry naming
each. Run it daily from cron."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from tenderwatch.core import context
from tenderwatch.letters.services import ORPHAN_AGE, orphan_files, orphan_files_sweep


class Command(BaseCommand):
    help = "Official letters: `sweep` removes the files no issued letter refers to."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sweep = sub.add_parser("sweep", help="remove letter files no letter refers to")
        sweep.add_argument(
            "--older-than-hours",
            type=float,
            default=ORPHAN_AGE.total_seconds() / 3600,
            help="only files last written longer ago than this",
        )
        sweep.add_argument("--dry-run", action="store_true", help="list them, remove nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        older_than = dt.timedelta(hours=options["older_than_hours"])
        with context.bind(channel="cli"):
            if options["dry_run"]:
                found = orphan_files(older_than=older_than)
            else:
                found = orphan_files_sweep(older_than=older_than)
        for orphan in found:
            self.stdout.write(f"{orphan.name}\t{orphan.size}\t{orphan.sha256}")
        message = (
            _("%(count)d letter files no letter refers to (nothing removed).")
            if options["dry_run"]
            else _("%(count)d letter files no letter refers to, removed.")
        )
        self.stdout.write(message % {"count": len(found)})
