"""Named personas for tests (and the shapes the demo uses): one place that builds them.

office_clerk        office staff (领导小组办公室)
seconded_officer    housing department officer seconded to the office: holds both roles
housing_officer     住建 department officer
transport_officer   交通运输 department officer
enforcement_officer 住建 enforcement officer in the pool
section_head        leader, approval level 1 (科室负责人), office
deputy_head         leader, approval level 2 (分管领导), office
principal_head      leader, approval level 3 (主要负责人), office
discipline_liaison  纪检监察 liaison
auditor             reads everything, changes nothing
admin               administrator (also a Django superuser for the admin site)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tenderwatch.org.models import (
    Department,
    DepartmentKind,
    Officer,
    OfficerStatus,
    Role,
    RoleAssignment,
    User,
)

PASSWORD = "tw-demo-2026"  # noqa: S105 — test and demo accounts only

DEPARTMENTS: list[tuple[str, str, str, str]] = [
    ("office", "区公共资源交易监督管理局", "监管局", DepartmentKind.OFFICE),
    ("housing", "区住房和城乡建设局", "住建", DepartmentKind.SUPERVISORY),
    ("transport", "区交通运输局", "交通运输", DepartmentKind.SUPERVISORY),
    ("water", "区水利和湖泊局", "水利和湖泊", DepartmentKind.SUPERVISORY),
    ("agriculture", "区农业农村局", "农业农村", DepartmentKind.SUPERVISORY),
    ("finance", "区财政局（国有资产监督管理局）", "财政", DepartmentKind.SUPERVISORY),
    ("discipline", "区纪委监委派驻纪检监察组", "纪检监察", DepartmentKind.EXTERNAL),
]


@dataclass
class Personas:
    office_clerk: User
    seconded_officer: User
    housing_officer: User
    transport_officer: User
    enforcement_officer: User
    section_head: User
    deputy_head: User
    principal_head: User
    discipline_liaison: User
    auditor: User
    admin: User

    def dept(self, code: str) -> Department:
        return Department.objects.get(code=code)


def ensure_departments() -> dict[str, Department]:
    """The minimal departments personas need, unless a district configuration loaded them."""
    out = {}
    for order, (code, name, short, kind) in enumerate(DEPARTMENTS):
        dept, _ = Department.objects.get_or_create(
            code=code,
            defaults={"name": name, "short_name": short, "kind": kind, "sort_order": order},
        )
        out[code] = dept
    return out


def make_user(
    username: str,
    full_name: str,
    home: Department,
    roles: list[tuple[str, Department, int | None]],
    *,
    superuser: bool = False,
) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        full_name=full_name,
        department=home,
        is_staff=superuser,
        is_superuser=superuser,
    )
    for role, dept, level in roles:
        RoleAssignment.objects.create(user=user, role=role, department=dept, approval_level=level)
    return user


def make_personas() -> Personas:
    d = ensure_departments()
    office, housing, transport = d["office"], d["housing"], d["transport"]
    return Personas(
        office_clerk=make_user(
            "office_clerk", "王晓明", office, [(Role.OFFICE_STAFF, office, None)]
        ),
        seconded_officer=make_user(
            "seconded_officer",
            "李建华",
            housing,
            [(Role.DEPARTMENT_OFFICER, housing, None), (Role.OFFICE_STAFF, office, None)],
        ),
        housing_officer=make_user(
            "housing_officer", "张伟", housing, [(Role.DEPARTMENT_OFFICER, housing, None)]
        ),
        transport_officer=make_user(
            "transport_officer", "刘洋", transport, [(Role.DEPARTMENT_OFFICER, transport, None)]
        ),
        enforcement_officer=make_user(
            "enforcement_officer", "陈静", housing, [(Role.ENFORCEMENT_OFFICER, housing, None)]
        ),
        section_head=make_user("section_head", "赵磊", office, [(Role.LEADER, office, 1)]),
        deputy_head=make_user("deputy_head", "孙丽", office, [(Role.LEADER, office, 2)]),
        principal_head=make_user("principal_head", "周强", office, [(Role.LEADER, office, 3)]),
        discipline_liaison=make_user(
            "discipline_liaison",
            "吴敏",
            d["discipline"],
            [(Role.DISCIPLINE_LIAISON, d["discipline"], None)],
        ),
        auditor=make_user("auditor", "郑芳", office, [(Role.AUDITOR, office, None)]),
        admin=make_user(
            "admin", "系统管理员", office, [(Role.ADMINISTRATOR, office, None)], superuser=True
        ),
    )


def load_district(name: str = "huangzhou", *, actor: User | None = None) -> Any:
    """Load a district configuration as `tenderwatch setup --district` does; the report."""
    from tenderwatch.org import district_config, services

    return services.district_setup(config=district_config.load(name), actor=actor)


def make_officer(
    name: str,
    department: Department,
    certificate_number: str,
    *,
    valid_from: dt.date = dt.date(2024, 1, 1),
    valid_to: dt.date = dt.date(2028, 12, 31),
    specialties: list[str] | None = None,
    status: str = OfficerStatus.AVAILABLE,
    user: User | None = None,
    issuing_body: str = "黄冈市人民政府",
) -> Officer:
    """An enforcement officer in the pool (invented test data)."""
    return Officer.objects.create(
        name=name,
        department=department,
        certificate_number=certificate_number,
        issuing_body=issuing_body,
        valid_from=valid_from,
        valid_to=valid_to,
        specialties=specialties or [],
        status=status,
        user=user,
        source="test",
    )
