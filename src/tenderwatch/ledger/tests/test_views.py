"""Ledger pages through the test client: every department reads every project; anonymous users
log in first; what the project and entity pages show."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from tenderwatch.ledger import testing
from tenderwatch.ledger.models import Bid, Category, EventKind, Instruction, ProjectStatus
from tenderwatch.org.models import User

CHINA = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture
def housing_project(personas):
    return testing.build_project(
        name="黄州区赤壁片区老旧小区改造工程",
        industry="housing",
        estimated_amount=Decimal("4500000"),
        registered_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=CHINA),
        lots=2,
        seed=41,
    )


@pytest.fixture
def transport_project(personas):
    return testing.build_project(
        name="黄州区东湖大道提档升级工程",
        industry="transport",
        estimated_amount=Decimal("12000000"),
        registered_at=dt.datetime(2026, 4, 6, 10, 0, tzinfo=CHINA),
        lots=1,
        seed=42,
    )


def test_anonymous_users_are_sent_to_the_login_page(client, housing_project) -> None:
    bidder = Bid.objects.filter(lot__project=housing_project).first().bidder
    login = resolve_url(settings.LOGIN_URL)
    for url in (
        reverse("ledger:project_list"),
        reverse("ledger:project_detail", args=[housing_project.pk]),
        reverse("ledger:entity_detail", args=[bidder.pk]),
        reverse("ledger:approved_list"),
        reverse("ledger:approved_template"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login + "?next="), url


@pytest.mark.parametrize("who", ["housing_officer", "transport_officer"])
def test_every_department_reads_every_project(
    client, personas, who, housing_project, transport_project
) -> None:
    client.force_login(getattr(personas, who))
    page = client.get(reverse("ledger:project_list")).content.decode()
    assert housing_project.code in page and transport_project.code in page
    for project in (housing_project, transport_project):
        response = client.get(reverse("ledger:project_detail", args=[project.pk]))
        assert response.status_code == 200
        assert project.name in response.content.decode()


def test_a_user_without_a_role_is_refused(client, housing_project) -> None:
    nobody = User.objects.create_user(username="nobody", password="x-long-password-1")
    client.force_login(nobody)
    assert client.get(reverse("ledger:project_list")).status_code == 403
    assert (
        client.get(reverse("ledger:project_detail", args=[housing_project.pk])).status_code == 403
    )


def test_project_list_filters_and_searches(
    client, personas, housing_project, transport_project
) -> None:
    client.force_login(personas.transport_officer)
    url = reverse("ledger:project_list")
    page = client.get(url, {"q": "东湖大道"}).content.decode()
    assert transport_project.code in page and housing_project.code not in page
    page = client.get(url, {"industry": "housing_municipal"}).content.decode()
    assert housing_project.code in page and transport_project.code not in page
    # amounts are typed in 万元: 500万 and more
    page = client.get(url, {"amount_min": "500"}).content.decode()
    assert transport_project.code in page and housing_project.code not in page
    page = client.get(url, {"registered_to": "2026-03-31"}).content.decode()
    assert housing_project.code in page and transport_project.code not in page
    page = client.get(url, {"q": housing_project.tenderer.name}).content.decode()
    assert housing_project.code in page
    # a bad value is reported beside its field; the other filters still apply
    response = client.get(url, {"registered_from": "not-a-date", "industry": "transport"})
    assert response.status_code == 200
    assert response.context["form"].errors["registered_from"]
    page = response.content.decode()
    assert transport_project.code in page and housing_project.code not in page


def test_project_list_paginates(client, personas) -> None:
    tenderer = testing.build_entity(name="黄冈市黄州区城市建设投资有限公司", qualified=False)
    for i in range(27):
        testing.build_project(
            tenderer=tenderer, lots=1, bids_per_lot=3, stage=ProjectStatus.REGISTERED, seed=500 + i
        )
    client.force_login(personas.housing_officer)
    first = client.get(reverse("ledger:project_list")).content.decode()
    assert "?page=2" in first
    second = client.get(reverse("ledger:project_list"), {"page": 2})
    assert second.context["page"].number == 2
    assert len(second.context["page"].object_list) == 2


def test_project_page_shows_timeline_lots_bids_and_parties(
    client, personas, housing_project
) -> None:
    client.force_login(personas.housing_officer)
    url = reverse("ledger:project_detail", args=[housing_project.pk])
    response = client.get(url)
    html = response.content.decode()
    detail = response.context["d"]
    assert len(detail.lots) == 2
    # timeline, in China time
    announcement = housing_project.events.get(kind=EventKind.ANNOUNCEMENT)
    assert announcement.occurred_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") in html
    assert announcement.document.sha256[:12] in html
    assert str(EventKind.OPENING.label) in html or "开标" in html
    # bids with their fingerprints and the ratio to the ceiling price
    lot = housing_project.lots.order_by("number").first()
    bid = lot.bids.order_by("price").first()
    assert bid.bidder.name in html
    assert bid.client_ip in html and bid.mac_address in html and bid.ca_key_id in html
    assert bid.file_hash[:12] in html and bid.security_account in html
    assert bid.project_manager.name in html
    cent = Decimal("0.01")
    ratio = (bid.price / lot.ceiling_price * 100).quantize(cent, ROUND_HALF_UP)
    assert f"{ratio}%" in html
    share = (lot.bid_security / lot.estimated_amount * 100).quantize(cent, ROUND_HALF_UP)
    assert f"{share}%" in html
    # opening, committee, ranking, award, contract, parties
    assert lot.opening.location in html
    assert lot.committee.first().name in html
    assert lot.award.bid.bidder.name in html
    assert housing_project.tenderer.name in html and housing_project.agency.name in html
    assert reverse("ledger:entity_detail", args=[bid.bidder.pk]) in html


def test_project_page_shows_corrected_events_and_all_versions(
    client, personas, housing_project
) -> None:
    deadline = housing_project.events.get(kind=EventKind.BID_DEADLINE)
    moved = deadline.occurred_at + dt.timedelta(days=3)
    testing.add_event_version(deadline, occurred_at=moved, note="投标截止时间顺延")
    client.force_login(personas.housing_officer)
    url = reverse("ledger:project_detail", args=[housing_project.pk])
    newest = client.get(url)
    shown = [e for e in newest.context["d"].events if e.external_id == deadline.external_id]
    assert [e.version for e in shown] == [2]
    assert moved.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") in newest.content.decode()
    every = client.get(url, {"versions": "all"})
    versions = [e for e in every.context["d"].events if e.external_id == deadline.external_id]
    assert sorted(e.version for e in versions) == [1, 2]
    assert 'class="event event-bid_deadline superseded"' in every.content.decode()


def test_project_page_lists_instructions_sent_to_the_platform(
    client, personas, housing_project
) -> None:
    from tenderwatch.ledger.models import FeedSystem

    system = FeedSystem.objects.create(
        code="hzggzy", name="黄州区公共资源交易平台", token_hash="0" * 64
    )
    Instruction.objects.create(
        project=housing_project,
        system=system,
        kind="suspend",
        reason="投诉处理期间暂停招标投标活动",
        basis="招标投标法实施条例 第六十二条",
        issued_by=personas.office_clerk,
    )
    client.force_login(personas.transport_officer)
    html = client.get(reverse("ledger:project_detail", args=[housing_project.pk])).content.decode()
    assert "投诉处理期间暂停招标投标活动" in html and "黄州区公共资源交易平台" in html


def test_unknown_project_is_not_found(client, personas) -> None:
    client.force_login(personas.housing_officer)
    assert client.get(reverse("ledger:project_detail", args=[999999])).status_code == 404
    assert client.get(reverse("ledger:entity_detail", args=[999999])).status_code == 404
    assert client.get(reverse("ledger:document_detail", args=["0" * 64])).status_code == 404


def test_entity_page_shows_what_it_bid_on_won_and_tendered(client, personas) -> None:
    bidder = testing.build_entity(name="黄冈鸿达建设工程有限公司", category=Category.WORKS)
    won = testing.build_project(bidders=[bidder], lots=1, bids_per_lot=3, seed=61)
    lost = testing.build_project(lots=1, bids_per_lot=4, seed=62)
    other = lost.lots.get().bids.first().bidder
    testing.build_project(bidders=[other, bidder], lots=1, bids_per_lot=3, seed=63)
    client.force_login(personas.transport_officer)
    response = client.get(reverse("ledger:entity_detail", args=[bidder.pk]))
    html = response.content.decode()
    stats = response.context["stats"]
    assert (stats.bids, stats.wins) == (2, 1)
    assert 'data-count="win-rate">50.0%' in html
    assert won.code in html
    assert bidder.qualifications.first().certificate_no in html
    assert bidder.key_people.first().name in html

    tenderer = won.tenderer
    html = client.get(reverse("ledger:entity_detail", args=[tenderer.pk])).content.decode()
    assert won.code in html and 'data-count="tendered">' in html


def test_document_page_shows_the_hash_and_where_it_is_used(
    client, personas, housing_project
) -> None:
    event = housing_project.events.filter(document__isnull=False).first()
    client.force_login(personas.housing_officer)
    html = client.get(
        reverse("ledger:document_detail", args=[event.document.sha256])
    ).content.decode()
    assert event.document.sha256 in html and housing_project.code in html


def test_register_nav_adds_the_ledger_entries(personas) -> None:
    from tenderwatch.ledger.views import register_nav
    from tenderwatch.web import nav

    register_nav()
    names = [i.url_name for i in nav.items_for(personas.transport_officer)]
    assert "ledger:project_list" in names and "ledger:approved_list" in names


def test_admin_lists_the_ledger_and_keeps_events_and_instructions_read_only(
    client, personas, housing_project
) -> None:
    from django.contrib import admin as django_admin

    from tenderwatch.ledger.models import MarketEntity, ProcedureEvent

    client.force_login(personas.admin)
    for name in ("marketentity", "project", "procedureevent", "bid", "feedsystem", "instruction"):
        response = client.get(reverse(f"admin:ledger_{name}_changelist"))
        assert response.status_code == 200, name
    entity = housing_project.tenderer
    response = client.get(reverse("admin:ledger_marketentity_change", args=[entity.pk]))
    assert response.status_code == 200 and entity.identifier in response.content.decode()
    event = housing_project.events.first()
    event_admin = django_admin.site._registry[ProcedureEvent]
    request = response.wsgi_request
    assert not event_admin.has_change_permission(request, event)
    assert not event_admin.has_delete_permission(request, event)
    assert not event_admin.has_add_permission(request)
    # viewing an event works, changing it does not
    url = reverse("admin:ledger_procedureevent_change", args=[event.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"note": "改写"}).status_code == 403
    assert ProcedureEvent.objects.get(pk=event.pk).note == ""
    assert MarketEntity in django_admin.site._registry


def test_other_apps_add_panels_to_the_project_page(client, personas, housing_project, settings):
    """ledger.panels: a provider places panels after the summary, in a lot, under a step."""
    from tenderwatch.ledger import panels

    engine = dict(settings.TEMPLATES[0])
    engine["APP_DIRS"] = False
    engine["OPTIONS"] = {
        **engine.get("OPTIONS", {}),
        "loaders": [
            (
                "django.template.loaders.locmem.Loader",
                {"t/panel.html": '<aside class="p-{{ panel.where }}">{{ panel.text }}</aside>'},
            ),
            "django.template.loaders.app_directories.Loader",
        ],
    }
    settings.TEMPLATES = [engine]
    lot = housing_project.lots.order_by("number").first()
    event = housing_project.events.order_by("occurred_at").first()
    seen = []

    def provider(request, project):
        seen.append((request.user, project.pk))
        yield panels.Panel("t/panel.html", {"where": "project", "text": "<b>整体</b>"})
        yield panels.Panel("t/panel.html", {"where": "lot", "text": "标段面板"}, lot_id=lot.pk)
        yield panels.Panel("t/panel.html", {"where": "event", "text": "步骤"}, event_id=event.pk)

    panels.register("test.panel", provider)
    try:
        client.force_login(personas.housing_officer)
        html = client.get(reverse("ledger:project_detail", args=[housing_project.pk])).text
    finally:
        panels.unregister("test.panel")
    assert seen == [(personas.housing_officer, housing_project.pk)]
    assert '<aside class="p-project">&lt;b&gt;整体&lt;/b&gt;</aside>' in html  # escaped
    summary, timeline = html.index('class="summary"'), html.index('class="timeline"')
    assert summary < html.index("p-project") < timeline
    lot_section = html.index(f'id="lot-{lot.pk}"')
    assert html.index("p-lot") > lot_section and html.count("p-lot") == 1
    assert timeline < html.index("p-event") < lot_section
