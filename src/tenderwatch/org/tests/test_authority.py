"""The authority list and the one routing function: 谁主管，谁监管 (REQ-04). Where no department
or several are competent, the office coordinates and its decision is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import DomainError, NotFound, PermissionDenied
from tenderwatch.org import selectors, services
from tenderwatch.org.models import (
    AuthorityRule,
    CoordinationDecision,
    Department,
    Industry,
    MatterType,
)
from tenderwatch.org.services import competent_department

pytestmark = pytest.mark.django_db

EXPECTED = {
    Industry.HOUSING_MUNICIPAL: "housing",
    Industry.TRANSPORT: "transport",
    Industry.WATER: "water",
    Industry.AGRICULTURE: "agriculture",
    Industry.GOVERNMENT_PROCUREMENT: "finance",
    Industry.LAND_MINING: "natural_resources",
    Industry.STATE_ASSETS: "finance",
    Industry.MEDICAL_PROCUREMENT: "medical_security",
}


def matter(name: str = "投诉 TS-2026-0001（测试用）") -> Group:
    """A stand-in for a complaint or case: any saved record can be the matter decided on."""
    return Group.objects.create(name=name)


@pytest.mark.parametrize("industry", list(EXPECTED))
@pytest.mark.parametrize("matter_type", ["", *MatterType.values])
def test_each_industry_goes_to_its_department(district, industry, matter_type) -> None:
    competence = competent_department(industry=industry, matter_type=matter_type)
    assert not competence.needs_coordination
    assert competence.department is not None
    assert competence.department.code == EXPECTED[industry]
    assert competence.handler == competence.department
    assert competence.candidates == (competence.department,)
    assert competence.department.name in competence.explanation
    assert competence.rules[0].legal_basis in competence.explanation


def test_an_industry_nobody_supervises_goes_to_the_office(district) -> None:
    competence = competent_department(industry=Industry.OTHER, matter_type=MatterType.COMPLAINT)
    assert competence.needs_coordination
    assert competence.department is None
    assert competence.candidates == ()
    assert competence.handler == Department.objects.get(code="office")


def test_unknown_industry_text_goes_to_the_office(district) -> None:
    competence = competent_department(industry="体育场馆运营", matter_type=MatterType.COMPLAINT)
    assert competence.needs_coordination and competence.candidates == ()


def test_feed_spellings_of_an_industry_are_understood(district) -> None:
    assert competent_department(industry="housing").department.code == "housing"
    assert competent_department(industry="房屋建筑和市政基础设施工程").department.code == "housing"


def test_two_competent_departments_go_to_the_office(district, personas) -> None:
    services.authority_rule_create(
        industry=Industry.WATER,
        matter_type="",
        department=Department.objects.get(code="agriculture"),
        legal_basis="测试：农田水利工程（虚构的重叠职责）",
        actor=personas.office_clerk,
    )
    competence = competent_department(industry=Industry.WATER, matter_type=MatterType.TIP_OFF)
    assert competence.needs_coordination
    assert competence.department is None
    assert {d.code for d in competence.candidates} == {"water", "agriculture"}
    assert competence.handler.code == "office"
    assert "区水利和湖泊局" in competence.explanation and "区农业农村局" in competence.explanation


def test_a_line_for_the_matter_type_takes_precedence(district, personas) -> None:
    services.authority_rule_create(
        industry=Industry.HOUSING_MUNICIPAL,
        matter_type=MatterType.PERFORMANCE,
        department=Department.objects.get(code="market_regulation"),
        legal_basis="测试依据",
        actor=personas.office_clerk,
    )
    performance = competent_department(
        industry=Industry.HOUSING_MUNICIPAL, matter_type=MatterType.PERFORMANCE
    )
    assert performance.department.code == "market_regulation"
    complaint = competent_department(
        industry=Industry.HOUSING_MUNICIPAL, matter_type=MatterType.COMPLAINT
    )
    assert complaint.department.code == "housing"


def test_lines_count_only_while_in_force(district, personas) -> None:
    rule = AuthorityRule.objects.get(industry=Industry.TRANSPORT)
    services.authority_rule_update(
        rule=rule,
        actor=personas.office_clerk,
        industry=rule.industry,
        matter_type="",
        department=rule.department,
        legal_basis=rule.legal_basis,
        valid_to=dt.date(2025, 12, 31),
        reason="测试：职责调整",
    )
    assert competent_department(industry="transport", on=dt.date(2025, 12, 31)).department
    after = competent_department(industry="transport", on=dt.date(2026, 1, 1))
    assert after.needs_coordination
    entry = AuditEntry.objects.get(action="org.authority_rule.changed")
    assert entry.before["valid_to"] is None and entry.after["valid_to"] == "2025-12-31"
    assert entry.note == "测试：职责调整"
    assert entry.actor_name == "office_clerk"


def test_the_office_decides_and_the_decision_routes_the_matter(district, personas) -> None:
    complaint = matter()
    before = competent_department(
        industry=Industry.OTHER, matter_type=MatterType.COMPLAINT, matter=complaint
    )
    assert before.needs_coordination
    decision = services.coordination_decide(
        matter=complaint,
        industry=Industry.OTHER,
        matter_type=MatterType.COMPLAINT,
        department=Department.objects.get(code="housing"),
        reason="项目含房建内容，由住建局办理（测试）",
        actor=personas.office_clerk,
    )
    assert decision.decided_by == personas.office_clerk
    assert decision.content_type.model == "group" and decision.object_id == complaint.pk
    assert decision.matter_repr == complaint.name
    assert list(decision.candidates.all()) == []

    after = competent_department(
        industry=Industry.OTHER, matter_type=MatterType.COMPLAINT, matter=complaint
    )
    assert not after.needs_coordination
    assert after.department.code == "housing"
    assert after.decision == decision
    assert "项目含房建内容" in after.explanation
    # the decision covers this matter only
    other = competent_department(
        industry=Industry.OTHER, matter_type=MatterType.COMPLAINT, matter=matter("另一件")
    )
    assert other.needs_coordination

    entry = AuditEntry.objects.get(action="org.coordination.decided")
    assert entry.object_id == str(decision.pk)
    assert entry.actor_name == "office_clerk"
    assert entry.after["department_id"] == decision.department_id
    assert entry.after["candidates"] == []
    assert entry.note == "项目含房建内容，由住建局办理（测试）"


def test_a_decision_between_two_candidates_records_both(district, personas) -> None:
    services.authority_rule_create(
        industry=Industry.WATER,
        matter_type="",
        department=Department.objects.get(code="agriculture"),
        legal_basis="测试：重叠职责",
        actor=personas.office_clerk,
    )
    decision = services.coordination_decide(
        matter=matter(),
        industry=Industry.WATER,
        matter_type=MatterType.COMPLAINT,
        department=Department.objects.get(code="water"),
        reason="以水利工程为主（测试）",
        actor=personas.seconded_officer,  # a seconded officer acts as office staff
    )
    assert {d.code for d in decision.candidates.all()} == {"water", "agriculture"}
    entry = AuditEntry.objects.get(action="org.coordination.decided")
    assert sorted(entry.after["candidates"]) == ["agriculture", "water"]


@pytest.mark.parametrize("who", ["housing_officer", "auditor", "section_head", "admin"])
def test_only_office_staff_coordinate(district, personas, who) -> None:
    with pytest.raises(PermissionDenied):
        services.coordination_decide(
            matter=matter(),
            industry=Industry.OTHER,
            matter_type=MatterType.COMPLAINT,
            department=Department.objects.get(code="housing"),
            reason="测试",
            actor=getattr(personas, who),
        )
    assert not CoordinationDecision.objects.exists()
    assert not AuditEntry.objects.filter(action="org.coordination.decided").exists()


def test_a_decision_needs_a_reason(district, personas) -> None:
    with pytest.raises(DomainError):
        services.coordination_decide(
            matter=matter(),
            industry=Industry.OTHER,
            matter_type="",
            department=Department.objects.get(code="housing"),
            reason="  ",
            actor=personas.office_clerk,
        )


def test_a_department_sees_only_decisions_naming_it(district, personas) -> None:
    decision = services.coordination_decide(
        matter=matter(),
        industry=Industry.OTHER,
        matter_type=MatterType.COMPLAINT,
        department=Department.objects.get(code="housing"),
        reason="测试",
        actor=personas.office_clerk,
    )
    assert selectors.coordination_decision_get(user=personas.housing_officer, pk=decision.pk)
    assert list(selectors.coordination_decisions_visible_to(personas.auditor)) == [decision]
    assert list(selectors.coordination_decisions_visible_to(personas.transport_officer)) == []
    with pytest.raises(NotFound):
        selectors.coordination_decision_get(user=personas.transport_officer, pk=decision.pk)
    with pytest.raises(NotFound):
        selectors.coordination_decision_get(user=personas.office_clerk, pk=decision.pk + 999)


@pytest.mark.parametrize("who", ["housing_officer", "auditor", "discipline_liaison"])
def test_only_the_office_edits_the_authority_list(district, personas, who) -> None:
    rule = AuthorityRule.objects.get(industry=Industry.HOUSING_MUNICIPAL)
    actor = getattr(personas, who)
    with pytest.raises(PermissionDenied):
        services.authority_rule_create(
            industry=Industry.OTHER,
            matter_type="",
            department=Department.objects.get(code="housing"),
            legal_basis="测试",
            actor=actor,
        )
    with pytest.raises(PermissionDenied):
        services.authority_rule_update(
            rule=rule,
            actor=actor,
            industry=rule.industry,
            matter_type="",
            department=rule.department,
            legal_basis="改写",
            active=False,
        )
    rule.refresh_from_db()
    assert rule.active and rule.legal_basis != "改写"
    assert AuthorityRule.objects.count() == 8


def test_a_line_cannot_be_listed_twice(district, personas) -> None:
    with pytest.raises(DomainError):
        services.authority_rule_create(
            industry=Industry.WATER,
            matter_type="",
            department=Department.objects.get(code="water"),
            legal_basis="重复",
            actor=personas.office_clerk,
        )
    assert AuthorityRule.objects.filter(industry=Industry.WATER).count() == 1


def test_an_added_line_is_audited(district, personas) -> None:
    rule = services.authority_rule_create(
        industry=Industry.OTHER,
        matter_type=MatterType.TIP_OFF,
        department=Department.objects.get(code="market_regulation"),
        legal_basis="测试依据",
        actor=personas.admin,
        reason="测试新增",
    )
    entry = AuditEntry.objects.get(action="org.authority_rule.created", object_id=str(rule.pk))
    assert entry.note == "测试新增" and entry.actor_name == "admin"
    assert (
        competent_department(industry=Industry.OTHER, matter_type=MatterType.TIP_OFF).department
        == rule.department
    )
