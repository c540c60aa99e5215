"""Part 2 through the services: routing (自办 / 分办 / 转办), investigation, the draft decision and
its approval level by level, issue, service, archive; and the refusals (another department's
matter, a skipped level, electronic service without consent, too few officers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tenderwatch.approvals.models import RequestStatus
from tenderwatch.audit.models import AuditEntry
from tenderwatch.complaints import archive, handling, investigation, routing, selectors, services
from tenderwatch.complaints.models import (
    Addressee,
    Clock,
    DeadlineState,
    Matter,
    NoticeKind,
    Outcome,
    Referral,
    Routing,
    ServiceMethod,
    Status,
)
from tenderwatch.complaints.testing import complaint_filing, pdf_bytes, tip_off_filing, upload
from tenderwatch.complaints.tests.conftest import china
from tenderwatch.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from tenderwatch.ledger.models import Instruction, InstructionKind
from tenderwatch.ledger.testing import build_project
from tenderwatch.letters import services as letters
from tenderwatch.org.models import Department, Role
from tenderwatch.org.testing import make_user

pytestmark = pytest.mark.usefixtures("district")

D = dt.date
RECEIVED = china(2026, 6, 8, 10, 0)
ACCEPTED = china(2026, 6, 8, 15, 0)


def _docx_text(letter: Any) -> str:
    import io

    from docx import Document

    with letter.file.open("rb") as handle:
        document = Document(io.BytesIO(handle.read()))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.fixture
def housing_leaders(personas: Any) -> tuple[Any, Any]:
    housing = personas.dept("housing")
    return (
        make_user("housing_section", "何静", housing, [(Role.LEADER, housing, 1)]),
        make_user("housing_director", "黄海", housing, [(Role.LEADER, housing, 3)]),
    )


def _accepted(personas: Any, file: Any, filing: Any = None) -> Matter:
    with time_machine.travel(RECEIVED, tick=False):
        matter = file(
            filing
            or complaint_filing(
                knew_on=D(2026, 6, 3), objection_on=D(2026, 6, 3), objection_reply_on=D(2026, 6, 5)
            )
        ).matter
    with time_machine.travel(ACCEPTED, tick=False):
        services.matter_accept(matter=matter, actor=personas.office_clerk, note="材料齐全")
    matter.refresh_from_db()
    return matter


def _assigned(personas: Any, file: Any, **kw: Any) -> Matter:
    matter = _accepted(personas, file, **kw)
    with time_machine.travel(china(2026, 6, 9, 9, 0), tick=False):
        routing.matter_route(matter=matter, actor=personas.office_clerk, routing=Routing.ASSIGN)
    matter.refresh_from_db()
    return matter


def _investigated(personas: Any, matter: Matter) -> Matter:
    officer = personas.housing_officer
    with time_machine.travel(china(2026, 6, 9, 10, 0), tick=False):
        investigation.officers_assign(
            matter=matter, actor=officer, users=[officer, personas.enforcement_officer]
        )
        investigation.inquiry_record(
            matter=matter,
            actor=officer,
            person="招标人代表 刘某",
            held_at=china(2026, 6, 9, 9, 30),
            place="区住建局三楼询问室",
            text="问：项目经理在建情况是否核实？答：未核实。",
        )
        investigation.evidence_add(
            matter=matter,
            actor=officer,
            uploads=[upload("在建项目合同.pdf", pdf_bytes("contract"))],
            description="另一在建项目的施工合同，载明同一项目经理",
        )
        investigation.investigation_close(matter=matter, actor=officer, note="事实已查清")
    matter.refresh_from_db()
    return matter


def _drafted(personas: Any, matter: Matter, outcome: str = Outcome.ORDER_CORRECT) -> Matter:
    with time_machine.travel(china(2026, 6, 10, 9, 0), tick=False):
        handling.decision_draft(
            matter=matter,
            actor=personas.housing_officer,
            outcome=outcome,
            facts="第一中标候选人拟派项目经理在其他在建项目任职，评标委员会未发现。",
            decision_text="责令招标人组织原评标委员会重新评审。",
        )
        handling.decision_submit(matter=matter, actor=personas.housing_officer)
    matter.refresh_from_db()
    return matter


# -- routing ----------------------------------------------------------------------------------


def test_assign_to_the_competent_department_proposed_by_the_authority_list(
    personas: Any, file: Any
) -> None:
    matter = _assigned(personas, file)
    assert matter.status == Status.INVESTIGATION
    assert matter.routing == Routing.ASSIGN
    assert matter.department.code == "housing" and matter.proposed_department.code == "housing"
    assert [h.to_status for h in matter.history.all()] == [
        Status.RECEIVED,
        Status.ACCEPTED,
        Status.INVESTIGATION,
    ]
    assert AuditEntry.objects.filter(action="complaints.matter.routed").count() == 1


def test_assigning_elsewhere_needs_a_reason(personas: Any, file: Any) -> None:
    matter = _accepted(personas, file)
    transport = personas.dept("transport")
    with pytest.raises(DomainError) as refused:
        routing.matter_route(
            matter=matter, actor=personas.office_clerk, routing=Routing.ASSIGN, department=transport
        )
    assert refused.value.code == "reason_missing"
    routing.matter_route(
        matter=matter,
        actor=personas.office_clerk,
        routing=Routing.ASSIGN,
        department=transport,
        reason="涉及公路工程标段，由交通运输局办理",
    )
    matter.refresh_from_db()
    assert matter.department == transport and "公路" in matter.routing_reason


def test_self_handling_by_the_office(personas: Any, file: Any) -> None:
    matter = _accepted(personas, file)
    routing.matter_route(matter=matter, actor=personas.office_clerk, routing=Routing.SELF)
    matter.refresh_from_db()
    assert matter.department.is_office and matter.status == Status.INVESTIGATION


def test_no_competent_department_goes_to_office_coordination(personas: Any, file: Any) -> None:
    matter = _accepted(
        personas,
        file,
        complaint_filing(
            industry="other",
            knew_on=D(2026, 6, 3),
            objection_on=D(2026, 6, 3),
            objection_reply_on=D(2026, 6, 5),
        ),
    )
    routing.matter_route(matter=matter, actor=personas.office_clerk, routing=Routing.ASSIGN)
    matter.refresh_from_db()
    assert matter.status == Status.COORDINATION
    water = personas.dept("water")
    routing.matter_coordinate(
        matter=matter, actor=personas.office_clerk, department=water, reason="涉及水利设施"
    )
    matter.refresh_from_db()
    assert (matter.status, matter.department) == (Status.INVESTIGATION, water)
    from tenderwatch.org.selectors import coordination_decision_for

    assert coordination_decision_for(matter, matter_type="complaint").department == water
    # Chosen at once with its reason, the office's decision is recorded the same way.
    second = _accepted(
        personas,
        file,
        tip_off_filing(industry="other", respondent_name="黄冈某咨询公司"),
    )
    routing.matter_route(
        matter=second,
        actor=personas.office_clerk,
        routing=Routing.ASSIGN,
        department=water,
        reason="涉及水利设施",
    )
    second.refresh_from_db()
    assert second.status == Status.INVESTIGATION
    assert coordination_decision_for(second, matter_type="tip_off").department == water


def test_only_the_office_routes(personas: Any, file: Any) -> None:
    matter = _accepted(personas, file)
    with pytest.raises(PermissionDenied):
        routing.matter_route(matter=matter, actor=personas.housing_officer, routing=Routing.ASSIGN)


def test_transfer_to_discipline_inspection_closes_the_matter_for_the_office(
    personas: Any, file: Any
) -> None:
    matter = _accepted(personas, file, tip_off_filing(industry="housing_municipal"))
    discipline = Department.objects.get(code="discipline")
    with time_machine.travel(china(2026, 6, 9, 9, 0), tick=False):
        transfer = routing.matter_transfer(
            matter=matter,
            actor=personas.office_clerk,
            body=discipline,
            body_name="",
            reason="反映公职人员插手招标投标，属纪检监察机关管辖",
            legal_basis="《监察法》第十一条；《信访工作条例》第二十一条",
        )
    matter.refresh_from_db()
    assert matter.status == Status.TRANSFER_PENDING and transfer.body_name == str(discipline)
    assert matter.notices.filter(kind=NoticeKind.TRANSFER).count() == 1
    # The transfer letter (转办函), rendered from its Word template, names the receiving body.
    letter = letters.letters_of(matter).get(kind="complaints.transfer_letter")
    assert transfer.letter_id == letter.pk and transfer.letter_number == letter.number
    assert str(discipline) in _docx_text(letter)
    # Still open for the office until the receipt comes.
    assert matter.is_open and matter.closed_at is None
    with time_machine.travel(china(2026, 6, 11, 9, 0), tick=False):
        routing.transfer_receipt(
            transfer=transfer,
            actor=personas.office_clerk,
            received_on=D(2026, 6, 10),
            reference="纪收〔2026〕31号",
            upload=upload("回执.pdf", pdf_bytes("receipt")),
        )
    matter.refresh_from_db()
    transfer.refresh_from_db()
    assert matter.status == Status.TRANSFERRED and not matter.is_open
    assert matter.closed_at == china(2026, 6, 11, 9, 0)
    assert transfer.receipt_on == D(2026, 6, 10) and transfer.receipt_file is not None
    states = dict(matter.deadlines.values_list("clock", "state"))
    assert states[Clock.CONCLUSION_PLAN] == DeadlineState.MET
    with pytest.raises(InvalidTransition):
        routing.transfer_receipt(
            transfer=transfer, actor=personas.office_clerk, received_on=D(2026, 6, 10), note="x"
        )
    with pytest.raises(InvalidTransition):
        investigation.investigation_close(matter=matter, actor=personas.office_clerk)


# -- investigation and the department's scope ---------------------------------------------------


def test_a_housing_officer_cannot_act_on_a_transport_matter(personas: Any, file: Any) -> None:
    matter = _accepted(personas, file)
    routing.matter_route(
        matter=matter,
        actor=personas.office_clerk,
        routing=Routing.ASSIGN,
        department=personas.dept("transport"),
        reason="公路标段",
    )
    with pytest.raises(NotFound):
        investigation.officers_assign(
            matter=matter, actor=personas.housing_officer, users=[personas.housing_officer]
        )
    with pytest.raises(NotFound):
        investigation.inquiry_record(
            matter=matter,
            actor=personas.housing_officer,
            person="x",
            held_at=china(2026, 6, 8, 9, 0),
            text="y",
        )
    # An auditor reads it, and changes nothing.
    with pytest.raises(PermissionDenied):
        investigation.investigation_close(matter=matter, actor=personas.auditor)
    # A housing officer cannot be put on it either.
    with pytest.raises(DomainError):
        investigation.officers_assign(
            matter=matter, actor=personas.transport_officer, users=[personas.housing_officer]
        )


def test_investigation_needs_two_officers_and_requests_have_workday_deadlines(
    personas: Any, file: Any
) -> None:
    matter = _assigned(personas, file)
    officer = personas.housing_officer
    investigation.officers_assign(matter=matter, actor=officer, users=[officer])
    with pytest.raises(DomainError) as refused:
        investigation.investigation_close(matter=matter, actor=officer)
    assert refused.value.code == "too_few_officers"
    # Friday 2026-09-25 + 5 working days: 9/28, 9/29, 9/30, then the National Day holiday,
    # 10/9 (Friday) and 10/10 (an adjusted Saturday workday).
    with time_machine.travel(china(2026, 9, 25, 10, 0), tick=False):
        request = investigation.info_request_send(
            matter=matter,
            actor=officer,
            addressee=Addressee.RESPONDENT,
            items="提供评标报告及项目经理在建情况说明",
            workdays=5,
        )
    from tenderwatch.workdays import calendar

    assert request.due_on == calendar.add_workdays(D(2026, 9, 25), 5)
    assert request.due_on > D(2026, 10, 8)
    assert request.addressee_name == matter.respondent_name
    department_request = investigation.info_request_send(
        matter=matter,
        actor=officer,
        addressee=Addressee.DEPARTMENT,
        department=personas.dept("market_regulation")
        if Department.objects.filter(code="market_regulation").exists()
        else personas.dept("transport"),
        items="协查该公司登记信息",
        workdays=3,
    )
    investigation.info_request_answer(request=department_request, actor=officer, answer="已回函")
    department_request.refresh_from_db()
    assert department_request.answered_at is not None
    evidence = investigation.evidence_add(
        matter=matter,
        actor=officer,
        uploads=[upload("照片.pdf", pdf_bytes("photo"))],
        description="现场照片",
    )
    import hashlib

    assert evidence[0].sha256 == hashlib.sha256(pdf_bytes("photo")).hexdigest()


# -- decision, approval, service, archive -------------------------------------------------


def test_a_decision_through_every_level_served_and_archived(
    personas: Any, file: Any, housing_leaders: tuple[Any, Any]
) -> None:
    section, director = housing_leaders
    matter = _drafted(personas, _investigated(personas, _assigned(personas, file)))
    assert matter.status == Status.DECISION_PENDING
    request = handling.latest_decision_request(matter)
    assert request is not None and request.current_level.order == 2  # 承办 signed on submit
    # The director cannot sign level 3 before level 2 (审核): no level is skipped.
    with pytest.raises(InvalidTransition) as refused:
        handling.decision_sign(matter=matter, actor=director, level=3, decision="approve")
    assert refused.value.code == "level_skipped"
    # Nor can the decision be issued before the last level.
    with pytest.raises(DomainError) as not_yet:
        handling.decision_issue(matter=matter, actor=personas.housing_officer)
    assert not_yet.value.code == "not_approved"
    handling.decision_sign(
        matter=matter, actor=section, level=2, decision="approve", opinion="同意"
    )
    handling.decision_sign(
        matter=matter, actor=director, level=3, decision="approve", opinion="同意"
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    with time_machine.travel(china(2026, 6, 12, 9, 0), tick=False):
        handling.decision_issue(matter=matter, actor=personas.housing_officer)
    matter.refresh_from_db()
    assert matter.status == Status.DECIDED
    assert dict(matter.deadlines.values_list("clock", "state"))[Clock.DECISION_STATUTE] == (
        DeadlineState.MET
    )
    decision_letter = letters.letters_of(matter).get(kind="complaints.handling_decision")
    assert matter.decision.letter_number == decision_letter.number
    assert "责令招标人组织原评标委员会重新评审" in _docx_text(decision_letter)
    # Electronic service needs the filer's consent.
    with pytest.raises(DomainError) as no_consent:
        handling.decision_serve(
            matter=matter,
            actor=personas.housing_officer,
            method=ServiceMethod.ELECTRONIC,
            served_on=D(2026, 6, 12),
            served_to="湖北鸿达建设工程有限公司",
            proof_note="电子邮件",
        )
    assert no_consent.value.code == "no_consent"
    handling.consent_record(matter=matter, actor=personas.office_clerk, note="投诉书中书面同意")
    with time_machine.travel(china(2026, 6, 12, 15, 0), tick=False):
        service = handling.decision_serve(
            matter=matter,
            actor=personas.housing_officer,
            method=ServiceMethod.ELECTRONIC,
            served_on=D(2026, 6, 12),
            served_to="湖北鸿达建设工程有限公司",
            proof_note="已发送至投诉人同意的电子邮箱，系统回执",
        )
    matter.refresh_from_db()
    assert matter.status == Status.SERVED and service.method == ServiceMethod.ELECTRONIC
    assert service.receipt_letter_number
    assert {lt.kind for lt in letters.letters_of(matter)} == {
        "complaints.acceptance_notice",
        "complaints.handling_decision",
        "complaints.service_receipt",
    }
    served = matter.notices.get(kind=NoticeKind.DECISION)
    assert served.letter_id == decision_letter.pk
    assert dict(matter.deadlines.values_list("clock", "state"))[Clock.CONCLUSION_PLAN] in (
        DeadlineState.MET,
        DeadlineState.MISSED,
    )
    assert matter.notices.filter(kind=NoticeKind.DECISION).count() == 1
    with time_machine.travel(china(2026, 6, 15, 9, 0), tick=False):
        index = archive.matter_archive(matter=matter, actor=personas.housing_officer)
    matter.refresh_from_db()
    assert matter.status == Status.ARCHIVED
    kinds = [e["kind"] for e in index.entries]
    assert "letter:complaints.handling_decision" in kinds
    assert decision_letter.sha256 in {e["sha256"] for e in index.entries}
    assert "inquiry" in kinds and "decision" in kinds and "service" in kinds
    assert "file:investigation" in kinds and "approval:approve" in kinds
    assert all(len(e["sha256"]) == 64 for e in index.entries)
    assert len(index.sha256) == 64
    history = [h.to_status for h in matter.history.all()]
    assert history == [
        Status.RECEIVED,
        Status.ACCEPTED,
        Status.INVESTIGATION,
        Status.HANDLING,
        Status.DECISION_PENDING,
        Status.DECIDED,
        Status.SERVED,
        Status.ARCHIVED,
    ]
    assert all(h.actor_id for h in matter.history.all()[1:])


def test_the_office_cannot_skip_a_level_on_its_own_matter(personas: Any, file: Any) -> None:
    matter = _accepted(personas, file)
    routing.matter_route(matter=matter, actor=personas.office_clerk, routing=Routing.SELF)
    clerk = personas.office_clerk
    investigation.officers_assign(
        matter=matter, actor=clerk, users=[clerk, personas.seconded_officer]
    )
    investigation.investigation_close(matter=matter, actor=clerk)
    handling.decision_draft(
        matter=matter,
        actor=clerk,
        outcome=Outcome.DISMISSED,
        facts="经查，投诉事项缺乏事实依据。",
        decision_text="驳回投诉。",
    )
    handling.decision_submit(matter=matter, actor=clerk)
    with pytest.raises(InvalidTransition):
        handling.decision_sign(
            matter=matter, actor=personas.principal_head, level=3, decision="approve"
        )
    with pytest.raises(DomainError):
        handling.decision_issue(matter=matter, actor=clerk)
    handling.decision_sign(matter=matter, actor=personas.section_head, level=2, decision="approve")
    with pytest.raises(DomainError):
        handling.decision_issue(matter=matter, actor=clerk)
    handling.decision_sign(
        matter=matter, actor=personas.principal_head, level=3, decision="approve"
    )
    handling.decision_issue(matter=matter, actor=clerk)
    matter.refresh_from_db()
    assert matter.status == Status.DECIDED


def test_a_rejected_draft_goes_back_to_handling(
    personas: Any, file: Any, housing_leaders: tuple[Any, Any]
) -> None:
    section, _director = housing_leaders
    matter = _drafted(personas, _investigated(personas, _assigned(personas, file)))
    handling.decision_sign(
        matter=matter, actor=section, level=2, decision="return", opinion="事实认定不清"
    )
    matter.refresh_from_db()
    assert matter.status == Status.HANDLING
    handling.decision_draft(
        matter=matter,
        actor=personas.housing_officer,
        outcome=Outcome.AWARD_VOID,
        facts="补充查明：项目经理在建属实。",
        decision_text="中标无效，责令依法重新确定中标人。",
    )
    request = handling.decision_submit(matter=matter, actor=personas.housing_officer)
    assert request.round == 2 and matter.decision.revision == 2


def test_suspension_goes_through_the_outbound_adapter(
    personas: Any, file: Any, housing_leaders: tuple[Any, Any]
) -> None:
    from tenderwatch.ledger import services as ledger_services

    ledger_services.feed_system_add(code="test", name="测试交易平台", actor=None)
    project = build_project(name="黄州区体育馆改造工程", industry="housing_municipal", seed=3)
    filing = complaint_filing(
        project=project,
        knew_on=D(2026, 6, 3),
        objection_on=D(2026, 6, 3),
        objection_reply_on=D(2026, 6, 5),
    )
    matter = _drafted(
        personas, _investigated(personas, _assigned(personas, file, filing=filing)), Outcome.SUSPEND
    )
    section, director = housing_leaders
    handling.decision_sign(matter=matter, actor=section, level=2, decision="approve")
    handling.decision_sign(matter=matter, actor=director, level=3, decision="approve")
    # The platform is instructed by the office (ledger.instruct), not by the department.
    with pytest.raises(PermissionDenied):
        handling.decision_issue(matter=matter, actor=personas.housing_officer)
    handling.decision_issue(matter=matter, actor=personas.seconded_officer)
    instruction = Instruction.objects.get(project=project)
    assert instruction.kind == InstructionKind.SUSPEND
    assert instruction.reference == matter.decision.letter_number
    matter.refresh_from_db()
    assert matter.decision.instruction_id == instruction.pk
    # The project page shows the complaint, its decision and the instruction's status.
    from django.test import Client

    client = Client()
    client.force_login(personas.office_clerk)
    page = client.get(f"/ledger/projects/{project.pk}/").content.decode()
    assert 'id="complaints"' in page and matter.number in page
    assert "暂停招标投标活动" in page and 'class="suspension"' in page
    other = Client()
    other.force_login(personas.transport_officer)
    page = other.get(f"/ledger/projects/{project.pk}/").content.decode()
    assert 'id="complaints"' not in page and matter.number not in page


def test_referral_for_penalty_is_recorded_for_the_cases_app(
    personas: Any, file: Any, housing_leaders: tuple[Any, Any]
) -> None:
    matter = _drafted(
        personas, _investigated(personas, _assigned(personas, file)), Outcome.REFER_PENALTY
    )
    section, director = housing_leaders
    handling.decision_sign(matter=matter, actor=section, level=2, decision="approve")
    handling.decision_sign(matter=matter, actor=director, level=3, decision="approve")
    handling.decision_issue(matter=matter, actor=personas.housing_officer)
    referral = Referral.objects.get(matter=matter)
    assert referral.target_department.code == "housing" and referral.consumed_at is None
    assert referral.payload["number"] == matter.number and referral.payload["evidence"]


def test_list_filters_by_stage_department_and_overdue(personas: Any, file: Any) -> None:
    matter = _assigned(personas, file)
    other = _accepted(personas, file, tip_off_filing())
    stage = selectors.matters_filtered(user=personas.office_clerk, status="stages")
    assert {m.pk for m in stage} == {matter.pk, other.pk}
    housing = selectors.matters_filtered(
        user=personas.office_clerk, department=str(personas.dept("housing").pk)
    )
    assert [m.pk for m in housing] == [matter.pk]
    # The housing officer's own list has the housing matter only.
    assert [m.pk for m in selectors.matters_filtered(user=personas.housing_officer)] == [matter.pk]
    with time_machine.travel(china(2026, 7, 30, 9, 0), tick=False):
        late = selectors.matters_filtered(user=personas.office_clerk, overdue=True)
        assert matter.pk in {m.pk for m in late}


def test_overdue_warnings_reach_the_staff_and_the_filer_is_told_by_sms(
    personas: Any, file: Any, settings: Any
) -> None:
    from tenderwatch.complaints.integrations import filer_contact
    from tenderwatch.notifications.models import Message, Notification

    settings.TW_NOTIFY_SEND_ON_COMMIT = False
    matter = _assigned(personas, file)
    # The filer was told of the receipt and the acceptance by the sealed contact, resolved only
    # at send time: nothing of the contact is stored with the message.
    to_filer = Message.objects.filter(resolver="complaints.filer", address_key=str(matter.pk))
    assert {m.event for m in to_filer} == {"complaints.received", "complaints.accepted"}
    assert not any("hongda@example.cn" in (m.body + m.subject) for m in to_filer)
    contact = filer_contact(str(matter.pk))
    assert (contact.email, contact.phone) == ("hongda@example.cn", "0713-8661234")
    # The housing department was told of the assignment in the app.
    assert Notification.objects.filter(
        recipient=personas.housing_officer, event="complaints.assigned"
    ).exists()
    with time_machine.travel(china(2026, 6, 9, 11, 0), tick=False):
        investigation.info_request_send(
            matter=matter,
            actor=personas.housing_officer,
            addressee=Addressee.RESPONDENT,
            items="提供评标报告",
            workdays=2,
        )
    with time_machine.travel(china(2026, 7, 30, 9, 0), tick=False):
        report = services.deadlines_sweep()
        again = services.deadlines_sweep()
    assert len(report.requests_overdue) == 1 and not again.requests_overdue
    assert any(e.deadline.clock == Clock.CONCLUSION_PLAN for e in report.escalated)
    overdue = Notification.objects.filter(event="complaints.overdue")
    assert overdue.filter(recipient=personas.principal_head).exists()
    assert overdue.filter(recipient=personas.housing_officer).count() >= 2


def test_the_handling_department_stops_the_decision_clock_for_an_appraisal(
    personas: Any, file: Any
) -> None:
    matter = _assigned(personas, file)
    with time_machine.travel(china(2026, 6, 10, 9, 0), tick=False):
        stop = services.clock_stop_start(
            matter=matter, actor=personas.housing_officer, reason="appraisal", note="造价鉴定"
        )
    states = dict(matter.deadlines.values_list("clock", "state"))
    assert states[Clock.DECISION_STATUTE] == DeadlineState.STOPPED
    with pytest.raises(NotFound):
        services.clock_stop_end(stop=stop, actor=personas.transport_officer)
    with time_machine.travel(china(2026, 6, 12, 9, 0), tick=False):
        services.clock_stop_end(stop=stop, actor=personas.housing_officer)
    decision = matter.deadlines.get(clock=Clock.DECISION_STATUTE)
    assert decision.state == DeadlineState.RUNNING and decision.stopped_days == 2


def test_a_withdrawal_is_asked_for_during_the_investigation_and_decided_by_the_office(
    personas: Any, file: Any
) -> None:
    matter = _assigned(personas, file)
    services.matter_withdraw(matter=matter, reason="双方已协商解决")
    matter.refresh_from_db()
    assert matter.status == Status.INVESTIGATION and matter.withdrawal_requested_at
    services.matter_decide_withdrawal(matter=matter, actor=personas.office_clerk, allow=True)
    matter.refresh_from_db()
    assert matter.status == Status.WITHDRAWN and not matter.is_open
    states = dict(matter.deadlines.values_list("clock", "state"))
    assert states[Clock.CONCLUSION_PLAN] == DeadlineState.CLOSED
    assert states[Clock.DECISION_STATUTE] == DeadlineState.CLOSED
    # Once the draft is with the approvers, the filer can no longer withdraw.
    other = _drafted(personas, _investigated(personas, _assigned(personas, file)))
    with pytest.raises(InvalidTransition):
        services.matter_withdraw(matter=other, reason="不再投诉")
