"""tenderwatch outbound send [--loop] — deliver due instructions to the trading platforms.

Run it from cron (or with --loop as a service); several may run at once: each claims its rows.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenderwatch.core import context
from tenderwatch.ledger.outbound import outbound_send


class Command(BaseCommand):
    help = "Outbound instructions to trading platforms: `send` delivers what is due."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        send = sub.add_parser("send", help="deliver due instructions, with retries")
        send.add_argument("--limit", type=int, default=50, help="at most this many per pass")
        send.add_argument("--loop", action="store_true", help="keep sweeping")
        send.add_argument("--interval", type=float, default=10.0, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            with context.bind(channel="cli"):
                report = outbound_send(limit=options["limit"])
            if report.claimed or not options["loop"]:
                self.stdout.write(
                    f"delivered {report.delivered}, retrying {report.retrying}, "
                    f"failed {report.failed}"
                )
            if not options["loop"]:
                return
            time.sleep(options["interval"])
