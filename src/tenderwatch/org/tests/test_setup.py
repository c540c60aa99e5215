"""`tenderwatch setup --district huangzhou`: departments of the 附件, the leading group, the
authority list and the approval routes, loaded idempotently; a bad file writes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tenderwatch import districts
from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import PermissionDenied
from tenderwatch.org import district_config, services
from tenderwatch.org.models import (
    AuthorityRule,
    Department,
    DepartmentKind,
    District,
    GroupPosition,
    LeadingGroup,
    LeadingGroupMember,
    Role,
)
from tenderwatch.org.scoping import scope_of
from tenderwatch.org.testing import load_district

pytestmark = pytest.mark.django_db

# The 附件 of 黄州公管委发〔2023〕1号 lists 20 member units, and the supervision bureau itself.
ANNEX_UNITS = [
    "区发展和改革局",
    "区科学技术和经济信息化局",
    "区公安分局",
    "区民政局",
    "区司法局",
    "区财政局（国有资产监督管理局）",
    "区审计局",
    "区自然资源和规划局",
    "区生态环境分局",
    "区住房和城乡建设局",
    "区交通运输局",
    "区水利和湖泊局",
    "区农业农村局",
    "区商务局",
    "区文化和旅游局",
    "区卫生健康局",
    "区市场监督管理局",
    "区医疗保障局",
    "区公共资源交易中心（区政府采购中心）",
    "区税务局",
    "区公共资源交易监督管理局",
]


def run_setup(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("setup", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "test-district.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def huangzhou_text() -> str:
    path = districts.find("huangzhou")
    assert path is not None
    return path.read_text(encoding="utf-8")


def test_setup_loads_every_unit_of_the_annex(db) -> None:
    output = run_setup("--district", "huangzhou")
    assert len(ANNEX_UNITS) == 21
    names = set(Department.objects.values_list("name", flat=True))
    assert set(ANNEX_UNITS) <= names
    # … plus the discipline inspection body that receives 一案三查 referrals.
    assert Department.objects.count() == 22
    assert Department.objects.get(code="discipline").kind == DepartmentKind.EXTERNAL
    office = Department.objects.get(kind=DepartmentKind.OFFICE)
    assert (office.code, office.name) == ("office", "区公共资源交易监督管理局")
    assert set(
        Department.objects.filter(kind=DepartmentKind.SUPERVISORY).values_list("code", flat=True)
    ) == {
        "housing",
        "transport",
        "water",
        "agriculture",
        "finance",
        "natural_resources",
        "medical_security",
    }
    assert set(Department.objects.values_list("region_code", flat=True)) == {"421102"}

    district = District.objects.get()
    assert (district.name, district.region_code) == ("黄州区", "421102")
    assert (district.plan_ref, district.plan_date) == (
        "黄州公管委发〔2023〕1号",
        dt.date(2023, 1, 30),
    )

    group = LeadingGroup.objects.get()
    assert group.name == "黄州区公共资源交易综合监管联动执法工作领导小组"
    assert group.office == office
    posts = group.members.all()
    by_position = {p: posts.filter(position=p) for p in GroupPosition.values}
    assert by_position["leader"].get().title == "分管公共资源交易监督管理工作的副区长"
    assert sorted(by_position["deputy"].values_list("title", flat=True)) == sorted(
        ["区政府办副主任", "区公共资源交易监督管理局主要负责同志"]
    )
    members = by_position["member"]
    assert members.count() == 21
    assert set(members.values_list("department__name", flat=True)) == set(ANNEX_UNITS)
    assert by_position["office_head"].get().department == office
    assert by_position["office_deputy"].get().department == office
    assert not posts.exclude(person_name="").exists()  # the plan names posts, not people

    assert AuthorityRule.objects.count() == 8
    assert "部门：新建 22，修改 0，未变 0" in output
    assert "已按 huangzhou.toml 完成黄州区的配置。" in output
    setup_entry = AuditEntry.objects.get(action="org.district.setup")
    assert setup_entry.actor_name == "system:cli"
    assert setup_entry.after["counts"]["departments"]["created"] == 22


def test_setup_is_idempotent_and_says_so(db) -> None:
    run_setup("--district", "huangzhou")
    entries = AuditEntry.objects.count()
    output = run_setup("--district", "huangzhou")
    assert AuditEntry.objects.count() == entries  # nothing changed, nothing recorded
    assert "huangzhou.toml" in output
    assert "部门：新建 0，修改 0，未变 22" in output
    assert "无需修改：数据库已与 huangzhou.toml 一致。" in output
    report = load_district()
    assert not report.changed
    assert report.sections["departments"].unchanged == [
        d.code for d in Department.objects.order_by("sort_order")
    ]


def test_setup_runs_after_the_personas_and_keeps_their_departments(personas) -> None:
    housing_before = personas.dept("housing").pk
    report = load_district(actor=personas.admin)
    # The personas' departments are taken over (region code and order added), not duplicated.
    assert "housing" in report.sections["departments"].changed
    assert "ndrc" in report.sections["departments"].created
    assert Department.objects.get(code="housing").pk == housing_before
    assert Department.objects.count() == 22
    entry = AuditEntry.objects.get(action="org.district.setup")
    assert entry.actor_name == "admin"


def test_only_an_administrator_may_run_setup(personas) -> None:
    config = district_config.load("huangzhou")
    with pytest.raises(PermissionDenied):
        services.district_setup(config=config, actor=personas.office_clerk)
    assert not District.objects.exists()


def test_what_the_office_entered_survives_a_rerun(district, personas) -> None:
    leader = LeadingGroupMember.objects.get(key="leader")
    services.group_member_update(
        member=leader,
        actor=personas.office_clerk,
        person_name="测试甲",
        person_title="副区长",
        valid_from=dt.date(2023, 1, 30),
    )
    rule = AuthorityRule.objects.get(industry="agriculture")
    services.authority_rule_update(
        rule=rule,
        actor=personas.office_clerk,
        industry=rule.industry,
        matter_type=rule.matter_type,
        department=rule.department,
        legal_basis=rule.legal_basis,
        active=False,
        reason="测试：暂停",
    )
    report = load_district(actor=personas.admin)
    assert not report.changed
    leader.refresh_from_db()
    assert (leader.person_name, leader.valid_from) == ("测试甲", dt.date(2023, 1, 30))
    rule.refresh_from_db()
    assert rule.active is False


def test_a_changed_file_is_applied_and_audited(tmp_path, district, personas) -> None:
    text = huangzhou_text().replace('short_name = "发改"', 'short_name = "发展改革"')
    report = services.district_setup(
        config=district_config.load(str(write(tmp_path, text))), actor=personas.admin
    )
    assert report.sections["departments"].changed == ["ndrc"]
    assert Department.objects.get(code="ndrc").short_name == "发展改革"
    ndrc = Department.objects.get(code="ndrc")
    entry = AuditEntry.objects.get(action="org.department.changed", object_id=str(ndrc.pk))
    assert entry.actor_name == "admin"
    assert entry.before == {"short_name": "发改"}
    assert entry.after == {"short_name": "发展改革"}


def test_approval_routes_are_loaded_with_the_district(db) -> None:
    # approvals.defaults.DEFAULT_ROUTES apply when the file has no [[approval_routes]].
    from tenderwatch.approvals.defaults import DEFAULT_ROUTES
    from tenderwatch.approvals.models import ApprovalRoute

    report = load_district()
    assert set(report.sections["approval_routes"].created) == {r["kind"] for r in DEFAULT_ROUTES}
    assert ApprovalRoute.objects.count() == len(DEFAULT_ROUTES)


def test_routes_in_the_file_replace_the_defaults(tmp_path, db) -> None:
    from tenderwatch.approvals.models import ApprovalRoute

    text = huangzhou_text() + (
        "\n[[approval_routes]]\n"
        'kind = "complaint_decision"\n'
        'name = "投诉处理决定审批（测试）"\n'
        'levels = [ { stage = "承办", role = "office_staff" }, { stage = "审批", level = 3 } ]\n'
    )
    load_district(str(write(tmp_path, text)))
    assert list(ApprovalRoute.objects.values_list("kind", "name")) == [
        ("complaint_decision", "投诉处理决定审批（测试）")
    ]


BAD_CASES = {
    "unknown department in the authority list": (
        'department = "housing"\nlegal_basis = """《招标投标法实施条例》',
        'department = "urban_management"\nlegal_basis = """《招标投标法实施条例》',
        "[[authority]] #1: 未知的部门代码“urban_management”（不在 [[departments]] 中）",
    ),
    "duplicate department code": (
        'code = "tax"',
        'code = "ndrc"',
        "[[departments]] #21 (ndrc): 代码“ndrc”重复（另见第2项）",
    ),
    "unknown industry": (
        'industry = "water"',
        'industry = "waterworks"',
        "[[authority]] #3: 未知的 industry“waterworks”",
    ),
    "unknown kind": ('kind = "external"', 'kind = "outside"', "未知的 kind“outside”"),
    "bad date": ("date = 2023-01-30", 'date = "2023-02-30"', "[plan]: “date”必须是日期"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_an_invalid_file_writes_nothing_and_says_why(tmp_path, db, case) -> None:
    old, new, expected = BAD_CASES[case]
    text = huangzhou_text()
    assert old in text
    path = write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(CommandError) as caught:
        run_setup("--district", str(path))
    assert str(caught.value).startswith("区配置文件 test-district.toml 有")
    assert expected in str(caught.value)
    assert not Department.objects.exists()
    assert not District.objects.exists()
    assert not AuditEntry.objects.exists()


def test_every_problem_is_listed_at_once(tmp_path) -> None:
    text = (
        huangzhou_text()
        .replace('code = "tax"', 'code = "ndrc"')
        .replace('department = "medical_security"', 'department = "nowhere"')
    )
    with pytest.raises(district_config.ConfigInvalid) as caught:
        district_config.load(str(write(tmp_path, text)))
    problems = caught.value.problems
    assert problems == [
        "[[departments]] #21 (ndrc): 代码“ndrc”重复（另见第2项）。",
        # the units list names "tax", which the file no longer has
        "[leading_group.members]: 未知的部门代码“tax”。",
        "[[authority]] #8: 未知的部门代码“nowhere”（不在 [[departments]] 中）。",
    ]


def test_invalid_routes_roll_back_the_whole_setup(tmp_path, db) -> None:
    text = huangzhou_text() + (
        '\n[[approval_routes]]\nkind = "case_filing"\nname = "立案审批"\n'
        'levels = [ { stage = "承办", role = "office_staff" } ]\n'
    )
    with pytest.raises(CommandError):
        run_setup("--district", str(write(tmp_path, text)))
    assert not Department.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_department_name_held_by_an_unlisted_department_is_refused(tmp_path, db) -> None:
    Department.objects.create(
        code="legacy", name="区住房和城乡建设局", short_name="旧", kind=DepartmentKind.MEMBER
    )
    with pytest.raises(district_config.ConfigInvalid) as caught:
        load_district()
    assert "legacy" in str(caught.value)
    assert Department.objects.count() == 1


def test_another_district_can_be_configured_without_code(tmp_path, db) -> None:
    text = """
[district]
code = "testville"
name = "测试区"
region_code = "420000"

[[departments]]
code = "bureau"
name = "测试区公共资源交易监督管理局"
kind = "office"

[[departments]]
code = "roads"
name = "测试区交通局"
short_name = "交通"
kind = "supervisory"

[[authority]]
industry = "transport"
department = "roads"
legal_basis = "测试依据"
"""
    output = run_setup("--district", str(write(tmp_path, text)))
    assert "测试区" in output
    assert Department.objects.get(code="bureau").short_name == "测试区公共资源交易监督管理局"
    assert not LeadingGroup.objects.exists()


def test_a_yaml_file_is_read_too(tmp_path, db) -> None:
    text = """
district: {code: yamlton, name: 亚区, region_code: "420001"}
departments:
  - {code: office, name: 亚区监管局, short_name: 监管局, kind: office}
authority: []
"""
    run_setup("--district", str(write(tmp_path, text, "yamlton.yaml")))
    assert District.objects.get().name == "亚区"


def test_check_writes_nothing(db) -> None:
    output = run_setup("--district", "huangzhou", "--check")
    assert "huangzhou.toml" in output
    assert not Department.objects.exists()


def test_an_unknown_district_name_is_explained(db) -> None:
    with pytest.raises(CommandError) as caught:
        run_setup("--district", "atlantis")
    assert "huangzhou" in str(caught.value)


def test_setup_as_a_named_user(personas) -> None:
    run_setup("--district", "huangzhou", "--user", "admin")
    assert AuditEntry.objects.filter(action="org.district.setup", actor_name="admin").exists()
    assert Role.ADMINISTRATOR in scope_of(personas.admin).roles
