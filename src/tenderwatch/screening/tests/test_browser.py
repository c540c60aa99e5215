"""Issue 5, "done when": a feed call with a late clarification shows the warning on the project
page at once, and the housing department's inbox has it while the transport department's does
not. The trading platform calls the real HTTP API of the live server; the statutory rule is the
rules' own TD-06 (招标投标法实施条例 第二十一条)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from django.urls import reverse

from tenderwatch.ledger import services as ledger_services
from tenderwatch.ledger.models import ProcedureEvent, Project
from tenderwatch.ledger.tests.test_services import event_payload, project_payload
from tenderwatch.org.testing import PASSWORD, load_district
from tenderwatch.screening import catalogue
from tenderwatch.screening.models import Warning

PID = "P-2026-001"  # the id of `project_payload`


def push(base: str, token: str, method: str, path: str, body: Any) -> dict[str, Any]:
    """One call of the trading platform to the feed API, over HTTP."""
    request = urllib.request.Request(  # noqa: S310 — the live test server
        f"{base}/api/v1{path}",
        data=json.dumps(body, ensure_ascii=False).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        assert response.status == 200
        return dict(json.loads(response.read()))


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_late_clarification_warning_on_the_project_page_and_the_right_inbox(
    live_server: Any, page: Any, personas: Any
) -> None:
    assert "TD-06" in catalogue.specs(), "the statutory rule TD-06 is in the catalogue"
    load_district(actor=personas.admin)
    _system, token = ledger_services.feed_system_add(
        code="hz-trading", name="黄州区公共资源交易中心", actor=None
    )
    base = live_server.url
    push(base, token, "PUT", f"/projects/{PID}", project_payload(industry="housing_municipal"))
    push(
        base,
        token,
        "POST",
        f"/projects/{PID}/events",
        [
            event_payload("E1", "tender_documents_issued", 2),
            event_payload("E2", "bid_deadline", 25, lot="L1"),
        ],
    )
    assert not Warning.objects.exists()
    # The clarification comes 10 days before the bid deadline: fewer than 15.
    push(base, token, "POST", f"/projects/{PID}/events", [event_payload("E3", "clarification", 15)])
    # The feed call has answered: the warning exists already, no sweeper involved.
    warning = Warning.objects.get(rule_id="TD-06")
    clarification = ProcedureEvent.objects.get(external_id="E3")
    project = Project.objects.get(external_id=PID)
    assert warning.event == clarification

    log_in(page, base, "housing_officer")
    page.goto(f"{base}{reverse('ledger:project_detail', args=[project.pk])}")
    step = page.locator(f"tr#warnings-event-{clarification.pk}")
    assert step.count() == 1
    assert warning.reference in step.inner_text()
    assert warning.explanation in step.inner_text()
    # The row sits right under the clarification's own row on the timeline.
    above = step.locator("xpath=preceding-sibling::tr[1]")
    assert "event-clarification" in (above.get_attribute("class") or "")
    assert warning.reference in page.locator("section#warnings").inner_text()

    page.goto(f"{base}{reverse('screening:inbox')}")
    assert page.locator("h1").inner_text() == "本部门预警"
    assert (
        page.locator("table.warnings tbody").get_by_role("link", name=warning.reference).count()
        == 1
    )
    page.get_by_role("link", name=warning.reference).click()
    page.wait_for_url(f"**{reverse('screening:warning_detail', args=[warning.pk])}")
    assert "《招标投标法实施条例》第二十一条" in page.locator("main").inner_text()

    page.locator("form.logout button").click()
    page.wait_for_load_state()
    log_in(page, base, "transport_officer")
    page.goto(f"{base}{reverse('screening:inbox')}")
    assert page.locator("h1").inner_text() == "本部门预警"
    assert page.get_by_role("link", name=warning.reference).count() == 0
    assert "没有符合条件的预警" in page.locator("table.warnings").inner_text()
