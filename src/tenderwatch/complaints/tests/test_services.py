"""Filing, the acceptance review, supplements, withdrawal, scoping and identity, through the
services as the pages call them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection

from tenderwatch.approvals.models import ApprovalRequest, RequestStatus
from tenderwatch.approvals.services import approval_decide
from tenderwatch.audit.models import AuditEntry
from tenderwatch.complaints import checks, crypto, files, selectors, services
from tenderwatch.complaints.identity import Identity
from tenderwatch.complaints.models import (
    Attachment,
    Channel,
    Clock,
    DeadlineState,
    FilerKind,
    FilerRole,
    Kind,
    Matter,
    NoticeKind,
    Purpose,
    RejectionGround,
    Status,
    Subject,
)
from tenderwatch.complaints.testing import (
    COMPANY,
    PERSON,
    complaint_filing,
    exe_bytes,
    pdf_bytes,
    tip_off_filing,
    upload,
)
from tenderwatch.complaints.tests.conftest import actions, china
from tenderwatch.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from tenderwatch.ledger.testing import build_project

pytestmark = pytest.mark.usefixtures("district")

D = dt.date
RECEIVED = china(2026, 6, 8, 10, 0)


def _good(**extra: Any) -> Any:
    return complaint_filing(
        knew_on=D(2026, 6, 3), objection_on=D(2026, 6, 3), objection_reply_on=D(2026, 6, 5), **extra
    )


def _raw_row(matter: Matter) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM complaints_matter WHERE id = %s", [matter.pk])
        return " ".join(str(v) for v in cursor.fetchone())


# -- filing -------------------------------------------------------------------------------------


def test_filing_is_numbered_sealed_and_idempotent(personas: Any) -> None:
    token = services.new_submission_token()
    with time_machine.travel(RECEIVED, tick=False):
        first = services.matter_file(filing=_good(), token=token)
        again = services.matter_file(filing=_good(), token=token)
    assert first.created and not again.created
    assert again.matter.pk == first.matter.pk and again.code == first.code
    assert Matter.objects.count() == 1
    matter = first.matter
    assert matter.number == "TS-2026-000001"
    assert (matter.status, matter.channel, matter.department.code) == (
        Status.RECEIVED,
        Channel.ONLINE,
        "housing",
    )
    # The code is not stored, only a salted hash of it; the identity is not in the row.
    raw = _raw_row(matter)
    for secret in (first.code, COMPANY.name, COMPANY.id_number, COMPANY.phone, COMPANY.address):
        assert secret not in raw
    assert matter.filer_mask == "湖北**公司"
    # Files are stored by hash; the receipt notice and the history are there.
    assert sorted(matter.attachments.values_list("purpose", flat=True)) == [
        Purpose.EVIDENCE,
        Purpose.OBJECTION,
        Purpose.SIGNED_LETTER,
    ]
    for a in matter.attachments.all():
        assert files.path_of(a.sha256).exists()
    assert [n.kind for n in matter.notices.all()] == [NoticeKind.RECEIPT]
    assert [h.to_status for h in matter.history.all()] == [Status.RECEIVED]
    entry = AuditEntry.objects.get(action="complaints.matter.filed")
    assert entry.actor_id is None and entry.after["filer"] == "湖北**公司"
    assert COMPANY.name not in str(entry.after) and COMPANY.phone not in str(entry.after)


def test_numbers_run_per_kind_and_year(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        numbers = [file(_good(respondent_name=f"招标人{i}")).matter.number for i in range(2)] + [
            file(tip_off_filing()).matter.number
        ]
        # A letter that arrived in 2025 and is entered now is numbered in 2025.
        letter = file(
            complaint_filing(channel=Channel.LETTER, received_at=china(2025, 12, 19, 9, 0)),
            actor=personas.office_clerk,
        ).matter
    assert numbers == ["TS-2026-000001", "TS-2026-000002", "JB-2026-000001"]
    assert letter.number == "TS-2025-000001" and letter.received_by == personas.office_clerk


def test_forged_token_and_bad_input_write_nothing(personas: Any) -> None:
    with pytest.raises(DomainError, match="重新"):
        services.matter_file(filing=_good(), token="made-up")
    with pytest.raises(DomainError, match="匿名"):
        services.matter_file(
            filing=_good(filer_kind=FilerKind.ANONYMOUS), token=services.new_submission_token()
        )
    with pytest.raises(files.FileRefused, match="Windows 可执行程序"):
        services.matter_file(
            filing=_good(files=[(Purpose.EVIDENCE, upload("合同.pdf", exe_bytes()))]),
            token=services.new_submission_token(),
        )
    # Only the office enters letters; a department officer cannot.
    with pytest.raises(PermissionDenied):
        services.matter_file(
            filing=_good(channel=Channel.LETTER),
            token=services.new_submission_token(),
            actor=personas.housing_officer,
        )
    assert Matter.objects.count() == 0 and Attachment.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="complaints").exists()


def test_duplicate_of_an_open_matter_is_linked_not_counted(personas: Any, file: Any) -> None:
    project = build_project(industry="housing_municipal", seed=7)
    with time_machine.travel(RECEIVED, tick=False):
        original = file(_good(project=project)).matter
        # Same company (USCC written differently), same project and matter, a day later.
        same = Identity(**{**COMPANY.as_dict(), "id_number": COMPANY.id_number.lower()})
        duplicate = file(_good(project=project, identity=same)).matter
        # The same person about another matter is a new matter.
        other = file(_good(project=project, subject=Subject.OPENING)).matter
    assert (duplicate.status, duplicate.linked_to) == (Status.LINKED, original)
    assert not duplicate.deadlines.exists()
    assert [n.kind for n in duplicate.notices.all()] == [NoticeKind.RECEIPT, NoticeKind.LINKED]
    assert other.status == Status.RECEIVED and other.linked_to is None
    assert any(c.code == "DUP" for c in checks.run(duplicate))
    lines = selectors.report_by_department(
        user=personas.office_clerk, date_from=D(2026, 6, 1), date_to=D(2026, 6, 30)
    )
    housing = next(ln for ln in lines if ln.department and ln.department.code == "housing")
    assert (housing.received, housing.duplicates) == (2, 1)


# -- the acceptance review ----------------------------------------------------------------------


def test_accept(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        matter = file(_good()).matter
    assert checks.failing(checks.run(matter)) == []
    with time_machine.travel(china(2026, 6, 8, 15, 0), tick=False):
        services.matter_accept(matter=matter, actor=personas.office_clerk, note="材料齐全")
    matter.refresh_from_db()
    assert (matter.status, matter.decided_by) == (Status.ACCEPTED, personas.office_clerk)
    deadlines = {d.clock: d for d in matter.deadlines.all()}
    assert deadlines[Clock.ACCEPTANCE_PLAN].state == DeadlineState.MET
    assert deadlines[Clock.ACCEPTANCE_STATUTE].state == DeadlineState.MET
    assert deadlines[Clock.DECISION_STATUTE].start_on == D(2026, 6, 8)
    assert [n.kind for n in matter.notices.all()] == [NoticeKind.RECEIPT, NoticeKind.ACCEPTANCE]
    assert [h.to_status for h in matter.history.all()] == [Status.RECEIVED, Status.ACCEPTED]
    assert actions(matter) == [
        ("complaints.matter.filed", "system:system"),
        ("complaints.matter.accepted", "office_clerk"),
    ]
    with pytest.raises(InvalidTransition):
        services.matter_accept(matter=matter, actor=personas.office_clerk)


def test_late_acceptance_is_recorded_as_missed(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        matter = file(_good()).matter
    with time_machine.travel(china(2026, 6, 10, 9, 0), tick=False):
        services.matter_accept(matter=matter, actor=personas.office_clerk)
    states = dict(matter.deadlines.values_list("clock", "state"))
    assert states[Clock.ACCEPTANCE_PLAN] == DeadlineState.MISSED  # due 6/9
    assert states[Clock.ACCEPTANCE_STATUTE] == DeadlineState.MET  # due 6/11


def test_out_of_time_complaint_is_refused_on_its_article(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        # Known on 5/20: 10 days end on 5/30, a Saturday → Monday 6/1 (民法典 第二百零三条).
        matter = file(
            complaint_filing(
                knew_on=D(2026, 5, 20),
                objection_on=D(2026, 5, 20),
                objection_reply_on=D(2026, 5, 20),
            )
        ).matter
    failing = checks.failing(checks.run(matter))
    assert [(c.code, c.ground) for c in failing] == [("CP-01", RejectionGround.OUT_OF_TIME)]
    assert "第六十条" in failing[0].article and "2026-06-01" in failing[0].message
    # Accepting needs a written reason …
    with pytest.raises(DomainError, match="不予受理"):
        services.matter_accept(matter=matter, actor=personas.office_clerk)
    # … or the office proposes non-acceptance, which a leader approves.
    with time_machine.travel(china(2026, 6, 8, 11, 0), tick=False):
        request = services.matter_propose_rejection(
            matter=matter,
            actor=personas.office_clerk,
            ground=RejectionGround.OUT_OF_TIME,
            reasoning="投诉人于5月20日知道评标结果，6月8日投诉，已超过10日投诉期限。",
        )
    matter.refresh_from_db()
    assert matter.status == Status.REJECTION_PENDING
    # Nothing internal leaks: the filer still sees "under review".
    assert selectors.public_view(matter).stage == "已收件，正在审查"
    with pytest.raises(DomainError, match="审批"):
        services.matter_finalize_rejection(matter=matter, actor=personas.office_clerk)
    approval_decide(
        request=request, actor=personas.section_head, decision="approve", opinion="同意"
    )
    with time_machine.travel(china(2026, 6, 8, 16, 0), tick=False):
        services.matter_finalize_rejection(matter=matter, actor=personas.office_clerk)
    matter.refresh_from_db()
    assert matter.status == Status.NOT_ACCEPTED
    notice = matter.notices.get(kind=NoticeKind.NON_ACCEPTANCE)
    assert "第六十条第一款" in notice.body and "超过投诉时效" in notice.body
    states = dict(matter.deadlines.values_list("clock", "state"))
    assert states[Clock.ACCEPTANCE_PLAN] == DeadlineState.MET
    assert states[Clock.CONCLUSION_PLAN] == DeadlineState.MET


def test_a_refused_non_acceptance_returns_to_review(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        matter = file(_good(filer_role=FilerRole.NONE)).matter
        request = services.matter_propose_rejection(
            matter=matter,
            actor=personas.office_clerk,
            ground=RejectionGround.NO_STANDING,
            reasoning="投诉人不是本项目投标人。",
        )
    approval_decide(
        request=request,
        actor=personas.section_head,
        decision="reject",
        opinion="投诉人已购买招标文件",
    )
    services.matter_finalize_rejection(matter=matter, actor=personas.office_clerk)
    matter.refresh_from_db()
    assert (matter.status, matter.rejection_ground) == (Status.RECEIVED, "")
    assert ApprovalRequest.objects.get().status == RequestStatus.REJECTED


def test_objection_first_and_filed_elsewhere(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        no_objection = file(complaint_filing(knew_on=D(2026, 6, 5))).matter
        elsewhere = file(
            _good(
                respondent_name="另一招标人",
                filed_elsewhere=True,
                elsewhere_body="市住房和城乡建设局",
                elsewhere_on=D(2026, 6, 6),
            )
        ).matter
    grounds = {c.ground for c in checks.failing(checks.run(no_objection))}
    assert grounds == {RejectionGround.NO_OBJECTION}
    found = checks.failing(checks.run(elsewhere))
    assert [(c.code, c.ground) for c in found] == [("CP-02", RejectionGround.FILED_ELSEWHERE_FIRST)]
    assert "第六十一条第一款" in found[0].article


def test_procurement_complaint_needs_a_question_first(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        matter = file(
            complaint_filing(industry="government_procurement", knew_on=D(2026, 6, 1))
        ).matter
    assert matter.rule_set == "procurement" and matter.department.code == "finance"
    found = checks.failing(checks.run(matter))
    assert [(c.code, c.ground) for c in found] == [("GP-01", RejectionGround.GP_NO_QUESTION)]
    assert "政府采购法" in found[0].article
    # No 招标投标 objection check applies to it.
    assert not any(c.code == "CP-01" for c in checks.run(matter))


def test_supplement_request_and_answer(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        matter = file(_good(files=[])).matter
    missing = checks.missing_items(checks.run(matter))
    assert any("证明材料" in m for m in missing)
    with time_machine.travel(china(2026, 6, 8, 11, 0), tick=False):
        services.matter_request_supplement(
            matter=matter, actor=personas.office_clerk, items=missing
        )
    notice = matter.notices.get(kind=NoticeKind.SUPPLEMENT_REQUEST)
    assert "2026-06-15" in notice.body and missing[0] in notice.body
    with time_machine.travel(china(2026, 6, 9, 11, 0), tick=False):
        services.matter_supplement(
            matter=matter,
            text="补充评标报告复印件",
            uploads=[(Purpose.EVIDENCE, upload("评标报告.pdf", pdf_bytes("report")))],
        )
    matter.refresh_from_db()
    assert matter.status == Status.RECEIVED
    assert matter.attachments.filter(purpose=Purpose.SUPPLEMENT).count() == 1
    assert not any("证明材料" in m for m in checks.missing_items(checks.run(matter)))
    with pytest.raises(InvalidTransition):
        services.matter_supplement(matter=matter, text="再补一次")


def test_withdrawal_before_and_after_acceptance(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        early = file(_good()).matter
        late = file(_good(respondent_name="另一招标人")).matter
        services.matter_withdraw(matter=early, reason="已与招标人协商解决")
        services.matter_accept(matter=late, actor=personas.office_clerk)
        services.matter_withdraw(matter=late, reason="不再坚持")
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.status == Status.WITHDRAWN
    assert not early.deadlines.filter(state=DeadlineState.RUNNING).exists()
    assert "第十九条" in early.notices.get(kind=NoticeKind.WITHDRAWAL).body
    # Once accepted, the office decides (CP-12).
    assert late.status == Status.ACCEPTED and late.withdrawal_requested_at is not None
    services.matter_decide_withdrawal(
        matter=late, actor=personas.office_clerk, allow=False, reason="已查实存在违法行为"
    )
    late.refresh_from_db()
    assert late.status == Status.ACCEPTED and late.withdrawal_requested_at is None


# -- scoping and identity -----------------------------------------------------------------------


def test_departments_see_their_own_matters_only(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        housing = file(_good()).matter
        transport = file(_good(industry="transport", respondent_name="交通投资公司")).matter
    assert transport.department.code == "transport"
    assert list(selectors.matters_visible_to(personas.housing_officer)) == [housing]
    with pytest.raises(NotFound):
        selectors.matter_get(user=personas.housing_officer, number=transport.number)
    assert selectors.matter_get(user=personas.transport_officer, number=transport.number)
    assert set(selectors.matters_visible_to(personas.principal_head)) == {housing, transport}
    # Departments read; the office's one window decides.
    with pytest.raises(PermissionDenied):
        services.matter_accept(matter=housing, actor=personas.housing_officer)
    with pytest.raises(NotFound):
        services.matter_accept(matter=transport, actor=personas.housing_officer)
    with pytest.raises(PermissionDenied):
        services.matter_accept(matter=housing, actor=personas.auditor)


def test_who_sees_an_identity_and_that_it_is_audited(personas: Any, file: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        complaint = file(_good()).matter
        tip_off = file(tip_off_filing(industry="housing_municipal")).matter
    # The clerk may see a complainant, not an informant; the office head sees both.
    assert (
        services.identity_reveal(matter=complaint, actor=personas.office_clerk, reason="联系补正")
        == COMPANY
    )
    with pytest.raises(NotFound):
        services.identity_reveal(matter=tip_off, actor=personas.office_clerk, reason="核实")
    with pytest.raises(NotFound):
        services.identity_reveal(matter=tip_off, actor=personas.section_head, reason="核实")
    assert (
        services.identity_reveal(
            matter=tip_off, actor=personas.principal_head, reason="核实举报人身份"
        )
        == PERSON
    )
    # The department that handles it, the auditor and the administrator do not.
    for user in (personas.housing_officer, personas.auditor, personas.admin):
        with pytest.raises(NotFound):
            services.identity_reveal(matter=complaint, actor=user, reason="查看")
    with pytest.raises(DomainError):
        services.identity_reveal(matter=complaint, actor=personas.office_clerk, reason="")
    viewed = AuditEntry.objects.filter(action="complaints.identity.viewed").order_by("seq")
    assert [(e.actor_name, e.object_repr, e.note) for e in viewed] == [
        ("office_clerk", complaint.number, "联系补正"),
        ("principal_head", tip_off.number, "核实举报人身份"),
    ]
    assert PERSON.name not in str(viewed[1].after)


def test_tracking_is_slowed_down_after_wrong_codes(personas: Any) -> None:
    token = services.new_submission_token()
    with time_machine.travel(RECEIVED, tick=False):
        result = services.matter_file(filing=_good(), token=token)
    number, code = result.matter.number, result.code
    now = china(2026, 6, 8, 12, 0)
    assert services.tracking_verify(number=number, code=code, client_ip="10.0.0.1", now=now)
    assert services.tracking_verify(
        number=number.lower(), code=crypto.format_code(code).lower(), client_ip="10.0.0.1", now=now
    )
    for _i in range(4):
        with pytest.raises(services.TrackingRefused, match="不匹配"):
            services.tracking_verify(
                number=number, code="WRONGCODE000", client_ip="10.0.0.9", now=now
            )
    with pytest.raises(services.TrackingRefused, match="分钟"):
        services.tracking_verify(number=number, code="WRONGCODE000", client_ip="10.0.0.9", now=now)
    # Blocked: even the right code waits, from that address and — for that number — from others.
    with pytest.raises(services.TrackingRefused, match="分钟"):
        services.tracking_verify(number=number, code=code, client_ip="10.0.0.9", now=now)
    with pytest.raises(services.TrackingRefused, match="分钟"):
        services.tracking_verify(number=number, code=code, client_ip="10.0.0.2", now=now)
    later = now + dt.timedelta(minutes=6)
    assert services.tracking_verify(number=number, code=code, client_ip="10.0.0.2", now=later)
    # An unknown number answers exactly like a wrong code.
    with pytest.raises(services.TrackingRefused, match="不匹配"):
        services.tracking_verify(
            number="TS-2026-999999", code=code, client_ip="10.0.0.3", now=later
        )


def test_rekey_moves_records_to_the_active_key(personas: Any, file: Any, settings: Any) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        matter = file(_good()).matter
    settings.TW_COMPLAINTS_ACTIVE_KEY_ID = "t2"
    assert services.matter_rekey(matter=matter)
    matter.refresh_from_db()
    assert matter.identity_key_id == "t2"
    assert not services.matter_rekey(matter=matter)
    assert services.identity_reveal(matter=matter, actor=personas.office_clerk, reason="核对") == (
        COMPANY
    )


def test_kind_values() -> None:
    assert set(Kind.values) == {"complaint", "tip_off"}
