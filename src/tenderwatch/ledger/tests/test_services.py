"""Ledger writes: idempotency by (source, external id, version), the timeline, audit entries."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import DomainError, PermissionDenied
from tenderwatch.ledger import services
from tenderwatch.ledger.identifiers import make_uscc
from tenderwatch.ledger.models import (
    Bid,
    BidOpening,
    CommitteeMember,
    Contract,
    Document,
    Evaluation,
    FeedSystem,
    KeyPerson,
    Lot,
    MarketEntity,
    ProcedureEvent,
    Project,
    ProjectStatus,
)

CN = dt.timezone(dt.timedelta(hours=8))
SOURCE = "hz-trading"


def uscc(n: int) -> str:
    return make_uscc(f"914211020000{n:05d}")


def entity(n: int, name: str = "", **extra: Any) -> dict[str, Any]:
    return {"identifier": uscc(n), "name": name or f"黄州建设有限公司{n}", **extra}


def project_payload(version: int = 1, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "external_id": "P-2026-001",
        "version": version,
        "code": "HZ-JS-2026-001",
        "name": "黄州区东坡大道改造工程",
        "region_code": "421102",
        "industry": "transport",
        "category": "works",
        "procurement_method": "open",
        "organisation_form": "entrusted",
        "state_owned_share": "100",
        "estimated_amount": "5000000.00",
        "tenderer": entity(1, "黄州区交通运输局", kind="public_body"),
        "agency": entity(2, "楚天招标代理有限公司"),
        "registered_at": "2026-03-02T09:00:00+08:00",
        "lots": [
            {
                "external_id": "L1",
                "number": "一标段",
                "name": "道路工程",
                "estimated_amount": "3000000.00",
                "ceiling_price": "2950000.00",
            },
            {
                "external_id": "L2",
                "number": "二标段",
                "name": "排水工程",
                "estimated_amount": "2000000.00",
            },
        ],
    }
    payload.update(changes)
    return payload


def event_payload(
    external_id: str, kind: str, day: int, *, version: int = 1, lot: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "version": version,
        "kind": kind,
        "occurred_at": dt.datetime(2026, 3, day, 9, 30, tzinfo=CN).isoformat(),
        **({"lot_external_id": lot} if lot else {}),
        **extra,
    }


def bid_payload(external_id: str, n: int, price: str, *, version: int = 1, **extra: Any) -> dict:
    return {
        "external_id": external_id,
        "version": version,
        "bidder": entity(n),
        "price": price,
        "submitted_at": "2026-03-25T08:30:00+08:00",
        "client_ip": "10.1.2.3",
        "mac_address": "00-1A-2B-3C-4D-5E",
        "security_account": "6222020000000000000",
        "project_manager": {
            "name": "张伟",
            "certificate_no": f"鄂142000{n:06d}",
            "registration_type": "一级建造师",
            "id_number": "42110219800101001X",
        },
        **extra,
    }


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def system(db: Any) -> FeedSystem:
    system, _token = services.feed_system_add(
        code=SOURCE, name="黄州区公共资源交易中心", actor=None
    )
    return system


def push_project(system: FeedSystem, payload: dict[str, Any] | None = None) -> services.Result:
    return services.project_upsert(
        source=system.code, payload=payload or project_payload(), actor=None, system=system
    )


def push_event(system: FeedSystem, project: Project, payload: dict) -> services.Result:
    return services.event_record(
        source=system.code, project=project, payload=payload, actor=None, system=system
    )


def actions(**filters: Any) -> list[str]:
    return list(
        AuditEntry.objects.filter(**filters).order_by("seq").values_list("action", flat=True)
    )


# -- projects -------------------------------------------------------------------------------------


def test_project_created_with_lots_entities_and_must_tender(system: FeedSystem) -> None:
    result = push_project(system)
    assert result.outcome == "created"
    project = Project.objects.get(source=SOURCE, external_id="P-2026-001")
    assert [lot.external_id for lot in project.lots.order_by("pk")] == ["L1", "L2"]
    assert project.tenderer is not None and project.tenderer.name == "黄州区交通运输局"
    assert project.tenderer.kind == "public_body"
    # 16号令: works, 500万 together (第五条第二款), state-funded → must be tendered.
    assert project.must_tender is True
    assert "400" in project.must_tender_reason
    entry = AuditEntry.objects.get(action="ledger.project.created")
    assert entry.actor is None
    assert entry.note == f"feed:{SOURCE}"
    assert entry.after["lots"]["L1"]["estimated_amount"] == "3000000.00"


def test_same_version_same_content_is_unchanged_and_writes_nothing(system: FeedSystem) -> None:
    push_project(system)
    entries = AuditEntry.objects.count()
    result = push_project(system)
    assert result.outcome == "unchanged"
    assert result.current_version == 1
    assert AuditEntry.objects.count() == entries
    assert Project.objects.count() == 1
    assert Lot.objects.count() == 2


def test_higher_version_updates_with_before_and_after(system: FeedSystem) -> None:
    push_project(system)
    payload = project_payload(version=2, name="黄州区东坡大道改造工程（二期）")
    payload["lots"][1]["estimated_amount"] = "2100000.00"
    result = push_project(system, payload)
    assert result.outcome == "updated"
    project = Project.objects.get()
    assert project.version == 2
    assert project.name.endswith("（二期）")
    entry = AuditEntry.objects.filter(action="ledger.project.updated").get()
    assert entry.before["name"] == "黄州区东坡大道改造工程"
    assert entry.after["name"].endswith("（二期）")
    assert entry.before["lots"]["L2"]["estimated_amount"] == "2000000.00"
    assert entry.after["lots"]["L2"]["estimated_amount"] == "2100000.00"


def test_lower_version_is_stale_and_ignored(system: FeedSystem) -> None:
    push_project(system, project_payload(version=3, name="第三版"))
    entries = AuditEntry.objects.count()
    result = push_project(system, project_payload(version=2, name="第二版"))
    assert result.outcome == "stale"
    assert result.current_version == 3
    assert Project.objects.get().name == "第三版"
    assert AuditEntry.objects.count() == entries


def test_same_version_other_content_is_refused(system: FeedSystem) -> None:
    push_project(system)
    with pytest.raises(services.FeedConflict) as caught:
        push_project(system, project_payload(name="另一个名称"))
    assert caught.value.code == "version_conflict"
    assert Project.objects.get().name == "黄州区东坡大道改造工程"


def test_a_lot_left_out_of_a_newer_version_is_kept(system: FeedSystem) -> None:
    push_project(system)
    payload = project_payload(version=2)
    payload["lots"] = payload["lots"][:1]
    assert push_project(system, payload).outcome == "updated"
    assert Lot.objects.count() == 2


def test_wrong_uscc_is_refused_with_the_field_and_nothing_written(system: FeedSystem) -> None:
    payload = project_payload()
    payload["tenderer"]["identifier"] = payload["tenderer"]["identifier"][:-1] + (
        "0" if payload["tenderer"]["identifier"][-1] != "0" else "1"
    )
    with translation.override("en"), pytest.raises(services.PayloadInvalid) as caught:
        push_project(system, payload)
    assert caught.value.details[0]["field"] == "tenderer.identifier"
    assert "check character" in caught.value.details[0]["message"]
    assert Project.objects.count() == 0
    assert MarketEntity.objects.count() == 0


def test_manual_entry_needs_ledger_write(personas: Any, system: FeedSystem) -> None:
    result = services.project_upsert(
        source="manual", payload=project_payload(), actor=personas.office_clerk
    )
    assert result.outcome == "created"
    entry = AuditEntry.objects.get(action="ledger.project.created")
    assert entry.actor == personas.office_clerk
    for outsider in (personas.housing_officer, personas.auditor):
        with pytest.raises(PermissionDenied):
            services.project_upsert(
                source="manual", payload=project_payload(version=2), actor=outsider
            )
    with pytest.raises(PermissionDenied):
        services.project_upsert(source="manual", payload=project_payload(), actor=None)


def test_a_system_writes_only_its_own_source(system: FeedSystem) -> None:
    with pytest.raises(PermissionDenied):
        services.project_upsert(
            source="other-platform", payload=project_payload(), actor=None, system=system
        )


def test_foreign_currency_project_is_not_assessed(system: FeedSystem) -> None:
    payload = project_payload(currency="USD")
    for lot in payload["lots"]:
        lot["currency"] = "USD"
    push_project(system, payload)
    project = Project.objects.get()
    assert project.must_tender is None
    assert "USD" in project.must_tender_reason


# -- entities -------------------------------------------------------------------------------------


def test_entity_upsert_completes_without_erasing(system: FeedSystem) -> None:
    services.entity_upsert(
        payload=entity(
            7,
            "鸿达建设有限公司",
            address="黄州区赤壁大道1号",
            qualifications=[
                {
                    "category": "市政公用工程施工总承包",
                    "grade": "二级",
                    "certificate_no": "D242000001",
                    "valid_to": "2027-12-31",
                }
            ],
        ),
        source=SOURCE,
        actor=None,
        system=system,
    )
    services.entity_upsert(
        payload=entity(7, "鸿达建设集团有限公司"), source=SOURCE, actor=None, system=system
    )
    company = MarketEntity.objects.get()
    assert company.name == "鸿达建设集团有限公司"
    assert company.address == "黄州区赤壁大道1号"
    assert company.qualifications.get().grade == "二级"
    assert actions() == [
        "ledger.feed_system.added",
        "ledger.entity.created",
        "ledger.entity.updated",
    ]


def test_foreign_identifier_scheme_is_accepted(system: FeedSystem) -> None:
    company = services.entity_upsert(
        payload={"scheme": "MD-IDNO", "identifier": "1003600012345", "name": "Construct SRL"},
        source=SOURCE,
        actor=None,
        system=system,
    )
    assert (company.scheme, company.identifier) == ("MD-IDNO", "1003600012345")


def test_uscc_with_wrong_check_character_is_a_domain_error(system: FeedSystem) -> None:
    bad = uscc(9)[:-1] + ("1" if uscc(9)[-1] == "0" else "0")
    with translation.override("en"), pytest.raises(DomainError) as caught:
        services.entity_upsert(
            payload={"identifier": bad, "name": "x"}, source=SOURCE, actor=None, system=system
        )
    assert f"should be {uscc(9)[-1]}" in str(caught.value.details[0]["message"])


# -- events and the timeline -----------------------------------------------------------------------


def test_status_follows_the_newest_event_on_the_timeline_not_arrival(system: FeedSystem) -> None:
    project = push_project(system).obj
    push_event(system, project, event_payload("E1", "announcement", 3))
    push_event(system, project, event_payload("E3", "opening", 25, lot="L1"))
    # Arrives last but happened before the opening: the status stays "evaluating".
    push_event(system, project, event_payload("E2", "tender_documents_issued", 5))
    project.refresh_from_db()
    assert project.status == ProjectStatus.EVALUATING
    l1, l2 = project.lots.order_by("pk")
    assert l1.status == ProjectStatus.EVALUATING
    assert l2.status == ProjectStatus.BIDDING  # the opening was L1's
    timeline = services.current_events(project.events.all())
    assert [e.external_id for e in timeline] == ["E1", "E2", "E3"]
    # Suspension and resumption: the stage comes back.
    push_event(system, project, event_payload("E5", "resumption", 28))
    push_event(system, project, event_payload("E4", "suspension", 26))
    project.refresh_from_db()
    assert project.status == ProjectStatus.EVALUATING
    push_event(system, project, event_payload("E6", "suspension", 29))
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUSPENDED
    entry = AuditEntry.objects.filter(action="ledger.project.status_derived").order_by("seq").last()
    assert entry is not None
    assert entry.before["status"] == "evaluating"
    assert entry.after["status"] == "suspended"


def test_event_pushed_twice_is_stored_once(system: FeedSystem) -> None:
    project = push_project(system).obj
    first = push_event(system, project, event_payload("E1", "announcement", 3))
    again = push_event(system, project, event_payload("E1", "announcement", 3))
    assert (first.outcome, again.outcome) == ("created", "unchanged")
    assert ProcedureEvent.objects.count() == 1
    assert actions(action="ledger.event.recorded") == ["ledger.event.recorded"]


def test_a_corrected_event_is_a_new_row_and_the_newest_counts(system: FeedSystem) -> None:
    project = push_project(system).obj
    push_event(system, project, event_payload("E1", "announcement", 3))
    push_event(system, project, event_payload("E2", "award_notice", 20))
    # The platform corrects E2: it was the start of candidate publicity, on the 18th.
    result = push_event(
        system, project, event_payload("E2", "candidate_publicity_start", 18, version=2)
    )
    assert result.outcome == "updated"
    assert ProcedureEvent.objects.filter(external_id="E2").count() == 2  # append-only
    timeline = services.current_events(project.events.all())
    assert [(e.external_id, e.version) for e in timeline] == [("E1", 1), ("E2", 2)]
    project.refresh_from_db()
    assert project.status == ProjectStatus.PUBLICITY
    stale = push_event(system, project, event_payload("E2", "award_notice", 20, version=1))
    assert stale.outcome == "unchanged"  # version 1 is already held, same content
    older = push_event(system, project, event_payload("E9", "other", 1, version=3))
    assert older.outcome == "created"
    assert push_event(system, project, event_payload("E9", "other", 1, version=2)).outcome == (
        "stale"
    )


def test_same_event_version_with_other_content_is_refused(system: FeedSystem) -> None:
    project = push_project(system).obj
    push_event(system, project, event_payload("E1", "announcement", 3))
    with pytest.raises(services.FeedConflict):
        push_event(system, project, event_payload("E1", "announcement", 4))
    assert ProcedureEvent.objects.count() == 1


def test_event_for_an_unknown_lot_is_a_clear_conflict(system: FeedSystem) -> None:
    project = push_project(system).obj
    with translation.override("en"), pytest.raises(services.FeedConflict) as caught:
        push_event(system, project, event_payload("E1", "opening", 25, lot="L9"))
    assert caught.value.http_status == 409
    assert caught.value.code == "lot_unknown"
    assert "L9" in str(caught.value)
    assert ProcedureEvent.objects.count() == 0


def test_event_document_is_kept_once_by_hash(system: FeedSystem, settings: Any) -> None:
    import base64

    project = push_project(system).obj
    content = "招标公告全文".encode()
    document = {
        "content_base64": base64.b64encode(content).decode(),
        "title": "招标公告",
        "media_type": "text/plain",
    }
    push_event(system, project, event_payload("E1", "announcement", 3, document=document))
    push_event(system, project, event_payload("E7", "amendment", 6, document=document))
    stored = Document.objects.get()
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.size == len(content)
    path = Path(stored.file.path)
    assert path.read_bytes() == content
    assert Path(settings.MEDIA_ROOT) in path.parents
    assert len([p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]) == 1
    assert ProcedureEvent.objects.filter(document=stored).count() == 2


def test_document_store_refuses_a_hash_that_does_not_match(system: FeedSystem) -> None:
    with pytest.raises(services.PayloadInvalid):
        services.document_store(
            content=b"abc", sha256="0" * 64, source=SOURCE, actor=None, system=system
        )
    by_hash = services.document_store(
        sha256="A" * 64,
        url="https://ggzy.example.cn/doc/1",
        source=SOURCE,
        actor=None,
        system=system,
    )
    assert by_hash.sha256 == "a" * 64
    assert not by_hash.file


# -- bids and the rest of the procedure ----------------------------------------------------------


def push_bid(system: FeedSystem, lot: Lot, payload: dict) -> services.Result:
    return services.bid_upsert(
        source=system.code, lot=lot, payload=payload, actor=None, system=system
    )


def test_bid_keeps_fingerprints_and_only_a_hash_of_the_id_number(system: FeedSystem) -> None:
    project = push_project(system).obj
    lot = project.lots.get(external_id="L1")
    result = push_bid(system, lot, bid_payload("B1", 11, "2800000.00"))
    assert result.outcome == "created"
    bid = Bid.objects.get()
    assert (bid.client_ip, bid.security_account) == ("10.1.2.3", "6222020000000000000")
    manager = KeyPerson.objects.get()
    assert bid.project_manager == manager
    assert manager.id_hash == services.id_hash("42110219800101001X")
    assert "42110219800101001X" not in str(AuditEntry.objects.values_list("after", flat=True))
    assert push_bid(system, lot, bid_payload("B1", 11, "2800000.00")).outcome == "unchanged"
    assert push_bid(system, lot, bid_payload("B1", 11, "2700000.00", version=2)).outcome == (
        "updated"
    )
    assert push_bid(system, lot, bid_payload("B1", 11, "2900000.00", version=1)).outcome == (
        "stale"
    )
    bid.refresh_from_db()
    assert str(bid.price) == "2700000.00"


def test_opening_committee_evaluation_award_contract(system: FeedSystem) -> None:
    project = push_project(system).obj
    lot = project.lots.get(external_id="L1")
    for i, price in enumerate(["2800000.00", "2850000.00", "2900000.00"], start=11):
        push_bid(system, lot, bid_payload(f"B{i}", i, price))
    kw = {"source": SOURCE, "lot": lot, "actor": None, "system": system}
    opening = {"opened_at": "2026-03-25T09:30:00+08:00", "location": "开标一室", "bids_received": 3}
    assert services.opening_record(payload=opening, **kw).outcome == "created"
    assert services.opening_record(payload=opening, **kw).outcome == "unchanged"
    assert BidOpening.objects.get().bids_received == 3

    members = [
        {"name": f"专家{i}", "role": "expert", "expert_pool_id": f"HB-{i:04d}"} for i in range(4)
    ] + [{"name": "业主代表", "role": "tenderer_representative", "drawn_randomly": False}]
    assert services.committee_record(payload={"members": members}, **kw).outcome == "created"
    assert services.committee_record(payload={"members": members}, **kw).outcome == "unchanged"
    replaced = [{**members[0], "name": "专家9", "expert_pool_id": "HB-0009"}, *members[1:]]
    result = services.committee_record(payload={"version": 2, "members": replaced}, **kw)
    assert result.outcome == "updated"
    assert CommitteeMember.objects.filter(lot=lot).count() == 5
    assert set(CommitteeMember.objects.values_list("version", flat=True)) == {2}
    entry = AuditEntry.objects.filter(action="ledger.committee.recorded").order_by("seq").last()
    assert entry is not None and ["专家0", "expert", "HB-0000", True] in entry.before

    with pytest.raises(services.FeedConflict) as caught:
        services.evaluation_record(
            payload={"results": [{"bid_external_id": "B99", "rank": 1}]}, **kw
        )
    assert caught.value.details[0]["field"] == "results[0].bid_external_id"
    results = [
        {"bid_external_id": f"B{i}", "total_score": f"{95 - i}.50", "rank": i - 10}
        for i in (11, 12, 13)
    ]
    assert services.evaluation_record(payload={"results": results}, **kw).outcome == "created"
    assert Evaluation.objects.get(rank=1).bid.external_id == "B11"

    award = {
        "bid_external_id": "B11",
        "notice_at": "2026-04-08T10:00:00+08:00",
        "amount": "2800000.00",
    }
    assert services.award_record(payload=award, **kw).outcome == "created"
    contract = {
        "external_id": "C1",
        "signed_at": "2026-04-20T10:00:00+08:00",
        "amount": "2800000.00",
        "duration_days": 180,
    }
    assert services.contract_record(payload=contract, **kw).outcome == "created"
    signed = Contract.objects.get()
    assert signed.supplier.identifier == uscc(11)  # the awarded bidder
    assert signed.award is not None
    assert services.contract_record(payload=copy.deepcopy(contract), **kw).outcome == "unchanged"


def test_feed_token_is_stored_as_a_hash_only(db: Any) -> None:
    system, token = services.feed_system_add(code="wh", name="武汉", actor=None)
    assert token not in (system.token_hash, system.token_hint)
    assert system.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert services.feed_system_for_token(token) == system
    new = services.feed_system_rotate_token(system=system, actor=None)
    assert services.feed_system_for_token(token) is None
    assert services.feed_system_for_token(new) == system
    assert actions() == ["ledger.feed_system.added", "ledger.feed_system.token_rotated"]
