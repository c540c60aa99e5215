"""The generated data: deterministic, realistic, on working days, and every labelled violation
really breaks its rule while the unlabelled data breaks none."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics
from collections import Counter
from decimal import Decimal

import pytest

from tenderwatch.generator.bundles import validated
from tenderwatch.generator.model import SCALES, Generator
from tenderwatch.generator.tests import checks
from tenderwatch.generator.tests.conftest import bundles_and_labels, generate
from tenderwatch.generator.violations import CLAUSES, MUST_RULE, RATES, RULES
from tenderwatch.generator.workcal import WorkCalendar
from tenderwatch.ledger.identifiers import normalize_uscc
from tenderwatch.ledger.models import CommitteeRole

ALL_CODES = set(RATES)


def _dump(bundles: list) -> list[str]:
    return [b.model_dump_json() for b in bundles]


def test_same_seed_same_bundles_and_labels(calendar: WorkCalendar) -> None:
    _g1, first, labels1 = bundles_and_labels(calendar, lots=160, seed=42)
    _g2, second, labels2 = bundles_and_labels(calendar, lots=160, seed=42)
    assert _dump(first) == _dump(second)
    assert [lab.as_dict() for lab in labels1] == [lab.as_dict() for lab in labels2]
    _g3, other, _labels3 = bundles_and_labels(calendar, lots=160, seed=43)
    assert _dump(other) != _dump(first)
    assert [b.project.name for b in other] != [b.project.name for b in first]
    assert {b.bidder.identifier for x in other for b in x.bids} != {
        b.bidder.identifier for x in first for b in x.bids
    }


def test_bundles_are_what_validation_makes_of_them(calendar: WorkCalendar) -> None:
    """Bundles are built without validation for speed; validating one changes nothing."""
    _g, bundles, _labels = bundles_and_labels(calendar, lots=120, seed=3, rate_scale=3)
    for bundle in bundles:
        assert validated(bundle).model_dump() == bundle.model_dump()


def test_every_uscc_passes_the_check(calendar: WorkCalendar) -> None:
    generator, bundles, _labels = bundles_and_labels(calendar, lots=300, seed=5)
    codes = {c.uscc for c in generator.population.companies}
    assert len(codes) == len(generator.population.companies)  # unique
    for bundle in bundles:
        project = bundle.project
        codes |= {e.identifier for e in (project.tenderer, project.agency) if e is not None}
        codes |= {b.bidder.identifier for b in bundle.bids}
        codes |= {c.supplier.identifier for o in bundle.outcomes for c in o.contracts if c.supplier}
    for code in codes:
        assert normalize_uscc(code) == code
    local = [c for c in generator.population.companies if c.uscc[2:8] == "421102"]
    assert len(local) > len(codes) * 0.25  # local firms (黄州区) are the largest group


def test_every_labelled_violation_breaks_its_rule_and_clean_data_none(
    calendar: WorkCalendar,
) -> None:
    _g, bundles, labels = bundles_and_labels(calendar, lots=2000, seed=11, rate_scale=3)
    assert {lab.code for lab in labels} == ALL_CODES  # every kind is checked at least once
    assert checks.verify(bundles, labels) == []
    # Every rule reference is a row of RULES.md.
    rows = {r for r, _law in RULES.values()} | set(MUST_RULE.values()) | {"TD-09b"}
    rows |= {rule for rule, _text, _law in CLAUSES.values()}
    assert {lab.rule for lab in labels} <= rows
    for label in labels:
        assert label.description.endswith("。")
        assert label.lot_external_id.startswith(label.project_external_id)


def test_clean_data_has_no_violation(calendar: WorkCalendar) -> None:
    generator, bundles, labels = bundles_and_labels(calendar, lots=600, seed=12, rate_scale=0)
    assert labels == []
    assert sum(generator.stats.injected.values()) == 0
    assert checks.verify(bundles, labels) == []


@pytest.mark.django_db
def test_timelines_fall_on_the_working_days_of_the_calendar(calendar: WorkCalendar) -> None:
    from tenderwatch.workdays import calendar as workdays

    database = WorkCalendar.from_database()
    assert (database.first, database.last) == (calendar.first, calendar.last)
    assert all(
        database.is_workday(d) == calendar.is_workday(d)
        for d in range(calendar.first, calendar.last + 1)
    )
    _g, bundles, labels = bundles_and_labels(database, lots=500, seed=21, rate_scale=2)
    assert checks.workday_problems(bundles, workdays.is_workday) == []
    # The clean tendered lots keep the statutory periods (checks.verify asserts them for all).
    tendered = [b for b in bundles if b.project.procurement_method in ("open", "invited")]
    labelled = {lab.project_external_id for lab in labels if lab.scope == "project"}
    for bundle in tendered:
        if bundle.external_id in labelled:
            continue
        facts = checks.Facts(bundle)
        assert facts.days_between("tender_documents_issued", "bid_deadline") >= 20
        assert facts.days_between("tender_documents_issued", "tender_documents_sale_end") >= 5


def test_injected_rates_are_within_tolerance(calendar: WorkCalendar) -> None:
    generator, projects = generate(calendar, lots=20_000, seed=7)
    stats = generator.stats
    labels = [lab for p in projects for lab in p.labels]
    for code, rate in RATES.items():
        n, k = stats.eligible[code], stats.injected[code]
        assert n > 300, code
        tolerance = 4.5 * math.sqrt(rate * (1 - rate) / n) + 1 / n
        assert abs(k / n - rate) <= tolerance, (code, k, n, rate)
        mine = [lab for lab in labels if lab.code == code]
        if code == "split_to_avoid_tendering":
            assert len({lab.evidence["group"] for lab in mine}) == k
        elif code == "shared_ip_related_lots":  # and the later lots that show it again
            assert len([lab for lab in mine if lab.evidence["planted"]]) == k
        elif mine and mine[0].scope == "project":
            assert len({lab.project_external_id for lab in mine}) == k
        else:
            assert len(mine) == k
    # The scale multiplies every rate.
    single, _projects = generate(calendar, lots=5_000, seed=8)
    doubled, _projects = generate(calendar, lots=5_000, seed=8, rate_scale=2)
    assert sum(doubled.stats.injected.values()) > 1.7 * sum(single.stats.injected.values())


def test_district_scale_is_about_1500_lots_over_three_years(calendar: WorkCalendar) -> None:
    generator = Generator(scale=SCALES["district"], seed=1, calendar=calendar)
    projects = list(generator.projects())
    lots = [lot for p in projects for lot in p.lots]
    assert 1425 <= len(lots) <= 1575
    days = [dt.date.fromordinal(generator.days[0]), dt.date.fromordinal(generator.days[-1])]
    assert days[0] >= dt.date(2023, 1, 1) and days[1] <= dt.date(2025, 12, 31)
    years = Counter(dt.date.fromordinal(generator.days[i]).year for i in range(len(generator.days)))
    assert set(years) == {2023, 2024, 2025} and min(years.values()) > 350

    # A county's mix: 房建市政 first, then 政府采购, 交通, 水利, 农业农村.
    industries = Counter(p.industry for p in projects)
    assert industries.most_common(1)[0][0] == "housing_municipal"
    assert 0.38 < industries["housing_municipal"] / len(projects) < 0.52
    assert all(industries[i] > 60 for i in ("transport", "water", "agriculture"))
    # Amounts: many below the must-tender thresholds, some far above.
    works = sorted(p.estimate for p in projects if p.category == "works")
    below = sum(a < 400 * 1_000_000 for a in works) / len(works)
    assert 0.45 < below < 0.75 and works[-1] > 4000 * 1_000_000
    # Bidders: 3–12 on clean lots, about five on average, repeat bidders.
    clean = [lot for p in projects for lot in p.lots if lot.bids and not p.labels]
    counts = [len(lot.bids) for lot in clean]
    assert min(counts) >= 3 and max(counts) <= 12 and 4.2 < statistics.mean(counts) < 6
    bidders = Counter(b.company.index for lot in lots for b in lot.bids)
    assert bidders.most_common(1)[0][1] > 50  # busy firms bid again and again
    # Prices relative to the ceiling; the winner ranks first.
    for lot in clean:
        assert lot.winner is not None and lot.winner.rank == 1
        assert lot.ceiling is not None
        for bid in lot.bids:
            if bid.status == "valid":
                assert 0.8 * lot.ceiling <= bid.price <= lot.ceiling
    lowest_wins = sum(lot.winner is min(lot.bids, key=lambda b: b.price) for lot in clean)
    assert 0.55 < lowest_wins / len(clean) < 0.95


def test_names_committees_and_managers_look_real(calendar: WorkCalendar) -> None:
    _g, bundles, _labels = bundles_and_labels(calendar, lots=200, seed=9)
    names = {b.bidder.name for x in bundles for b in x.bids}
    assert all(n.endswith("公司") for n in names)
    assert sum(n.startswith(("湖北", "黄冈", "黄州")) for n in names) > len(names) * 0.5
    for bundle in bundles:
        assert bundle.project.tenderer is not None
        assert bundle.project.tenderer.name.startswith("黄冈市黄州区")
        for outcome in bundle.outcomes:
            if outcome.committee is None:
                continue
            members = outcome.committee.members
            experts = [m for m in members if m.role != CommitteeRole.TENDERER_REPRESENTATIVE]
            # 招标投标法 第三十七条: five or more, odd, experts at least two thirds.
            assert len(members) in (5, 7) and 3 * len(experts) >= 2 * len(members)
            assert all(m.expert_pool_id for m in experts)
        for bid in bundle.bids:
            manager = bid.project_manager
            assert manager is not None and manager.certificate_no and len(manager.id_number) == 18
            assert bid.price is not None and bid.price > Decimal(0)


def test_the_calendar_bounds_the_timelines(calendar: WorkCalendar) -> None:
    """Holiday schedules end with 2026: registrations stop in time for every step to fit."""
    generator, projects = generate(calendar, lots=300, seed=2, start=dt.date(2025, 6, 1))
    assert generator.notes and "2026-12-24" in generator.notes[0]
    last = max(
        t
        for p in projects
        for lot in p.lots
        for t in (lot.contract, lot.written_report, lot.refund)
        if t is not None
    )
    assert dt.datetime.fromtimestamp(last, tz=dt.UTC).date() <= dt.date(2026, 12, 24)
    with pytest.raises(ValueError, match="2023-01-01"):
        generate(calendar, lots=10, seed=2, start=dt.date(2022, 6, 1))


def test_the_checks_catch_a_missing_or_a_false_label(calendar: WorkCalendar) -> None:
    """The verification above is not vacuous: one label fewer, or one too many, is caught."""
    _g, bundles, labels = bundles_and_labels(calendar, lots=600, seed=13, rate_scale=3)
    for code in ("late_contract", "shared_ip", "cover_bidding", "discriminatory_clause"):
        dropped = next(i for i, lab in enumerate(labels) if lab.code == code)
        problems = checks.verify(bundles, labels[:dropped] + labels[dropped + 1 :])
        label = labels[dropped]
        assert any(label.project_external_id in p for p in problems), code
    labelled = {lab.lot_external_id for lab in labels}
    clean = next(
        lot.external_id
        for b in bundles
        for lot in b.project.lots
        if lot.external_id not in labelled
        and b.project.procurement_method == "open"
        and checks.Facts(b).must_tender
    )
    false = dataclasses.replace(labels[0], lot_external_id=clean, code="late_contract")
    assert checks.verify(bundles, [*labels, false])
