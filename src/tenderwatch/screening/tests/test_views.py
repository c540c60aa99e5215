"""The warnings pages through the test client: inboxes per department and for the office, a
warning's page and actions, the Excel export, the project page, the rule catalogue, and the
whole path from a feed API call to the warning on the project page."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tenderwatch.ledger import services as ledger_services
from tenderwatch.ledger.models import ProcedureEvent, Project
from tenderwatch.ledger.tests.test_services import event_payload, project_payload
from tenderwatch.org.models import User
from tenderwatch.screening import services
from tenderwatch.screening.findings import Fact, Severity
from tenderwatch.screening.models import RuleSetting, Warning, WarningStatus
from tenderwatch.screening.testing import finding, install_rules, late_clarification_rule

pytestmark = pytest.mark.django_db


def raise_one(project: Any, **kwargs: Any) -> Warning:
    report = services.warnings_raise(findings=[finding(project, **kwargs)])
    return Warning.objects.get(pk=report.created[0])


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def two(housing_project: Any, transport_project: Any) -> tuple[Warning, Warning]:
    h = raise_one(housing_project, title="住建预警", explanation="住建：投标期限不足20日")
    t = raise_one(transport_project, title="交通预警", explanation="交通：澄清距截止不足15日")
    return h, t


# -- inboxes ---------------------------------------------------------------------------------


def test_each_department_lands_on_its_own_inbox_and_reads_all(
    client: Client, district: Any, two: tuple[Warning, Warning]
) -> None:
    h, t = two
    html = login(client, district.housing_officer).get(reverse("screening:inbox")).text
    assert h.reference in html and t.reference not in html
    html = client.get(reverse("screening:inbox") + "?view=all").text
    assert h.reference in html and t.reference in html  # 互联共享: every department reads all
    html = login(Client(), district.transport_officer).get(reverse("screening:inbox")).text
    assert t.reference in html and h.reference not in html
    # The office lands on all warnings, and may assign them in bulk.
    html = login(Client(), district.office_clerk).get(reverse("screening:inbox")).text
    assert h.reference in html and t.reference in html and 'name="warnings"' in html


def test_inbox_filters(client: Client, district: Any, housing_project: Any) -> None:
    high = raise_one(housing_project, key="a", severity=Severity.HIGH)
    low = raise_one(housing_project, key="b", severity=Severity.LOW, rule_id="T-02")
    login(client, district.office_clerk)
    url = reverse("screening:inbox")
    html = client.get(url, {"severity": "high"}).text
    assert high.reference in html and low.reference not in html
    html = client.get(url, {"rule": "T-02"}).text
    assert low.reference in html and high.reference not in html
    html = client.get(url, {"department": district.dept("transport").pk}).text
    assert high.reference not in html and low.reference not in html
    Warning.objects.filter(pk=low.pk).update(due_at=low.created_at)  # long past
    html = client.get(url, {"overdue": "yes"}).text
    assert low.reference in html and high.reference not in html
    html = client.get(url, {"status": "closed"}).text
    assert high.reference not in html


def test_inbox_order_newest_highest_risk_or_soonest_deadline(
    client: Client, district: Any, housing_project: Any
) -> None:
    low = raise_one(housing_project, key="a", severity=Severity.LOW)
    high = raise_one(housing_project, key="b", severity=Severity.HIGH)
    info = raise_one(housing_project, key="c", severity=Severity.INFO)
    medium = raise_one(housing_project, key="d", severity=Severity.MEDIUM)
    assert high.due_at is not None
    Warning.objects.filter(pk=low.pk).update(due_at=high.due_at - dt.timedelta(days=3))
    Warning.objects.filter(pk=medium.pk).update(due_at=high.due_at - dt.timedelta(days=1))
    Warning.objects.filter(pk=info.pk).update(due_at=None)
    login(client, district.office_clerk)
    url = reverse("screening:inbox")

    def order(**params: str) -> list[str]:
        html = client.get(url, params).text
        refs = [w.reference for w in (low, high, info, medium)]
        return sorted(refs, key=html.index)

    assert order() == [medium.reference, info.reference, high.reference, low.reference]
    assert order(order="severity") == [
        high.reference,
        medium.reference,
        low.reference,
        info.reference,
    ]
    assert order(order="due") == [low.reference, medium.reference, high.reference, info.reference]
    # The Excel export follows the order chosen.
    response = client.get(reverse("screening:export"), {"order": "severity"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    column = [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert column == [high.reference, medium.reference, low.reference, info.reference]


def test_a_facts_bid_links_to_the_lot_of_its_own_project(client: Client, district: Any) -> None:
    """A related-lot finding names bids of two projects by their external ids; a statutory rule
    names a bid by its id: each fact links to the lot of the project the bid is in."""
    from tenderwatch.ledger.testing import build_project
    from tenderwatch.screening.findings import Finding, LegalBasis
    from tenderwatch.screening.models import Origin

    earlier, later = build_project(lots=1, bids_per_lot=3), build_project(lots=1, bids_per_lot=3)
    lot_a, lot_b = earlier.lots.get(), later.lots.get()
    bid_a, bid_b = lot_a.bids.order_by("pk")[0], lot_b.bids.order_by("pk")[1]
    related = Finding(
        rule_id="BO-08(2)",
        project_id=later.pk,
        lot_id=lot_b.pk,
        explanation="两个标段的投标文件上传IP地址相同",
        legal_basis=(LegalBasis("《招标投标法实施条例》", "第四十条第（二）项"),),
        facts=(
            Fact("甲：客户端IP地址", "106.119.60.104", f"bid:{bid_a.external_id}"),
            Fact("乙：客户端IP地址", "106.119.60.104", f"bid:{bid_b.external_id}"),
            Fact("不存在的投标", "—", "bid:NO-SUCH-BID"),
        ),
        severity=Severity.MEDIUM,
        key="related:1",
        data={"scope": "related", "lots": [lot_a.number, lot_b.number]},
    )
    report = services.warnings_raise(findings=[related], origin=Origin.SCREEN)
    warning = Warning.objects.get(pk=report.created[0])
    by_pk = raise_one(later, key="rule", facts=(Fact("中标人", "乙", f"bid:{bid_b.pk}"),))
    login(client, district.office_clerk)

    html = client.get(reverse("screening:warning_detail", args=[warning.pk])).text
    link_a = reverse("ledger:project_detail", args=[earlier.pk]) + f"#lot-{lot_a.pk}"
    link_b = reverse("ledger:project_detail", args=[later.pk]) + f"#lot-{lot_b.pk}"
    assert f'<a href="{link_a}">bid:{bid_a.external_id}</a>' in html
    assert f'<a href="{link_b}">bid:{bid_b.external_id}</a>' in html
    assert "bid:NO-SUCH-BID" in html and 'href="bid:NO-SUCH-BID"' not in html
    html = client.get(reverse("screening:warning_detail", args=[by_pk.pk])).text
    assert f'<a href="{link_b}">bid:{bid_b.pk}</a>' in html


def test_anonymous_users_log_in_first(client: Client, two: tuple[Warning, Warning]) -> None:
    for url in (
        reverse("screening:inbox"),
        reverse("screening:warning_detail", args=[two[0].pk]),
        reverse("screening:rules"),
        reverse("screening:export"),
    ):
        assert client.get(url).status_code == 302


def test_bulk_assignment_by_the_office_only(
    client: Client, district: Any, two: tuple[Warning, Warning]
) -> None:
    h, t = two
    data = {
        "warnings": [h.pk, t.pk],
        "department": district.dept("water").pk,
        "reason": "水利工程，改由水利和湖泊局核查",
    }
    response = login(client, district.housing_officer).post(reverse("screening:bulk_assign"), data)
    assert response.status_code == 403
    response = login(Client(), district.office_clerk).post(reverse("screening:bulk_assign"), data)
    assert response.status_code == 302
    assert set(Warning.objects.values_list("assigned_department__code", flat=True)) == {"water"}


def test_excel_export_of_the_selection(
    client: Client, district: Any, two: tuple[Warning, Warning]
) -> None:
    h, _t = two
    Warning.objects.filter(pk=h.pk).update(title="=HYPERLINK(1)")
    response = login(client, district.office_clerk).get(
        reverse("screening:export"), {"view": "all", "department": district.dept("housing").pk}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # header and the one housing warning
    header, row = rows
    assert header[0] == "预警编号" and "法律依据" in header
    assert row[0] == h.reference and row[5] == h.project.code
    assert row[2] == "=HYPERLINK(1)"  # text, not a formula
    assert sheet["C2"].data_type == "s"
    assert row[11] == "《招标投标法》第二十四条"


# -- one warning -----------------------------------------------------------------------------


def test_warning_page_shows_explanation_facts_basis_and_history(
    client: Client, district: Any, housing_project: Any
) -> None:
    event = housing_project.events.order_by("occurred_at").first()
    w = raise_one(
        housing_project,
        event_id=event.pk,
        facts=(Fact("澄清发出", "2026-03-10", f"event:{event.pk}"), Fact("间隔天数", 8)),
    )
    html = login(client, district.transport_officer).get(w.get_absolute_url()).text
    assert w.explanation in html and "《招标投标法》第二十四条" in html
    project_url = reverse("ledger:project_detail", args=[housing_project.pk])
    assert f'href="{project_url}#warnings-event-{event.pk}"' in html
    assert "区住房和城乡建设局" in html
    # The transport officer reads it but has no actions on it.
    assert reverse("screening:verify", args=[w.pk]) not in html
    html = login(Client(), district.housing_officer).get(w.get_absolute_url()).text
    assert reverse("screening:verify", args=[w.pk]) in html


def test_actions_post_to_the_services(client: Client, district: Any, housing_project: Any) -> None:
    w = raise_one(housing_project)
    outsider = login(Client(), district.transport_officer)
    assert outsider.post(reverse("screening:verify", args=[w.pk]), {}).status_code == 403
    nobody = User.objects.create_user(username="nobody", password="x")
    stranger = login(Client(), nobody)
    assert stranger.get(w.get_absolute_url()).status_code == 404
    assert stranger.post(reverse("screening:verify", args=[w.pk]), {}).status_code == 404
    assert stranger.get(reverse("screening:inbox")).status_code == 403
    missing = reverse("screening:warning_detail", args=[w.pk + 1000])
    assert login(Client(), district.office_clerk).get(missing).status_code == 404

    login(client, district.housing_officer)
    assert (
        client.post(reverse("screening:verify", args=[w.pk]), {"note": "核查"}).status_code == 302
    )
    decide = reverse("screening:decide", args=[w.pk])
    response = client.post(decide, {"outcome": "confirm", "action": "", "reason": "属实"})
    assert response.status_code == 400
    response = client.post(
        decide, {"outcome": "confirm", "action": "refer_case", "reason": "移送立案"}
    )
    assert response.status_code == 302
    w.refresh_from_db()
    assert (w.status, w.confirm_action) == (WarningStatus.CONFIRMED, "refer_case")
    html = client.get(w.get_absolute_url()).text
    assert "移送立案" in html and reverse("screening:close", args=[w.pk]) in html
    # A refused transition shows its message with 409, nothing changed.
    response = client.post(reverse("screening:verify", args=[w.pk]), {})
    assert response.status_code == 409 and 'role="alert"' in response.text
    assert client.post(reverse("screening:close", args=[w.pk]), {}).status_code == 302
    w.refresh_from_db()
    assert w.status == WarningStatus.CLOSED


def test_a_high_warning_dismissal_is_submitted_for_approval_from_the_page(
    client: Client, district: Any, housing_project: Any
) -> None:
    w = raise_one(housing_project, severity=Severity.HIGH)
    login(client, district.housing_officer)
    client.post(reverse("screening:verify", args=[w.pk]), {})
    response = client.post(
        reverse("screening:decide", args=[w.pk]),
        {"outcome": "dismiss", "category": "false_positive", "reason": "误报"},
    )
    assert response.status_code == 302
    w.refresh_from_db()
    assert w.status == WarningStatus.VERIFYING and w.pending_decision["outcome"] == "dismiss"
    html = client.get(w.get_absolute_url()).text
    assert reverse("approvals:detail", args=[w.pending_decision["approval"]]) in html


# -- the project page ------------------------------------------------------------------------


def test_project_page_shows_warnings_in_the_summary_and_under_their_step(
    client: Client, district: Any, housing_project: Any
) -> None:
    event = housing_project.events.order_by("occurred_at").last()
    on_step = raise_one(housing_project, key="a", event_id=event.pk, explanation="步骤上的预警")
    general = raise_one(housing_project, key="b", explanation="整个项目的预警")
    html = (
        login(client, district.transport_officer)
        .get(reverse("ledger:project_detail", args=[housing_project.pk]))
        .text
    )
    summary, timeline = html.index('class="summary"'), html.index('class="timeline"')
    panel = html.index('id="warnings"')
    assert summary < panel < timeline
    assert html.index(general.reference, panel) < timeline
    row = html.index(f'id="warnings-event-{event.pk}"')
    assert row > timeline and html.index("步骤上的预警", row) > row
    assert on_step.reference in html[row:]


# -- the rule catalogue ----------------------------------------------------------------------


def test_rule_catalogue_lists_rules_counts_and_lets_the_office_edit(
    client: Client, monkeypatch: Any, district: Any, housing_project: Any
) -> None:
    install_rules(monkeypatch, late_clarification_rule())
    confirmed = raise_one(housing_project, rule_id="T-TD06", key="a")
    dismissed = raise_one(housing_project, rule_id="T-TD06", key="b")
    for w in (confirmed, dismissed):
        services.warning_verify(warning=w, actor=district.housing_officer)
    services.warning_confirm(
        warning=confirmed, actor=district.housing_officer, action="order_correction", reason="属实"
    )
    services.warning_dismiss(
        warning=dismissed, actor=district.housing_officer, category="data_error", reason="数据错"
    )
    raise_one(housing_project, rule_id="T-TD06", key="c")
    html = login(client, district.housing_officer).get(reverse("screening:rules")).text
    assert "T-TD06" in html and "《招标投标法实施条例》第二十一条" in html
    assert "澄清至投标截止的最短天数" in html and "15日" in html
    assert '<td class="num"><a' in html and ">3</a>" in html  # fired 3
    assert "50%" in html  # one of two decided was dismissed
    assert reverse("screening:rule_update", args=["T-TD06"]) not in html  # no edit form
    url = reverse("screening:rule_update", args=["T-TD06"])
    assert client.post(url, {"p_days": 20, "reason": "x"}).status_code == 403

    office = login(Client(), district.office_clerk)
    assert url in office.get(reverse("screening:rules")).text
    response = office.post(url, {"p_days": 20, "enabled": "on", "reason": ""})
    assert response.status_code == 400 and not RuleSetting.objects.exists()
    response = office.post(url, {"p_days": 20, "enabled": "on", "reason": "区实施方案从严"})
    assert response.status_code == 302
    setting = RuleSetting.objects.get()
    assert (setting.params, setting.enabled, setting.version) == ({"days": 20}, True, 1)
    html = office.get(reverse("screening:rules")).text
    assert "区实施方案从严" in html and "20日" in html and "v1" in html


# -- from the feed API to the project page ---------------------------------------------------


def test_a_feed_call_raises_the_warning_shown_on_the_project_page(
    monkeypatch: Any, district: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    """The signal path end to end: the trading platform pushes a late clarification through the
    HTTP API; the warning exists when the call has answered and shows on the project page."""
    install_rules(monkeypatch, late_clarification_rule())
    _system, token = ledger_services.feed_system_add(code="hz-trading", name="交易中心", actor=None)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def send(method: str, path: str, body: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(api, method)(
                "/api/v1" + path,
                data=json.dumps(body, ensure_ascii=False),
                content_type="application/json",
            )
        assert response.status_code == 200, response.content
        return response

    pid = "P-2026-001"
    send("put", f"/projects/{pid}", project_payload(industry="housing_municipal"))
    send("post", f"/projects/{pid}/events", [event_payload("E1", "bid_deadline", 25, lot="L1")])
    assert not Warning.objects.exists()
    send("post", f"/projects/{pid}/events", [event_payload("E2", "clarification", 15, lot="L1")])
    warning = Warning.objects.get()
    clarification = ProcedureEvent.objects.get(external_id="E2")
    assert warning.event == clarification
    assert warning.assigned_department == district.dept("housing")
    assert warning.transitions.first().actor is None  # raised by the system (feed channel)

    project = Project.objects.get(external_id=pid)
    html = (
        login(Client(), district.housing_officer)
        .get(reverse("ledger:project_detail", args=[project.pk]))
        .text
    )
    row = html.index(f'id="warnings-event-{clarification.pk}"')
    assert "仅10日，少于15日" in html[row:]


# -- model documents -------------------------------------------------------------------------


def test_the_office_uploads_model_documents_with_versions(client: Client, district: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tenderwatch.audit.models import AuditEntry
    from tenderwatch.screening.models import ModelDocument

    url = reverse("screening:model_document_upload")
    text = "1. 投标人资格要求：{资质类别}\n2. 投标保证金：不超过估算价的2%\n"
    data = {"title": "房屋建筑工程施工招标文件示范文本", "category": "works", "methods": ["open"]}
    department = login(client, district.housing_officer)
    assert department.get(reverse("screening:model_documents")).status_code == 200
    assert department.post(url, {**data, "text": text}).status_code == 403

    office = login(Client(), district.office_clerk)
    response = office.post(url, {**data, "text": ""})
    assert response.status_code == 400 and not ModelDocument.objects.exists()
    upload = SimpleUploadedFile("示范文本.txt", text.encode("gb18030"), content_type="text/plain")
    assert office.post(url, {**data, "file": upload}).status_code == 302
    first = ModelDocument.objects.get()
    assert (first.version, first.active, first.methods, first.text) == (
        1,
        True,
        "open",
        text.strip(),
    )
    assert first.source_name == "示范文本.txt"
    assert office.post(url, {**data, "text": text + "3. 工期：{工期}日"}).status_code == 302
    first.refresh_from_db()
    second = ModelDocument.objects.get(version=2)
    assert not first.active and second.active
    html = office.get(reverse("screening:model_documents")).text
    assert "v2" in html and "v1" in html
    switch = reverse("screening:model_document_switch", args=[second.pk])
    assert office.post(switch, {"reason": ""}).status_code == 400
    assert office.post(switch, {"reason": "暂停使用，待修订"}).status_code == 302
    second.refresh_from_db()
    assert not second.active
    assert list(
        AuditEntry.objects.filter(object_type="screening.modeldocument")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "screening.model_document.uploaded",
        "screening.model_document.uploaded",
        "screening.model_document.switched",
    ]


def test_the_warning_page_lists_the_clauses_changed_from_the_model(
    client: Client, district: Any, housing_project: Any
) -> None:
    w = raise_one(housing_project, rule_id="TD-01")
    Warning.objects.filter(pk=w.pk).update(
        data={
            "model": 1,
            "changes": [
                {
                    "number": "2",
                    "kind": "changed",
                    "model": "投标保证金：不超过估算价的2%",
                    "document": "投标保证金：估算价的3%",
                    "diff": "",
                }
            ],
        }
    )
    html = login(client, district.housing_officer).get(w.get_absolute_url()).text
    assert "投标保证金：估算价的3%" in html and "不超过估算价的2%" in html
