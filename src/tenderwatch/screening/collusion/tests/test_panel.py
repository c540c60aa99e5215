"""The project page shows each lot's screens with its bid distribution and the Art. 40 evidence
side by side — through the page (Django's client, both databases) and in Chromium."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import panels as ledger_panels
from tenderwatch.ledger import testing
from tenderwatch.ledger.models import Bid, Project
from tenderwatch.org.testing import PASSWORD
from tenderwatch.screening.collusion import api, panels

SHARED_IP = "60.113.93.211"


@pytest.fixture
def collusion_panel() -> Iterator[None]:
    """The lot panel on the project page, registered by ScreeningConfig.ready(); fresh fences."""
    assert panels.PANEL_NAME in ledger_panels.names()
    api.clear_fence_cache()
    yield
    api.clear_fence_cache()


def _project_with_a_shared_ip() -> tuple[Project, list[Bid]]:
    project = testing.build_project(
        name="黄州区禹王片区雨污分流改造工程",
        estimated_amount=Decimal("4500000"),
        registered_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=CHINA),
        lots=1,
        bids_per_lot=4,
        seed=2026,
    )
    lot = project.lots.get()
    bids = list(lot.bids.order_by("price"))
    # Two bidders upload from the same address (实施条例 第四十条第（二）项).
    Bid.objects.filter(pk__in=[bids[1].pk, bids[3].pk]).update(client_ip=SHARED_IP)
    return project, bids


@pytest.mark.django_db
def test_lot_screens_values(personas: Any) -> None:
    project, bids = _project_with_a_shared_ip()
    lot = project.lots.get()
    screens = api.lot_screens(lot.pk)
    assert [b["bid"] for b in screens.bids] == [b.pk for b in bids]
    assert screens.values["DIFFP"] == pytest.approx(
        float((bids[1].price - bids[0].price) / bids[0].price)
    )
    assert screens.values["KURT"] is not None  # four bids
    (finding,) = screens.evidence
    assert finding.rule_id == "BO-08(2)" and finding.lot_id == lot.pk
    assert finding.project_id == project.pk
    assert set(finding.entity_ids) == {bids[1].bidder_id, bids[3].bidder_id}
    assert finding.data["table"]["rows"][0]["values"] == [SHARED_IP, SHARED_IP]
    # One market lot only: too few lots for fences, so no signal (and no fence shown).
    assert screens.signals == [] and screens.fences["CV"] == (None, None)


@pytest.mark.django_db
def test_the_project_page_shows_the_lot_panel(
    client: Any, personas: Any, collusion_panel: None
) -> None:
    project, bids = _project_with_a_shared_ip()
    client.force_login(personas.housing_officer)
    page = client.get(reverse("ledger:project_detail", args=[project.pk])).content.decode()
    assert 'class="collusion-screens panel"' in page
    assert "<svg" in page and 'class="bids-chart"' in page
    assert SHARED_IP in page and "第四十条第（二）项" in page
    assert bids[1].bidder.name in page and bids[3].bidder.name in page


@pytest.mark.django_db
def test_a_lot_with_two_bids_shows_not_computable(
    client: Any, personas: Any, collusion_panel: None
) -> None:
    project = testing.build_project(lots=1, bids_per_lot=2, seed=7)
    client.force_login(personas.housing_officer)
    page = client.get(reverse("ledger:project_detail", args=[project.pk])).content.decode()
    assert page.count('class="not-computable"') == 3  # RD, KURT, SKEW need three or four bids
    assert 'class="muted no-evidence"' in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_officer_reads_the_screens_and_the_evidence_side_by_side(
    live_server: Any, page: Any, personas: Any, collusion_panel: None
) -> None:
    project, bids = _project_with_a_shared_ip()
    lot = project.lots.get()
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("input[name=username]", "housing_officer")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}{reverse('ledger:project_detail', args=[project.pk])}")

    panel = page.locator(f"#lot-{lot.pk} section.collusion-screens")
    assert panel.count() == 1
    # The distribution: one bar per bid, the winner marked, the ceiling drawn.
    chart = panel.locator("svg.bids-chart")
    assert chart.locator("g.bar").count() == 4
    assert chart.locator("g.bar.winner").count() == 1
    assert chart.locator("line.ceiling").count() == 1
    assert chart.locator("g.bar.marked").count() == 2
    # The screens: every one computable with four bids, values as numbers.
    assert panel.locator("tr.screen").count() == 8
    diffp = float((bids[1].price - bids[0].price) / bids[0].price)
    assert panel.locator("tr.screen-DIFFP td.value").inner_text() == f"{diffp:.4g}"
    # The evidence side by side: a column per bidder, the shared address in both.
    evidence = panel.locator('div.evidence[data-rule="BO-08(2)"]')
    assert evidence.count() == 1
    headers = evidence.locator("table.side-by-side thead th").all_inner_texts()
    assert headers[1:] == [bids[1].bidder.name, bids[3].bidder.name]
    assert evidence.locator("tbody tr td").all_inner_texts() == [SHARED_IP, SHARED_IP]
    assert "第四十条第（二）项" in evidence.inner_text()
