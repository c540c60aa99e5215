"""tenderwatch audit verify — walk the chain, name the first broken entry, check the anchors."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenderwatch.audit import services


class Command(BaseCommand):
    help = "Audit trail tools: `verify` checks the hash chain and its anchors outside the database."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="verify the hash chain and the anchors")
        verify.add_argument(
            "--anchors", help="anchor file (default: settings.TW_AUDIT_ANCHOR_FILE)"
        )
        sub.add_parser("anchor", help="write the current head to the anchor file now")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "anchor":
            services.reset_anchor_memory()
            written = services.anchor_head()
            self.stdout.write(
                f"anchored head #{written[0]} {written[1]}" if written else "empty chain"
            )
            return
        anchors = services.read_anchors(options["anchors"]) if options.get("anchors") else None
        report = services.verify(anchors=anchors)
        self.stdout.write(
            f"entries: {report.entries}; head #{report.head_seq} {report.head_hash}; "
            f"anchors checked: {report.anchors_checked}"
        )
        if report.first_broken:
            self.stderr.write(f"BROKEN at entry {report.first_broken}")
        for problem in report.anchor_problems[:20]:
            self.stderr.write(f"ANCHOR MISMATCH at entry {problem}")
        if len(report.anchor_problems) > 20:
            self.stderr.write(f"... and {len(report.anchor_problems) - 20} more anchor problems")
        if not report.ok:
            raise CommandError("audit chain verification FAILED")
        self.stdout.write(self.style.SUCCESS("audit chain OK"))
