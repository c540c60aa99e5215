"""The pages through Django's test client: the public form, receipt and tracking without an
account; the staff list, matter page, actions, identity and the list by department."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tenderwatch.audit.models import AuditEntry
from tenderwatch.complaints import crypto, services
from tenderwatch.complaints.models import Attachment, Matter, NoticeKind, Purpose, Status
from tenderwatch.complaints.testing import (
    complaint_filing,
    exe_bytes,
    pdf_bytes,
    png_bytes,
    tip_off_filing,
    upload,
)
from tenderwatch.complaints.tests.conftest import china
from tenderwatch.ledger.testing import build_project

pytestmark = pytest.mark.usefixtures("district")

NOW = china(2026, 6, 8, 10, 0)
INERT = "<script>alert('x')</script>' OR 1=1; DROP TABLE complaints_matter; --"


def _staff(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(client: Client) -> dict[str, Any]:
    page = client.get(reverse("complaints:public_file"))
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode())
    assert token
    return {
        "token": token.group(1),
        "kind": "complaint",
        "filer_kind": "entity",
        "name": "湖北鸿达建设工程有限公司",
        "id_number": "91421100MA4910XK3C",
        "contact_person": "李红梅",
        "phone": "0713-8661234",
        "address": "湖北省黄冈市黄州区赤壁大道66号",
        "filer_role": "bidder",
        "respondent_name": "黄冈市黄州区城市建设投资有限公司",
        "respondent_address": "黄州区西湖二路8号",
        "project_text": "黄州区东湖片区老旧小区改造工程",
        "industry": "housing_municipal",
        "subject": "evaluation_result",
        "knew_on": "2026-06-03",
        "objection_on": "2026-06-03",
        "objection_reply_on": "2026-06-05",
        "facts": "第一中标候选人项目经理有在建项目。",
        "requests": "请求重新评标。",
        "declaration": "on",
    }


def _file_online(client: Client, **changes: Any) -> Any:
    data = {**_form(client), **changes}
    data.setdefault("evidence", upload("评标报告.pdf", pdf_bytes()))
    return client.post(reverse("complaints:public_file"), data), data


# -- the public side -----------------------------------------------------------------------------


def test_filing_online_gives_number_code_and_receipt(personas: Any) -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        response, data = _file_online(client)
        assert response.status_code == 302
        assert response["Location"] == reverse("complaints:public_receipt")
        receipt = client.get(response["Location"])
    text = receipt.content.decode()
    matter = Matter.objects.get()
    code = re.search(r'id="tracking-code">([0-9A-Z-]+)<', text)
    assert code and len(code.group(1)) == 14
    assert matter.number in text and "2026-06-09 24:00" in text
    assert "招标投标法实施条例 第六十条第一款" in text  # each check shows its article
    assert "no-store" in receipt["Cache-Control"]
    # A retry of the same form (a lost response) files nothing twice and shows the same code.
    data["evidence"] = upload("评标报告.pdf", pdf_bytes())
    with time_machine.travel(NOW, tick=False):
        again = client.post(reverse("complaints:public_file"), data)
        second = client.get(again["Location"]).content.decode()
    assert Matter.objects.count() == 1 and code.group(1) in second
    # The receipt downloads as one self-contained HTML file (within the session's idle time).
    with time_machine.travel(NOW, tick=False):
        download = client.get(reverse("complaints:public_receipt_download"))
    assert download["Content-Disposition"] == f'attachment; filename="receipt-{matter.number}.html"'
    body = download.content.decode()
    assert code.group(1) in body and "<link" not in body and "<script" not in body
    # Another browser has no receipt to see.
    assert Client().get(reverse("complaints:public_receipt")).status_code == 404


def test_renamed_executable_is_refused_with_a_clear_message(personas: Any) -> None:
    client = Client()
    response, _data = _file_online(client, evidence=upload("中标通知书.pdf", exe_bytes()))
    assert response.status_code == 400
    text = response.content.decode()
    assert "文件“中标通知书.pdf”未被接收" in text and "Windows 可执行程序" in text
    assert "只接收PDF" in text
    assert Matter.objects.count() == 0 and Attachment.objects.count() == 0


def test_html_and_sql_in_a_filing_stay_inert(personas: Any) -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        response, _data = _file_online(
            client, facts=INERT, respondent_name=INERT[:60], requests=INERT
        )
        assert response.status_code == 302
        receipt = client.get(response["Location"]).content.decode()
    matter = Matter.objects.get()
    assert matter.facts == INERT  # stored as typed, through bound parameters
    assert Matter.objects.filter(facts__contains="DROP TABLE").count() == 1
    staff = _staff(personas.office_clerk).get(matter.get_absolute_url()).content.decode()
    listing = _staff(personas.office_clerk).get(reverse("complaints:list")).content.decode()
    for page in (receipt, staff, listing):
        assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in staff


def test_tracking_shows_stage_deadlines_and_notices_only(personas: Any, file: Any) -> None:
    token = services.new_submission_token()
    with time_machine.travel(NOW, tick=False):
        result = services.matter_file(filing=complaint_filing(files=[]), token=token)
        services.matter_request_supplement(
            matter=result.matter, actor=personas.office_clerk, items=["证明材料"], note="内部备注X"
        )
    client = Client()
    track = reverse("complaints:public_track")
    with time_machine.travel(china(2026, 6, 8, 11, 0), tick=False):
        wrong = client.post(track, {"number": result.matter.number, "code": "ABCD-EFGH-JKMN"})
        assert wrong.status_code == 403 and "不匹配" in wrong.content.decode()
        ok = client.post(track, {"number": result.matter.number.lower(), "code": result.code})
        assert ok.status_code == 302
        page = client.get(reverse("complaints:public_status")).content.decode()
    assert "等待您补正" in page and "补正通知" in page and "2026-06-15" in page
    # Nothing internal and nothing about other parties.
    for hidden in ("内部备注X", "王晓明", "湖北鸿达", "13871234567", "住房和城乡建设局"):
        assert hidden not in page
    # The filer supplements from the tracking page; the review resumes.
    with time_machine.travel(china(2026, 6, 8, 11, 10), tick=False):
        sent = client.post(
            reverse("complaints:public_supplement"),
            {"text": "补交评标报告", "uploads": upload("报告.png", png_bytes())},
        )
    assert sent.status_code == 302
    matter = Matter.objects.get()
    assert matter.status == Status.RECEIVED
    assert matter.attachments.filter(purpose=Purpose.SUPPLEMENT).count() == 1
    # And withdraws.
    with time_machine.travel(china(2026, 6, 8, 11, 20), tick=False):
        client.post(reverse("complaints:public_withdraw"), {"reason": "已协商解决"})
    matter.refresh_from_db()
    assert matter.status == Status.WITHDRAWN


def test_tracking_is_throttled(personas: Any) -> None:
    token = services.new_submission_token()
    with time_machine.travel(NOW, tick=False):
        result = services.matter_file(filing=complaint_filing(), token=token)
    client = Client()
    track = reverse("complaints:public_track")
    statuses = [
        client.post(track, {"number": result.matter.number, "code": "0000-0000-0000"}).status_code
        for _i in range(5)
    ]
    assert statuses == [403, 403, 403, 403, 429]
    blocked = client.post(track, {"number": result.matter.number, "code": result.code})
    assert blocked.status_code == 429 and "分钟后再试" in blocked.content.decode()


def test_project_search_offers_projects_and_lots(personas: Any) -> None:
    project = build_project(name="黄州区赤壁大道提档升级工程", industry="transport", lots=2, seed=3)
    page = Client().get(reverse("complaints:public_projects"), {"q": "赤壁大道"})
    text = page.content.decode()
    assert f'value="p:{project.pk}"' in text
    assert all(f'value="l:{lot.pk}"' in text for lot in project.lots.all())
    # Picking a lot files against the project and the lot, routed to its department.
    client = Client()
    lot = project.lots.first()
    with time_machine.travel(NOW, tick=False):
        response, _data = _file_online(client, project_choice=f"l:{lot.pk}", project_text="")
    assert response.status_code == 302
    matter = Matter.objects.get()
    assert (matter.project, matter.lot, matter.department.code) == (project, lot, "transport")


# -- the staff side --------------------------------------------------------------------------------


def test_list_and_matter_page_show_the_countdown(personas: Any, file: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        matter = file(complaint_filing()).matter
        listing = _staff(personas.office_clerk).get(reverse("complaints:list"))
        page = _staff(personas.office_clerk).get(matter.get_absolute_url())
        home = _staff(personas.office_clerk).get("/")
    assert listing.status_code == 200 and matter.number in listing.content.decode()
    assert "剩余 1 个工作日" in listing.content.decode()
    text = page.content.decode()
    assert "CP-03" in text and "2026-06-11 24:00" in text and "湖北**公司" in text
    assert "湖北鸿达建设工程有限公司" not in text  # masked
    assert "待决定是否受理" in home.content.decode() and matter.number in home.content.decode()
    # Roles without a part in complaints are refused the list.
    assert _staff(personas.discipline_liaison).get(reverse("complaints:list")).status_code == 403


def test_housing_officer_cannot_open_transport_matters_nor_identities(
    personas: Any, file: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        transport = file(complaint_filing(industry="transport")).matter
        housing = file(
            complaint_filing(
                respondent_name="另一招标人",
                files=[(Purpose.IDENTITY_PROOF, upload("身份证.png", png_bytes()))],
                filer_kind="person",
            )
        ).matter
    officer = _staff(personas.housing_officer)
    assert officer.get(transport.get_absolute_url()).status_code == 404
    assert officer.get(housing.get_absolute_url()).status_code == 200
    assert transport.number not in officer.get(reverse("complaints:list")).content.decode()
    for matter in (transport, housing):
        reveal = officer.post(reverse("complaints:identity", args=[matter.number]), {"reason": "x"})
        assert reveal.status_code == 404
    proof = housing.attachments.get(purpose=Purpose.IDENTITY_PROOF)
    url = reverse("complaints:attachment", args=[housing.number, proof.pk])
    assert officer.get(url).status_code == 404
    # Transport's own officer opens its matter; the clerk may download the proof (audited).
    assert _staff(personas.transport_officer).get(transport.get_absolute_url()).status_code == 200
    download = _staff(personas.office_clerk).get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == png_bytes()
    assert AuditEntry.objects.filter(action="complaints.identity.file_viewed").count() == 1


def test_auditor_sees_that_the_office_head_viewed_an_identity(personas: Any, file: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        tip_off = file(tip_off_filing(industry="housing_municipal")).matter
    head = _staff(personas.principal_head)
    page = head.get(tip_off.get_absolute_url()).content.decode()
    assert "举报人（身份保护）" in page and "陈志远" not in page
    shown = head.post(
        reverse("complaints:identity", args=[tip_off.number]), {"reason": "核实举报线索"}
    )
    assert shown.status_code == 200 and "陈志远" in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    # The clerk may not see an informant.
    clerk = _staff(personas.office_clerk)
    assert (
        clerk.post(
            reverse("complaints:identity", args=[tip_off.number]), {"reason": "x"}
        ).status_code
        == 404
    )
    trail = _staff(personas.auditor).get(
        reverse("audit:list"), {"action": "complaints.identity.viewed"}
    )
    text = trail.content.decode()
    assert trail.status_code == 200
    assert "principal_head" in text or "周强" in text
    assert tip_off.number in text
    assert "陈志远" not in text  # the trail records the view, not the identity
    entry = AuditEntry.objects.get(action="complaints.identity.viewed")
    assert (entry.actor, entry.note) == (personas.principal_head, "核实举报线索")


def test_clerk_accepts_and_enters_a_letter(personas: Any, file: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        matter = file(
            complaint_filing(
                knew_on=dt.date(2026, 6, 3),
                objection_on=dt.date(2026, 6, 3),
                objection_reply_on=dt.date(2026, 6, 5),
            )
        ).matter
        clerk = _staff(personas.office_clerk)
        response = clerk.post(reverse("complaints:accept", args=[matter.number]), {"note": "齐全"})
        assert response.status_code == 302
        matter.refresh_from_db()
        assert matter.status == Status.ACCEPTED
        # A housing officer cannot accept (the one window is the office's).
        other = file(complaint_filing(respondent_name="另一招标人")).matter
        refused = _staff(personas.housing_officer).post(
            reverse("complaints:accept", args=[other.number]), {"note": ""}
        )
        assert refused.status_code == 403
        # A letter received yesterday, entered today.
        form = clerk.get(reverse("complaints:new")).content.decode()
        token = re.search(r'name="token" value="([^"]+)"', form)
        assert token
        entered = clerk.post(
            reverse("complaints:new"),
            {
                "token": token.group(1),
                "channel": "letter",
                "received_at": "2026-06-05T15:30",
                "kind": "tip_off",
                "filer_kind": "anonymous",
                "project_text": "黄州区某泵站更新改造工程",
                "industry": "water",
                "subject": "collusion",
                "facts": "来信反映投标人之间串通报价。",
            },
        )
    assert entered.status_code == 302, entered.content.decode()[:2000]
    letter = Matter.objects.get(channel="letter")
    assert (letter.number, letter.received_by, letter.department.code) == (
        "JB-2026-000001",
        personas.office_clerk,
        "water",
    )
    assert letter.received_at == china(2026, 6, 5, 15, 30)
    # Counted from the letter's receipt: 3 working days after Friday 6/5.
    assert letter.deadlines.get(clock="acceptance_plan").due_on == dt.date(2026, 6, 10)


def test_non_acceptance_through_the_pages(personas: Any, file: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        matter = file(complaint_filing(knew_on=dt.date(2026, 6, 5))).matter  # no objection
        clerk = _staff(personas.office_clerk)
        page = clerk.get(matter.get_absolute_url()).content.decode()
        assert "应当先提出异议而未提出" in page
        refused = clerk.post(reverse("complaints:accept", args=[matter.number]), {"note": ""})
        assert refused.status_code == 302
        matter.refresh_from_db()
        assert matter.status == Status.RECEIVED  # not without a reason
        clerk.post(
            reverse("complaints:reject", args=[matter.number]),
            {"ground": "no_objection", "reasoning": "未先向招标人提出异议。"},
        )
        matter.refresh_from_db()
        assert matter.status == Status.REJECTION_PENDING
        request = services.latest_rejection_request(matter)
        assert request is not None
        _staff(personas.section_head).post(
            reverse("approvals:decide", args=[request.pk]),
            {"decision": "approve", "opinion": "同意", "level": request.current_level.order},
        )
        clerk.post(reverse("complaints:finalize", args=[matter.number]))
    matter.refresh_from_db()
    assert matter.status == Status.NOT_ACCEPTED
    notice = matter.notices.get(kind=NoticeKind.NON_ACCEPTANCE)
    assert "第六十条第二款" in notice.body


def test_report_by_department_and_csv(personas: Any, file: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        file(complaint_filing())
        file(tip_off_filing())
    clerk = _staff(personas.office_clerk)
    page = clerk.get(
        reverse("complaints:report"), {"date_from": "2026-06-01", "date_to": "2026-06-30"}
    )
    text = page.content.decode()
    assert page.status_code == 200 and "区住房和城乡建设局" in text and "区交通运输局" in text
    csv_page = clerk.get(
        reverse("complaints:report"),
        {"date_from": "2026-06-01", "date_to": "2026-06-30", "format": "csv"},
    )
    assert csv_page["Content-Type"].startswith("text/csv")
    assert "合计" in csv_page.content.decode("utf-8-sig")
    assert _staff(personas.housing_officer).get(reverse("complaints:report")).status_code == 403


def test_tracking_code_never_in_a_url_or_the_database(personas: Any) -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        response, _data = _file_online(client)
        receipt = client.get(response["Location"]).content.decode()
    code = re.search(r'id="tracking-code">([0-9A-Z-]+)<', receipt)
    assert code
    raw = crypto.normalise_code(code.group(1))
    assert raw not in response["Location"]
    assert not AuditEntry.objects.filter(after__icontains=raw).exists()
    assert raw not in Matter.objects.get().tracking_code_hash
