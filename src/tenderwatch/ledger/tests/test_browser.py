"""A department officer finds a project, reads its timeline and follows a bidder, in Chromium."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tenderwatch.ledger import testing
from tenderwatch.ledger.models import EventKind
from tenderwatch.org.testing import PASSWORD

CHINA = ZoneInfo("Asia/Shanghai")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_housing_officer_opens_a_project_and_a_bidder(live_server, page, personas) -> None:
    project = testing.build_project(
        name="黄州区禹王片区雨污分流改造工程",
        estimated_amount=Decimal("4500000"),
        registered_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=CHINA),
        lots=1,
        bids_per_lot=4,
        seed=2026,
    )
    testing.build_project(name="黄州区东湖大道提档升级工程", industry="transport", seed=2027)
    lot = project.lots.get()
    winner = lot.award.bid.bidder
    announcement = project.events.get(kind=EventKind.ANNOUNCEMENT)

    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("input[name=username]", "housing_officer")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{live_server.url}{reverse('ledger:project_list')}")
    page.fill("input[name=q]", "禹王")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.projects tbody tr")
    assert rows.count() == 1
    page.click(f"text={project.code}")

    page.wait_for_url(f"**{reverse('ledger:project_detail', args=[project.pk])}")
    assert page.locator("h1").inner_text() == project.name
    timeline = page.locator("section.timeline table.events tbody tr")
    assert timeline.count() == project.events.count()
    first_step = page.locator("tr.event-announcement")
    assert announcement.occurred_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") in (
        first_step.inner_text()
    )
    assert announcement.document.sha256[:12] in first_step.inner_text()
    assert page.locator("table.bids tbody tr").count() == 4

    page.locator("tr.bid.winner").get_by_role("link", name=winner.name).click()
    page.wait_for_url(f"**{reverse('ledger:entity_detail', args=[winner.pk])}")
    assert page.locator("h1").inner_text() == winner.name
    assert page.locator('[data-count="bids"]').inner_text() == "1"
    assert page.locator('[data-count="wins"]').inner_text() == "1"
    assert project.code in page.locator("section.entity-bids").inner_text()
