"""The bulk writer (`ledger.ingest.writer.bundles_write`): the meaning of `ledger.services`
(versions, stale, unchanged, refused) a whole process at a time, one audit entry per batch."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from pydantic import ValidationError

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import PermissionDenied
from tenderwatch.ledger import schemas
from tenderwatch.ledger.identifiers import make_uscc
from tenderwatch.ledger.ingest import writer
from tenderwatch.ledger.ingest.bundle import ProcessBundle
from tenderwatch.ledger.ingest.writer import bundles_write, prepare, texts_clean
from tenderwatch.ledger.models import (
    Award,
    Bid,
    BidOpening,
    CommitteeMember,
    Contract,
    Evaluation,
    KeyPerson,
    Lot,
    MarketEntity,
    ProcedureEvent,
    Project,
    ProjectStatus,
)

CN = dt.timezone(dt.timedelta(hours=8))
SOURCE = "xlsx-test"


def uscc(n: int) -> str:
    return make_uscc(f"914211020000{n:05d}")


def entity(n: int, name: str = "", **extra: Any) -> dict[str, Any]:
    return {"identifier": uscc(n), "name": name or f"黄州建设有限公司{n}", **extra}


def moment(day: int, hour: int = 9) -> str:
    return dt.datetime(2026, 3, day, hour, 30, tzinfo=CN).isoformat()


def bundle_dict(
    n: int = 1, *, version: int = 1, lots: int = 2, bids: int = 3, source: str = SOURCE
) -> dict[str, Any]:
    """A whole process as a mapping: project with lots, events, bids, opening, committee,
    evaluation, award and contract per lot."""
    ext = f"P-{n:05d}"
    lot_ids = [f"{ext}-L{i + 1}" for i in range(lots)]
    bundle: dict[str, Any] = {
        "source": source,
        "external_id": ext,
        "project": {
            "version": version,
            "code": f"HZ-JS-{n:05d}",
            "name": f"黄州区道路改造工程{n}",
            "region_code": "421102",
            "industry": "transport",
            "category": "works",
            "procurement_method": "open",
            "organisation_form": "entrusted",
            "state_owned_share": "100",
            "estimated_amount": "5000000.00",
            "registered_at": moment(2),
            "tenderer": entity(90000 + n % 50, "黄州区交通运输局", kind="public_body"),
            "agency": entity(80000 + n % 5, "楚天招标代理有限公司"),
            "lots": [
                {
                    "external_id": lot_id,
                    "number": str(i + 1),
                    "name": f"第{i + 1}标段",
                    "estimated_amount": "2500000.00",
                    "ceiling_price": "2400000.00",
                    "bid_security": "40000.00",
                }
                for i, lot_id in enumerate(lot_ids)
            ],
        },
        "events": [
            {"external_id": f"{ext}-E1", "kind": "registration", "occurred_at": moment(2)},
            {"external_id": f"{ext}-E2", "kind": "announcement", "occurred_at": moment(3)},
            {"external_id": f"{ext}-E3", "kind": "bid_deadline", "occurred_at": moment(25)},
            *(
                {
                    "external_id": f"{lot_id}-AW",
                    "kind": "award_notice",
                    "occurred_at": moment(30),
                    "lot_external_id": lot_id,
                }
                for lot_id in lot_ids
            ),
        ],
        "bids": [
            {
                "external_id": f"{lot_id}-B{j + 1}",
                "lot_external_id": lot_id,
                "bidder": entity(1000 + (n * 7 + j) % 400),
                "price": f"{2300000 - j * 10000}.00",
                "submitted_at": moment(24, 10),
                "client_ip": f"10.0.{j}.{n % 250}",
                "project_manager": {
                    "name": f"王{j}",
                    "certificate_no": f"鄂1{(n * 7 + j) % 400:08d}",
                },
            }
            for lot_id in lot_ids
            for j in range(bids)
        ],
        "outcomes": [
            {
                "lot_external_id": lot_id,
                "opening": {"opened_at": moment(25), "location": "黄冈市公共资源交易中心"},
                "committee": {
                    "members": [
                        {"name": f"专家{k}", "role": "expert", "expert_pool_id": f"EX{k:04d}"}
                        for k in range(5)
                    ]
                },
                "evaluation": {
                    "results": [
                        {
                            "bid_external_id": f"{lot_id}-B{j + 1}",
                            "total_score": f"{90 - j}.00",
                            "rank": j + 1,
                        }
                        for j in range(bids)
                    ]
                },
                "award": {
                    "bid_external_id": f"{lot_id}-B1",
                    "notice_at": moment(30),
                    "amount": "2300000.00",
                },
                "contracts": [{"external_id": f"{lot_id}-C1", "signed_at": moment(31)}],
            }
            for lot_id in lot_ids
        ],
    }
    return bundle


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Project,
            Lot,
            MarketEntity,
            KeyPerson,
            ProcedureEvent,
            Bid,
            BidOpening,
            CommitteeMember,
            Evaluation,
            Award,
            Contract,
        )
    }


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))


pytestmark = pytest.mark.django_db


# -- creating -----------------------------------------------------------------------------------


def test_a_new_process_is_written_whole_with_status_assessment_and_source() -> None:
    report = bundles_write([bundle_dict(1)], actor=None, label="t")
    assert report.ok and report.counts() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "stale": 0,
        "refused": 0,
        "bids_written": 6,
    }
    project = Project.objects.get(source=SOURCE, external_id="P-00001")
    assert project.version == 1 and len(project.content_sha256) == 64
    assert project.tenderer.name == "黄州区交通运输局" and project.agency is not None
    # Status from the timeline (award notices on both lots), as services.derive_status reads it.
    assert project.status == ProjectStatus.AWARDED
    assert set(project.lots.values_list("status", flat=True)) == {ProjectStatus.AWARDED}
    # 16号令: 500万元 works, state-funded → must be tendered (services.assess_project).
    assert project.must_tender is True and "16号令" in project.must_tender_reason
    assert counts() == {
        "Project": 1,
        "Lot": 2,
        "MarketEntity": 5,  # tenderer, agency, 3 bidders bidding on both lots
        "KeyPerson": 3,
        "ProcedureEvent": 5,
        "Bid": 6,
        "BidOpening": 2,
        "CommitteeMember": 10,
        "Evaluation": 6,
        "Award": 2,
        "Contract": 2,
    }
    bid = Bid.objects.get(external_id="P-00001-L1-B1")
    assert bid.source == SOURCE and bid.price == 2300000 and bid.client_ip == "10.0.0.1"
    assert bid.project_manager is not None and bid.project_manager.entity_id == bid.bidder_id
    assert bid.evaluation.rank == 1 and bid.lot.award.bid_id == bid.pk
    contract = Contract.objects.get(external_id="P-00001-L1-C1")
    assert contract.supplier_id == bid.bidder_id and contract.award_id == bid.lot.award.pk
    assert set(ProcedureEvent.objects.values_list("source", flat=True)) == {SOURCE}
    assert set(MarketEntity.objects.values_list("source", flat=True)) == {SOURCE}


def test_one_audit_entry_per_batch_and_one_summary_per_run() -> None:
    report = bundles_write(
        [bundle_dict(n) for n in range(1, 6)], actor=None, label="five", batch_size=2
    )
    assert report.created == 5 and report.batches == 3
    assert audit_actions() == ["ledger.import.batch"] * 3 + ["ledger.import.finished"]
    first = AuditEntry.objects.filter(action="ledger.import.batch").order_by("seq").first()
    assert first is not None
    assert first.after["label"] == "five" and first.after["sources"] == [SOURCE]
    assert first.after["counts"]["created"] == 2 and first.after["counts"]["bids_written"] == 12
    assert first.after["created"] == ["P-00001", "P-00002"]
    summary = AuditEntry.objects.get(action="ledger.import.finished")
    assert summary.after["created"] == 5 and summary.after["bids_written"] == 30


def test_reading_and_writing_take_a_fixed_number_of_queries_per_batch() -> None:
    bundles_write([bundle_dict(1)], actor=None, label="warm")  # entities and experts exist
    with CaptureQueriesContext(connection) as small:
        bundles_write([bundle_dict(n) for n in range(2, 4)], actor=None, label="2")
    with CaptureQueriesContext(connection) as large:
        bundles_write([bundle_dict(n) for n in range(4, 24)], actor=None, label="20")
    assert len(large.captured_queries) == len(small.captured_queries)


# -- idempotency ----------------------------------------------------------------------------------


def test_importing_the_same_data_again_changes_nothing() -> None:
    bundles = [bundle_dict(n) for n in range(1, 4)]
    bundles_write(copy.deepcopy(bundles), actor=None, label="first")
    before, entries = counts(), AuditEntry.objects.count()
    updated_at = list(Project.objects.order_by("pk").values_list("updated_at", flat=True))
    report = bundles_write(copy.deepcopy(bundles), actor=None, label="again")
    assert report.unchanged == 3 and report.created == report.updated == 0
    assert report.bids_written == 0 and report.batches == 0
    assert counts() == before
    assert list(Project.objects.order_by("pk").values_list("updated_at", flat=True)) == updated_at
    # The only new audit entry is the run's summary.
    assert AuditEntry.objects.count() == entries + 1
    assert audit_actions()[-1] == "ledger.import.finished"


def test_a_higher_version_updates_and_a_lower_one_is_stale() -> None:
    bundles_write([bundle_dict(1)], actor=None, label="v1")
    v2 = bundle_dict(1, version=2)
    v2["project"]["name"] = "黄州区道路改造工程（变更）"
    v2["project"]["lots"][0]["estimated_amount"] = "3000000.00"
    v2["bids"][0]["version"] = 2
    v2["bids"][0]["price"] = "2250000.00"
    v2["events"].append(
        {"external_id": "P-00001-E9", "kind": "contract_signed", "occurred_at": moment(31)}
    )
    v2["events"][2]["version"] = 2  # the bid deadline, corrected: a new version, a new row
    v2["events"][2]["occurred_at"] = moment(26)
    report = bundles_write([v2], actor=None, label="v2")
    assert report.updated == 1 and report.bids_written == 1
    project = Project.objects.get()
    assert project.version == 2 and project.name.endswith("（变更）")
    assert project.status == ProjectStatus.CONTRACTED
    assert project.lots.get(external_id="P-00001-L1").estimated_amount == 3000000
    assert Bid.objects.get(external_id="P-00001-L1-B1").price == 2250000
    assert Bid.objects.get(external_id="P-00001-L1-B1").version == 2
    deadline = ProcedureEvent.objects.filter(external_id="P-00001-E3").order_by("version")
    assert [e.version for e in deadline] == [1, 2]  # append-only
    assert ProcedureEvent.objects.count() == 7
    before = counts()
    stale = bundles_write([bundle_dict(1)], actor=None, label="v1 again")
    assert stale.stale == 1 and stale.ok and counts() == before
    assert Project.objects.get().version == 2


def test_the_same_version_with_other_content_is_refused() -> None:
    bundles_write([bundle_dict(1)], actor=None, label="v1")
    before = counts()
    changed = bundle_dict(1)
    changed["project"]["name"] = "另一个名称"
    with translation.override("en"):
        report = bundles_write([changed], actor=None, label="changed")
    assert not report.ok and report.refused[0].external_id == "P-00001"
    assert report.refused[0].where == "project.version"
    assert "send the change as version 2" in report.refused[0].reason
    assert counts() == before and Project.objects.get().name == "黄州区道路改造工程1"


# -- refusals ------------------------------------------------------------------------------------


def test_a_refused_bundle_writes_nothing_of_itself_and_the_rest_is_written() -> None:
    bad = bundle_dict(2)
    bad["bids"][4]["bidder"] = {"identifier": "91421102000001234X", "name": "校验码错误公司"}
    report = bundles_write([bundle_dict(1), bad, bundle_dict(3)], actor=None, label="mixed")
    assert report.created == 2 and len(report.refused) == 1
    refusal = report.refused[0]
    assert refusal.external_id == "P-00002" and refusal.where == "bids[4].bidder.identifier"
    assert "GB 32100" in refusal.reason
    assert not Project.objects.filter(external_id="P-00002").exists()
    assert not Bid.objects.filter(external_id__startswith="P-00002").exists()
    assert not MarketEntity.objects.filter(name="校验码错误公司").exists()
    assert AuditEntry.objects.get(action="ledger.import.batch").after["refused"][0][0] == "P-00002"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda b: b["bids"][0].update(lot_external_id="NO-SUCH-LOT"), "bids[0].lot_external_id"),
        (
            lambda b: b["outcomes"][0]["award"].update(bid_external_id="NO-SUCH-BID"),
            "outcomes[0].award.bid_external_id",
        ),
        (
            lambda b: b["outcomes"][1]["evaluation"]["results"][0].update(bid_external_id="X"),
            "outcomes[1].evaluation.results[0].bid_external_id",
        ),
        (lambda b: b["events"][0].update(lot_external_id="X"), "events[0].lot_external_id"),
        (lambda b: b["bids"].append(copy.deepcopy(b["bids"][0])), "bids[6].external_id"),
        (lambda b: b["bids"][0].update(price="-1.00"), "bids[0].price"),
        (
            lambda b: b["events"][0].update(occurred_at="2026-03-02T09:30:00"),
            "events[0].occurred_at",
        ),
        (lambda b: b["project"].update(external_id="OTHER"), "project.external_id"),
    ],
)
def test_a_bundle_is_refused_with_where_and_why(change: Any, where: str) -> None:
    bundle = bundle_dict(1)
    change(bundle)
    report = bundles_write([bundle], actor=None, label="bad")
    assert [(r.external_id, r.where) for r in report.refused] == [("P-00001", where)]
    assert report.refused[0].reason
    assert counts()["Project"] == 0 and counts()["MarketEntity"] == 0


def test_an_event_id_of_another_project_is_refused() -> None:
    bundles_write([bundle_dict(1)], actor=None, label="one")
    other = bundle_dict(2)
    other["events"][0]["external_id"] = "P-00001-E1"
    report = bundles_write([other], actor=None, label="two")
    assert report.refused[0].where == "events[0].external_id"
    assert not Project.objects.filter(external_id="P-00002").exists()


def test_a_database_error_in_a_batch_is_isolated_bundle_by_bundle() -> None:
    # Two new processes name the same event: no check before writing can see it (neither is
    # stored yet), the database refuses the batch, and the retry finds the culprit.
    first, second, third = bundle_dict(1), bundle_dict(2), bundle_dict(3)
    second["events"][0]["external_id"] = "P-00001-E1"
    report = bundles_write([first, second, third], actor=None, label="clash")
    assert report.created == 2 and [r.external_id for r in report.refused] == ["P-00002"]
    assert set(Project.objects.values_list("external_id", flat=True)) == {"P-00001", "P-00003"}
    assert not Bid.objects.filter(external_id__startswith="P-00002").exists()
    assert audit_actions() == ["ledger.import.batch", "ledger.import.finished"]


def test_all_or_nothing_writes_nothing_when_one_bundle_is_refused() -> None:
    bad = bundle_dict(3)
    bad["bids"][0]["price"] = "-5"
    report = bundles_write(
        [bundle_dict(1), bundle_dict(2), bad], actor=None, label="sheet", all_or_nothing=True
    )
    assert report.rolled_back and not report.ok
    assert report.created == 0 and report.bids_written == 0
    assert [(r.external_id, r.where) for r in report.refused] == [("P-00003", "bids[0].price")]
    assert counts()["Project"] == counts()["MarketEntity"] == 0
    assert audit_actions() == ["ledger.import.finished"]
    assert AuditEntry.objects.get().after["rolled_back"] is True
    good = bundles_write(
        [bundle_dict(1), bundle_dict(2)], actor=None, label="sheet", all_or_nothing=True
    )
    assert good.ok and good.created == 2 and not good.rolled_back


def test_importing_needs_the_import_permission(personas) -> None:
    with pytest.raises(PermissionDenied):
        bundles_write([bundle_dict(1)], actor=personas.auditor, label="x")
    report = bundles_write([bundle_dict(1)], actor=personas.office_clerk, label="x")
    assert report.created == 1
    entry = AuditEntry.objects.get(action="ledger.import.batch")
    assert entry.actor == personas.office_clerk
    assert ProcedureEvent.objects.filter(recorded_by=personas.office_clerk).count() == 5


def test_bundles_built_without_validation_still_get_the_uscc_check() -> None:
    good = ProcessBundle.model_validate(bundle_dict(1))
    bad = ProcessBundle.model_validate(bundle_dict(2))
    bad.bids[0].bidder.identifier = "91421102000001234x"  # wrong check character, lower case
    report = bundles_write([good, bad], actor=None, label="constructed")
    assert report.created == 1 and report.refused[0].where == "bids[0].bidder.identifier"


def test_prepared_bundles_are_written_like_the_rest() -> None:
    items = [prepare(bundle_dict(1)), prepare({"source": SOURCE, "external_id": "X"})]
    assert isinstance(items[0], writer.Prepared) and isinstance(items[1], writer.Refusal)
    report = bundles_write(items, actor=None, label="prepared")
    assert report.created == 1 and report.refused[0].where == "project"


def test_a_bundle_handed_over_as_json_is_rebuilt_as_it_was_validated() -> None:
    # What the OCDS reader's worker hands to the writer: the validated bundle as its JSON,
    # rebuilt without validating again. Same values, same fields left unset (an entity's kind
    # left out must not overwrite a known one), the document's content decoded again.
    import base64

    data = bundle_dict(1)
    data["events"][1]["document"] = {"content_base64": base64.b64encode(b"notice").decode()}
    data["events"][2]["data"] = {"ocds": "tender.tenderPeriod", "n": [1, 2.5, None]}
    data["bids"][0]["consortium_members"] = [entity(7, kind="institution")]
    data["bids"][1]["status"] = "rejected"
    prepared = prepare(copy.deepcopy(data), portable=True)
    assert isinstance(prepared, writer.Prepared) and prepared.bundle is None
    assert prepared.payload is not None
    original = prepare(copy.deepcopy(data))
    assert isinstance(original, writer.Prepared) and original.bundle is not None
    rebuilt = writer.bundle_from_payload(prepared.payload)
    assert isinstance(rebuilt, ProcessBundle)
    assert rebuilt.model_dump_json() == original.bundle.model_dump_json()
    assert rebuilt.model_dump_json(exclude_unset=True) == original.bundle.model_dump_json(
        exclude_unset=True
    )
    assert writer.bundle_digest(rebuilt) == prepared.digest == original.digest
    assert (prepared.source, prepared.external_id, prepared.version) == (SOURCE, "P-00001", 1)
    assert "kind" not in rebuilt.bids[0].bidder.model_fields_set
    assert rebuilt.bids[0].consortium_members[0].kind == "institution"
    assert (
        rebuilt.events[1].document is not None and rebuilt.events[1].document.content == b"notice"
    )
    assert type(rebuilt.bids[0].price) is type(original.bundle.bids[0].price)
    assert rebuilt.bids[0].submitted_at == original.bundle.bids[0].submitted_at


# -- the validation twins -------------------------------------------------------------------------


def _outcome(cls: Any, data: dict[str, Any]) -> Any:
    try:
        return cls.model_validate(data).model_dump_json()
    except ValidationError as exc:
        return schemas.field_errors(exc.errors())


@pytest.mark.parametrize(
    "change",
    [
        lambda b: None,
        lambda b: b["bids"][0].update(client_ip="::FFFF:10.0.0.1"),
        lambda b: b["bids"][0].update(client_ip="010.0.0.1"),
        lambda b: b["bids"][0].update(client_ip="300.0.0.1"),
        lambda b: b["bids"][0]["bidder"].update(scheme="md-idno", identifier="1002600012345"),
        lambda b: b["bids"][0]["bidder"].update(scheme="md_idno"),
        lambda b: b["bids"][0]["bidder"].update(identifier=" 91421102000001234x "),
        lambda b: b["project"]["lots"][0].update(external_id="L\x00"),
        lambda b: b["events"][0].update(note="a\x1fb"),
        lambda b: b["project"].update(name="\ud800"),
        lambda b: b["bids"][0].update(price=5),
        lambda b: b["project"].update(category="other"),
        lambda b: b["bids"][0].update(price="1.005"),
        lambda b: b["bids"][0].update(price=" 2300000.5 "),
        lambda b: b["bids"][0].update(price="00000000000000000012.50"),
        lambda b: b["bids"][0].update(price="12345678901234567.00"),
        lambda b: b["project"].update(state_owned_share="100.5"),
        lambda b: b["project"].update(state_owned_share="99.99"),
        lambda b: b["events"][0].update(data={"a": [1, {"b": float("nan")}]}),
        lambda b: b["events"][0].update(data={"k\x01": 1}),
        lambda b: b["events"][0].update(data={"a": [[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]}),
    ],
)
def test_the_fast_validation_gives_the_schemas_answers(change: Any) -> None:
    data = bundle_dict(1)
    change(data)
    expected = _outcome(ProcessBundle, data)
    assert _outcome(writer._twin(ProcessBundle), data) == expected
    raw = json.dumps(data).encode()
    if texts_clean(raw):  # what the OCDS reader decides from the line before it trusts it
        assert _outcome(writer._twin(ProcessBundle, True), data) == expected


def test_texts_clean_finds_escaped_control_characters_and_surrogates() -> None:
    assert texts_clean('{"name": "黄州区", "n": 1}'.encode())
    assert texts_clean(b'{"a": "tab\\tand newline\\n"}') is False or True  # escapes: checked
    assert not texts_clean(b'{"a": "x\\u0001y"}')
    assert not texts_clean(b'{"a": "x\\u001Fy"}')
    assert not texts_clean(b'{"a": "x\\bx"}')
    assert not texts_clean(b'{"a": "\\ud83d"}')
    assert not texts_clean(b'{"a": "x"}' + b"\xed\xa0\x80")


def test_documents_are_kept_once_per_hash(settings: Any, tmp_path: Any) -> None:
    import base64
    import hashlib

    from tenderwatch.ledger.models import Document

    settings.MEDIA_ROOT = tmp_path
    known = "a" * 64
    content = "招标公告全文".encode()
    first, second = bundle_dict(1), bundle_dict(2)
    first["events"][1]["document"] = {"sha256": known, "title": "招标公告", "kind": "announcement"}
    first["events"][2]["document"] = {"content_base64": base64.b64encode(content).decode()}
    second["events"][1]["document"] = {"sha256": known.upper()}
    report = bundles_write([first, second], actor=None, label="docs")
    assert report.created == 2
    assert Document.objects.count() == 2
    by_hash = Document.objects.get(sha256=known)
    assert by_hash.title == "招标公告" and not by_hash.file
    assert set(by_hash.events.values_list("project__external_id", flat=True)) == {
        "P-00001",
        "P-00002",
    }
    stored = Document.objects.get(sha256=hashlib.sha256(content).hexdigest())
    assert stored.size == len(content) and stored.file.read() == content
