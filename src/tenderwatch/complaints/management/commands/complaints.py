"""tenderwatch complaints — the sweeper and maintenance of complaints and tip-offs.

    tenderwatch complaints sweep            escalate what fell overdue (run it every few minutes)
    tenderwatch complaints sweep --now 2026-10-09T09:00+08:00
    tenderwatch complaints recompute        count every open deadline again (settings changed)
    tenderwatch complaints rekey            reseal identities under TW_COMPLAINTS_ACTIVE_KEY_ID

The sweeper claims each overdue deadline with a conditional UPDATE, so several can run at once
(cron on two machines) without escalating anything twice; it needs no broker.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tenderwatch.complaints import clocks, services
from tenderwatch.complaints.models import LIVE_STATES, Deadline, Matter
from tenderwatch.core import context, timeutil


class Command(BaseCommand):
    help = "Complaints and tip-offs: escalate overdue matters, recount deadlines, rotate keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sweep = sub.add_parser("sweep", help="escalate overdue deadlines to the office head")
        sweep.add_argument("--now", help="the time to sweep at (ISO 8601 with offset)")
        sub.add_parser("recompute", help="count every open deadline again")
        sub.add_parser("rekey", help="reseal identities under the active key id")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            getattr(self, "_" + options["subcommand"])(options)

    def _sweep(self, options: dict[str, Any]) -> None:
        now = timeutil.now()
        if options.get("now"):
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(_("--now must be an ISO 8601 time with its offset")) from None
            if now.tzinfo is None:
                raise CommandError(_("--now must be an ISO 8601 time with its offset"))
        report = services.deadlines_sweep(now=now)
        for e in report.escalated:
            self.stdout.write(
                f"{e.matter.number}  {e.deadline.get_clock_display()}  "
                f"{e.due_at.astimezone(timeutil.CHINA):%Y-%m-%d %H:%M}  → {e.get_target_display()}"
            )
        self.stdout.write(_("%(n)s deadlines escalated.") % {"n": len(report.escalated)})

    def _recompute(self, options: dict[str, Any]) -> None:
        ids = Deadline.objects.filter(state__in=LIVE_STATES).values_list("pk", flat=True)
        count = clocks.recompute_ids(list(ids), note=_("recounted on request"))
        self.stdout.write(_("%(n)s deadlines counted again.") % {"n": count})

    def _rekey(self, options: dict[str, Any]) -> None:
        changed = 0
        for matter in Matter.objects.exclude(identity_sealed="").only("pk").iterator():
            changed += int(services.matter_rekey(matter=matter))
        self.stdout.write(_("%(n)s identities resealed.") % {"n": changed})
