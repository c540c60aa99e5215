"""tenderwatch setup — load a district's configuration (departments, leading group, authority
list, approval routes).

    tenderwatch setup --district huangzhou          a district shipped in tenderwatch/districts/
    tenderwatch setup --district /etc/tw/xyz.toml   any file of the same format
    tenderwatch setup --district huangzhou --check  check the file, write nothing

Re-running with the same file changes nothing and says so. A file with problems is refused as a
whole: every problem is listed and nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tenderwatch.core import context
from tenderwatch.core.errors import DomainError
from tenderwatch.org import district_config
from tenderwatch.org.models import User
from tenderwatch.org.services import SECTION_LABELS, district_setup


class Command(BaseCommand):
    help = "Load a district's configuration: departments, leading group, authority list, routes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--district",
            default=getattr(settings, "TW_DISTRICT", "huangzhou"),
            help="a packaged district name (e.g. huangzhou) or the path of a TOML/YAML file",
        )
        parser.add_argument(
            "--user", default="", help="user name of the administrator running it (optional)"
        )
        parser.add_argument("--check", action="store_true", help="check the file, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            try:
                config = district_config.load(options["district"])
            except district_config.ConfigInvalid as exc:
                raise CommandError(str(exc)) from None
            except DomainError as exc:
                raise CommandError(str(exc)) from None
            if options["check"]:
                self.stdout.write(
                    self.style.SUCCESS(
                        _(
                            "%(source)s is valid: %(departments)s departments, %(rules)s lines "
                            "in the authority list."
                        )
                        % {
                            "source": config.source,
                            "departments": len(config.departments),
                            "rules": len(config.rules),
                        }
                    )
                )
                return
            actor = None
            if options["user"]:
                actor = User.objects.filter(username=options["user"], is_active=True).first()
                if actor is None:
                    raise CommandError(_("No active user “%(u)s”.") % {"u": options["user"]})
            try:
                report = district_setup(config=config, actor=actor)
            except district_config.ConfigInvalid as exc:
                raise CommandError(str(exc)) from None
            except DomainError as exc:
                raise CommandError(str(exc)) from None
        for name, section in report.sections.items():
            self.stdout.write(
                _("%(section)s: %(created)s created, %(changed)s changed, %(unchanged)s unchanged")
                % {
                    "section": _(SECTION_LABELS.get(name, name)),
                    "created": len(section.created),
                    "changed": len(section.changed),
                    "unchanged": len(section.unchanged),
                }
            )
            for label in section.changed:
                self.stdout.write(f"  ~ {label}")
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(district)s is configured from %(source)s.")
                    % {"district": report.district, "source": report.source}
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Nothing to change: the database already matches %(source)s.")
                    % {"source": report.source}
                )
            )
