"""tenderwatch feed add-system CODE NAME | rotate-token CODE | list — trading platforms' access.

The token is printed once; only its SHA-256 is stored. Give it to the platform over a channel
the office trusts.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenderwatch.core import context
from tenderwatch.core.errors import DomainError
from tenderwatch.ledger import services
from tenderwatch.ledger.models import FeedSystem
from tenderwatch.ledger.outbound import ADAPTERS


class Command(BaseCommand):
    help = "Trading platforms allowed to push to the feed API: add, rotate a token, list."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add-system", help="connect a platform; prints its token once")
        add.add_argument("code", help="short code, also the source of its records")
        add.add_argument("name")
        add.add_argument("--adapter", default="console", choices=sorted(ADAPTERS))
        add.add_argument("--outbound-url", default="", help="where instructions are POSTed")
        rotate = sub.add_parser("rotate-token", help="issue a new token; the old one stops")
        rotate.add_argument("code")
        sub.add_parser("list", help="list the connected platforms")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            try:
                self._handle(options)
            except DomainError as exc:
                raise CommandError(str(exc)) from None

    def _handle(self, options: dict[str, Any]) -> None:
        command = options["subcommand"]
        if command == "list":
            for system in FeedSystem.objects.order_by("code"):
                self.stdout.write(
                    f"{system.code}\t{system.name}\t{'active' if system.active else 'inactive'}"
                    f"\ttoken {system.token_hint}…\t{system.outbound_adapter}"
                    f" {system.outbound_url}\tlast seen {system.last_seen_at or '-'}"
                )
            return
        if command == "add-system":
            system, token = services.feed_system_add(
                code=options["code"],
                name=options["name"],
                actor=None,
                outbound_adapter=options["adapter"],
                outbound_url=options["outbound_url"],
            )
        else:
            found = FeedSystem.objects.filter(code=options["code"]).first()
            if found is None:
                raise CommandError(f"no system with code {options['code']!r}")
            system = found
            token = services.feed_system_rotate_token(system=system, actor=None)
        self.stdout.write(f"system: {system.code} ({system.name})")
        self.stdout.write(f"token (shown once, keep it safe): {token}")
