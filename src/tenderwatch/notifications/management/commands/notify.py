"""tenderwatch notify send [--loop] — send the e-mail and SMS messages that are due.

Messages are sent right after the commit that queued them; this sweeper sends what failed (with
backoff) or what was left to it (TW_NOTIFY_SEND_ON_COMMIT = False). Run it from cron, or with
--loop as a service; several may run at once: each claims its rows.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenderwatch.core import context
from tenderwatch.notifications.services import message_send_due


class Command(BaseCommand):
    help = "Outbound e-mail and SMS: `send` sends what is due, with retries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        send = sub.add_parser("send", help="send due messages, with retries")
        send.add_argument("--limit", type=int, default=100, help="at most this many per pass")
        send.add_argument("--loop", action="store_true", help="keep sweeping")
        send.add_argument("--interval", type=float, default=60.0, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            with context.bind(channel="cli"):
                report = message_send_due(limit=options["limit"])
            if report.claimed or not options["loop"]:
                self.stdout.write(
                    f"sent {report.sent}, retrying {report.retrying}, "
                    f"abandoned {report.abandoned}, failed {report.failed}"
                )
            if not options["loop"]:
                return
            time.sleep(options["interval"])
