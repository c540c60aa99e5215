"""Ledger reads: search filters, newest-version timeline, entity counts, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenderwatch.core.errors import NotFound
from tenderwatch.ledger import selectors, testing
from tenderwatch.ledger.models import (
    Award,
    Bid,
    Category,
    EventKind,
    ProcedureEvent,
    ProcurementMethod,
    ProjectStatus,
)
from tenderwatch.org.models import User

CHINA = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=CHINA)


@pytest.fixture
def three(personas):
    housing = testing.build_project(
        name="黄州区赤壁片区老旧小区改造工程",
        industry="housing",
        estimated_amount=Decimal("4500000"),
        registered_at=at(2026, 3, 2),
        seed=1,
    )
    # Registered at 00:30 China time on 11 May: 10 May in UTC.
    transport = testing.build_project(
        name="黄州区东湖大道提档升级工程",
        industry="transport",
        estimated_amount=Decimal("12000000"),
        registered_at=at(2026, 5, 11, 0, 30),
        procurement_method=ProcurementMethod.INVITED,
        stage=ProjectStatus.BIDDING,
        region_code="421102",
        seed=2,
    )
    water = testing.build_project(
        name="黄州区南湖泵站更新改造设备采购",
        industry="water",
        category=Category.GOODS,
        estimated_amount=Decimal("1500000"),
        registered_at=at(2026, 7, 1),
        region_code="421181",
        seed=3,
    )
    return housing, transport, water


def codes(qs) -> set[str]:
    return {p.code for p in qs}


def test_search_filters_each_narrow_the_list(personas, three) -> None:
    housing, transport, water = three
    user = personas.housing_officer

    def search(**kw):
        return codes(selectors.projects_search(user=user, **kw))

    assert search() == {housing.code, transport.code, water.code}
    assert search(q=housing.code) == {housing.code}
    assert search(q="东湖大道") == {transport.code}
    assert search(q=water.tenderer.name[:8]) >= {water.code}
    assert search(industry="transport") == {transport.code}
    assert housing.industry == "housing_municipal"  # the authority list's code for "housing"
    assert search(industry="housing_municipal") == {housing.code}
    assert search(category=Category.GOODS) == {water.code}
    assert search(method=ProcurementMethod.INVITED) == {transport.code}
    assert search(status=ProjectStatus.BIDDING) == {transport.code}
    assert search(region="421181") == {water.code}
    assert search(region="4211") == {housing.code, transport.code, water.code}
    # China dates: the transport project was registered on 11 May in China (10 May in UTC).
    assert transport.registered_at.astimezone(dt.UTC).date() == dt.date(2026, 5, 10)
    assert search(registered_from=dt.date(2026, 5, 11)) == {transport.code, water.code}
    assert search(registered_to=dt.date(2026, 5, 10)) == {housing.code}
    assert search(registered_from=dt.date(2026, 5, 11), registered_to=dt.date(2026, 5, 11)) == {
        transport.code
    }
    assert search(amount_min=Decimal("4000000")) == {housing.code, transport.code}
    assert search(amount_max=Decimal("4500000")) == {housing.code, water.code}
    # 16号令: 450万 works and 150万 goods (≥ 200万 threshold not reached).
    assert search(must_tender=True) == {housing.code, transport.code}
    assert search(must_tender=False) == {water.code}


def test_search_orders_newest_first_and_counts_lots_and_bids(personas, three) -> None:
    housing, transport, water = three
    rows = list(selectors.projects_search(user=personas.transport_officer))
    assert [p.code for p in rows] == [water.code, transport.code, housing.code]
    for p in rows:
        assert p.lot_count == p.lots.count()
        assert p.bid_count == Bid.objects.filter(lot__project=p).count()
    assert transport.lots.count() >= 1 and rows[1].bid_count >= 3


def test_every_staff_role_reads_the_whole_ledger_and_a_user_without_role_reads_nothing(
    personas, three
) -> None:
    everyone = {p.code for p in three}
    for user in (personas.housing_officer, personas.transport_officer, personas.auditor):
        assert codes(selectors.projects_search(user=user)) == everyone
    nobody = User.objects.create_user(username="no_role", password="x-long-password-1")
    assert codes(selectors.projects_search(user=nobody)) == set()
    with pytest.raises(NotFound):
        selectors.project_detail(user=nobody, pk=three[0].pk)


def test_timeline_shows_the_newest_version_of_each_event_ordered_by_occurred_at(personas) -> None:
    project = testing.build_project(registered_at=at(2026, 3, 2), lots=1, seed=7)
    events = list(selectors.timeline(project))
    assert events == sorted(events, key=lambda e: (e.occurred_at, e.pk))
    assert {e.version for e in events} == {1}
    deadline = next(e for e in events if e.kind == EventKind.BID_DEADLINE)
    opening = next(e for e in events if e.kind == EventKind.OPENING)

    # The platform corrects the deadline (v2, a day earlier), then again (v3, back later):
    # only v3 shows, at its own time.
    testing.add_event_version(deadline, occurred_at=deadline.occurred_at - dt.timedelta(days=1))
    v3 = testing.add_event_version(
        deadline, occurred_at=deadline.occurred_at + dt.timedelta(hours=2), note="顺延"
    )
    # A step reported late (higher id) that happened early (clarification on day 2) is placed
    # by when it happened, not by when it arrived.
    late = ProcedureEvent.objects.create(
        project=project,
        kind=EventKind.OBJECTION,
        occurred_at=at(2026, 3, 4, 10),
        source="test",
        external_id=f"{project.external_id}-LATE",
    )
    # Two steps at the same moment keep their id order.
    same = ProcedureEvent.objects.create(
        project=project,
        kind=EventKind.OBJECTION_REPLY,
        occurred_at=at(2026, 3, 4, 10),
        source="test",
        external_id=f"{project.external_id}-LATE2",
    )

    shown = list(selectors.timeline(project))
    deadlines = [e for e in shown if e.external_id == deadline.external_id]
    assert [(e.pk, e.version, e.version_count) for e in deadlines] == [(v3.pk, 3, 3)]
    assert shown == sorted(shown, key=lambda e: (e.occurred_at, e.pk))
    assert shown.index(late) < shown.index(same)
    assert shown.index(late) < shown.index(v3) and shown.index(v3) > shown.index(opening)
    assert all(not e.is_superseded for e in shown)

    everything = list(selectors.timeline(project, all_versions=True))
    versions = [e for e in everything if e.external_id == deadline.external_id]
    assert [(e.version, e.is_superseded) for e in versions] == [(2, True), (1, True), (3, False)]
    assert len(everything) == len(shown) + 2


def test_entity_profile_counts_bids_wins_and_roles_in_sql(personas) -> None:
    winner = testing.build_entity(name="黄冈鸿达建设工程有限公司")
    loser = testing.build_entity(name="湖北楚天路桥工程有限公司")
    partner = testing.build_entity(name="武汉长江市政工程有限公司")
    projects = [
        testing.build_project(bidders=[winner, loser], bids_per_lot=3, lots=1, seed=11),
        testing.build_project(bidders=[winner, loser], bids_per_lot=3, lots=1, seed=12),
        testing.build_project(bidders=[loser, winner], bids_per_lot=4, lots=1, seed=13),
        testing.build_project(
            bidders=[loser, winner], bids_per_lot=3, lots=1, stage=ProjectStatus.BIDDING, seed=14
        ),
    ]
    bid = Bid.objects.get(lot__project=projects[0], bidder=winner)
    bid.consortium_members.add(partner)
    tenderer = projects[0].tenderer
    agency = projects[0].agency

    profile = selectors.entity_profile(user=personas.transport_officer, pk=winner.pk)
    s = profile.stats
    assert (s.bids, s.wins, s.contracts) == (4, 2, 2)
    assert s.win_rate == pytest.approx(0.5)
    expected_won = sum(
        a.amount for a in Award.objects.filter(bid__bidder=winner) if a.amount is not None
    )
    assert s.won_amount == expected_won
    assert profile.bids.paginator.count == 4
    assert {b.lot.project_id for b in profile.bids.object_list} == {p.pk for p in projects}
    assert sum(1 for b in profile.bids.object_list if b.won) == 2
    assert profile.wins.paginator.count == 2

    loser_stats = selectors.entity_profile(user=personas.housing_officer, pk=loser.pk).stats
    assert (loser_stats.bids, loser_stats.wins) == (4, 1)

    partner_profile = selectors.entity_profile(user=personas.housing_officer, pk=partner.pk)
    assert partner_profile.stats.consortium == 1
    assert partner_profile.consortium.object_list[0].bidder == winner

    t_stats = selectors.entity_stats(tenderer)
    assert t_stats.tendered == sum(1 for p in projects if p.tenderer_id == tenderer.pk)
    assert selectors.entity_stats(agency).as_agency == sum(
        1 for p in projects if p.agency_id == agency.pk
    )

    ranked = selectors.entities_with_stats().filter(pk__in=[winner.pk, loser.pk, partner.pk])
    by_pk = {e.pk: e for e in ranked}
    assert (by_pk[winner.pk].bid_count, by_pk[winner.pk].win_count) == (4, 2)
    assert by_pk[winner.pk].win_rate == pytest.approx(0.5)
    assert by_pk[loser.pk].win_rate == pytest.approx(0.25)
    assert by_pk[partner.pk].win_rate is None


def test_entity_profile_pages_each_list(personas) -> None:
    bidder = testing.build_entity(name="黄冈华建建筑工程有限公司")
    for seed in range(5):
        testing.build_project(bidders=[bidder], bids_per_lot=3, lots=1, seed=100 + seed)
    profile = selectors.entity_profile(
        user=personas.housing_officer, pk=bidder.pk, pages={"bids": 2}, per_page=2
    )
    assert profile.bids.number == 2 and len(profile.bids.object_list) == 2
    assert profile.bids.paginator.num_pages == 3
    assert profile.wins.number == 1


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_project_and_entity_pages_use_a_fixed_number_of_queries(personas) -> None:
    """No N+1: a project with twice the lots and bids costs the same number of queries."""
    user = personas.housing_officer
    bidder = testing.build_entity(name="黄冈宏远建设工程有限公司")
    small = testing.build_project(lots=1, bids_per_lot=3, bidders=[bidder], seed=21)
    big = testing.build_project(lots=2, bids_per_lot=5, bidders=[bidder], seed=22)
    for b in Bid.objects.filter(lot__project=big)[:3]:
        b.consortium_members.add(testing.build_entity())

    def detail(p):
        def run():
            d = selectors.project_detail(user=user, pk=p.pk)
            for lv in d.lots:
                for row in lv.bids:
                    _ = (row.bid.bidder.name, row.evaluation, row.bid.project_manager)
                    _ = [m.name for m in row.bid.consortium_members.all()]
                _ = [m.expert for m in lv.committee]
                _ = lv.opening and lv.opening.document
                _ = [c.supplier.name for c in lv.contracts]
                _ = lv.award and lv.award.bid.bidder.name

        return run

    # scope_of caches the user's roles on the user object: warm it first.
    selectors.project_detail(user=user, pk=small.pk)
    assert _queries(detail(small)) == _queries(detail(big))

    other = testing.build_entity(name="湖北远大建设工程有限公司")
    testing.build_project(lots=1, bids_per_lot=3, bidders=[other], seed=23)
    for seed in range(3):
        testing.build_project(lots=2, bids_per_lot=3, bidders=[other], seed=30 + seed)

    def profile(e):
        def run():
            p = selectors.entity_profile(user=user, pk=e.pk)
            for b in p.bids.object_list:
                _ = (b.lot.project.name, b.won, b.project_manager, b.evaluation.rank)
            for a in p.wins.object_list:
                _ = a.lot.project.code

        return run

    assert _queries(profile(bidder)) == _queries(profile(other))
