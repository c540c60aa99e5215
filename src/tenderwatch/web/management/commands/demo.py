"""tenderwatch demo — the whole platform on the embedded database, with demo data, on one port.

    tenderwatch demo                          migrate, set up, create demo users, serve
    tenderwatch demo --addrport 0.0.0.0:8080  serve elsewhere
    tenderwatch demo --no-serve               prepare everything and print the logins only
    tenderwatch demo --no-data                without the generated projects

Idempotent: run it again and it changes nothing that is already there. Every write goes
through a service or through the demo set-up path below, which writes an audit entry for each
account and role it creates (channel "cli", actor "system:cli").

The ledger is filled with district-scale generated data (`tenderwatch generate --scale district
--seed 2023`: about 1,500 lots over 2023–2025 with their timelines, and labelled violations in
var/generated/), once: when projects from the generator are already there, nothing is generated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tenderwatch.audit import services as audit
from tenderwatch.core import context, timeutil
from tenderwatch.org.models import Department, Role, RoleAssignment, User
from tenderwatch.org.testing import DEPARTMENTS, PASSWORD
from tenderwatch.web import homes


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    home: str  # department code
    roles: tuple[tuple[str, str, int | None], ...]  # (role, department code, approval level)
    superuser: bool = False


# The personas of tenderwatch.org.testing (the tests check that the two lists agree).
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("office_clerk", "王晓明", "office", ((Role.OFFICE_STAFF, "office", None),)),
    DemoUser(
        "seconded_officer",
        "李建华",
        "housing",
        ((Role.DEPARTMENT_OFFICER, "housing", None), (Role.OFFICE_STAFF, "office", None)),
    ),
    DemoUser("housing_officer", "张伟", "housing", ((Role.DEPARTMENT_OFFICER, "housing", None),)),
    DemoUser(
        "transport_officer", "刘洋", "transport", ((Role.DEPARTMENT_OFFICER, "transport", None),)
    ),
    DemoUser(
        "enforcement_officer", "陈静", "housing", ((Role.ENFORCEMENT_OFFICER, "housing", None),)
    ),
    DemoUser("section_head", "赵磊", "office", ((Role.LEADER, "office", 1),)),
    DemoUser("deputy_head", "孙丽", "office", ((Role.LEADER, "office", 2),)),
    DemoUser("principal_head", "周强", "office", ((Role.LEADER, "office", 3),)),
    DemoUser(
        "discipline_liaison",
        "吴敏",
        "discipline",
        ((Role.DISCIPLINE_LIAISON, "discipline", None),),
    ),
    DemoUser("auditor", "郑芳", "office", ((Role.AUDITOR, "office", None),)),
    DemoUser(
        "admin", "系统管理员", "office", ((Role.ADMINISTRATOR, "office", None),), superuser=True
    ),
)

DEMO_NOTE = "demo setup"


# -- the demo set-up path: creates what is missing, records each creation ----------------------


def _department(code: str) -> Department:
    """The department of the district configuration; the persona departments where the
    configuration has none with that code."""
    found = Department.objects.filter(code=code).first()
    if found is not None:
        return found
    for order, (dcode, name, short, kind) in enumerate(DEPARTMENTS):
        if dcode == code:
            dept = Department.objects.create(
                code=code, name=name, short_name=short, kind=kind, sort_order=100 + order
            )
            audit.record(
                actor=None,
                action="org.department.created",
                obj=dept,
                after=audit.snapshot(dept),
                note=DEMO_NOTE,
            )
            return dept
    raise CommandError(f"no department with code {code!r}")


@transaction.atomic
def ensure_demo_user(spec: DemoUser) -> tuple[User, bool]:
    """Create the demo account and its roles unless the account exists (then leave it as is)."""
    existing = User.objects.filter(username=spec.username).first()
    if existing is not None:
        return existing, False
    user = User.objects.create_user(
        username=spec.username,
        password=PASSWORD,
        full_name=spec.full_name,
        department=_department(spec.home),
        is_staff=spec.superuser,
        is_superuser=spec.superuser,
    )
    audit.record(
        actor=None,
        action="org.user.created",
        obj=user,
        after=audit.snapshot(user, fields=_USER_FIELDS),
        note=DEMO_NOTE,
    )
    for role, code, level in spec.roles:
        assignment = RoleAssignment.objects.create(
            user=user, role=role, department=_department(code), approval_level=level
        )
        audit.record(
            actor=None,
            action="org.role.assigned",
            obj=assignment,
            after=audit.snapshot(assignment),
            note=DEMO_NOTE,
        )
    return user, True


# The password hash stays out of the trail.
_USER_FIELDS = [
    "id",
    "username",
    "full_name",
    "department",
    "is_staff",
    "is_superuser",
    "is_active",
]


@transaction.atomic
def ensure_demo_officer(user: User) -> bool:
    """A certificate in the officer pool for the demo enforcement officer (REQ-02), where the
    org app has the pool. Returns True when created."""
    try:
        officer_model = apps.get_model("org", "Officer")
    except LookupError:
        return False
    manager = officer_model._default_manager
    if manager.filter(user=user).exists():
        return False
    today = timeutil.china_date()
    officer = manager.create(
        user=user,
        name=user.full_name,
        department=user.department,
        certificate_number=f"DEMO-{user.pk:06d}",
        issuing_body="示例：区人民政府（演示数据）",
        valid_from=today - dt.timedelta(days=365),
        valid_to=today + dt.timedelta(days=3 * 365),
        phone="",
        source="demo",
    )
    audit.record(
        actor=None,
        action="org.officer.created",
        obj=officer,
        after=audit.snapshot(officer),
        note=DEMO_NOTE,
    )
    return True


# -- the command -------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Migrate, load the district configuration and demo users, and serve the platform."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--addrport", default="127.0.0.1:8000", help="where to serve (127.0.0.1:8000)"
        )
        parser.add_argument(
            "--district",
            default=getattr(settings, "TW_DISTRICT", "huangzhou"),
            help="the district configuration to load (default: huangzhou)",
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare and print the logins; do not serve"
        )
        parser.add_argument(
            "--no-data", action="store_true", help="do not fill the ledger with generated projects"
        )
        parser.add_argument(
            "--seed", type=int, default=2023, help="seed of the generated projects (2023)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options.get("verbosity", 1))
        database = connection.settings_dict
        name = str(database["NAME"])
        if connection.vendor == "sqlite" and name != ":memory:" and "mode=memory" not in name:
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)  # var/
            self.stdout.write(_("Database: %(path)s") % {"path": database["NAME"]})
        self.stdout.write(_("Applying migrations…"))
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))

        self.stdout.write(
            _("Loading the district configuration “%(d)s”…") % {"d": options["district"]}
        )
        call_command("setup", district=options["district"], stdout=self.stdout)

        created = 0
        with context.bind(channel="cli"):
            for spec in DEMO_USERS:
                user, new = ensure_demo_user(spec)
                created += int(new)
                if spec.username == "enforcement_officer":
                    ensure_demo_officer(user)
        self.stdout.write(
            _("Demo accounts: %(new)s created, %(old)s already there.")
            % {"new": created, "old": len(DEMO_USERS) - created}
        )
        if not options["no_data"]:
            from tenderwatch.generator.demo import load_demo_data

            load_demo_data(
                stdout=self.stdout,
                seed=options["seed"],
                progress_file=self.stderr._out if verbosity > 0 else None,
            )
        from tenderwatch.complaints.demo import load_demo_complaints

        with context.bind(channel="cli"):
            load_demo_complaints(stdout=self.stdout)
        url = f"http://{options['addrport']}/"
        self.stdout.write(self.logins_table(url))
        if options["no_serve"]:
            return
        self.stdout.write(_("Serving on %(url)s — press Ctrl+C to stop.") % {"url": url})
        call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)

    def logins_table(self, url: str) -> str:
        labels = dict(Role.choices)
        rows = []
        for spec in DEMO_USERS:
            roles = [
                r for r in homes.ROLE_PRIORITY if any(r == role for role, _c, _l in spec.roles)
            ]
            rows.append(
                (spec.username, PASSWORD, "、".join(str(labels[r]) for r in roles), spec.full_name)
            )
        head = (_("User name"), _("Password"), _("Role"), pgettext("person", "Name"))
        widths = [max(_width(str(r[i])) for r in [head, *rows]) for i in range(4)]

        def line(cells: tuple[Any, ...]) -> str:
            return "  ".join(_pad(str(c), w) for c, w in zip(cells, widths, strict=True)).rstrip()

        out = [
            "",
            _("tenderwatch demo is ready: %(url)s") % {"url": url},
            "",
            line(head),
            line(tuple("-" * w for w in widths)),
            *(line(r) for r in rows),
            "",
        ]
        return "\n".join(out)


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
