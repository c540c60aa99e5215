"""The feed API through Django's test client, with a real token. REQ-05, REQ-21."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tenderwatch.audit.models import AuditEntry
from tenderwatch.ledger import services
from tenderwatch.ledger.models import (
    Bid,
    FeedReceipt,
    FeedSystem,
    Lot,
    MarketEntity,
    ProcedureEvent,
    Project,
)
from tenderwatch.ledger.tests.test_services import (
    bid_payload,
    event_payload,
    project_payload,
)

BASE = "/api/v1"
PID = "P-2026-001"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def feed(db: Any) -> tuple[FeedSystem, str]:
    return services.feed_system_add(code="hz-trading", name="黄州区公共资源交易中心", actor=None)


@pytest.fixture
def api(feed: tuple[FeedSystem, str], settings: Any) -> Client:
    """The platform's client; messages in English (chosen by the language cookie) so that the
    assertions below read them. Chinese is the default (see test_messages_are_chinese…)."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {feed[1]}")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def send(client: Client, method: str, path: str, body: Any) -> Any:
    return getattr(client, method)(
        BASE + path, data=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


def counts() -> dict[str, int]:
    models = [Project, Lot, MarketEntity, Bid, ProcedureEvent, AuditEntry]
    return {m.__name__: m.objects.count() for m in models}


def test_push_project_lots_bids_and_out_of_order_events(api: Client) -> None:
    response = send(api, "put", f"/projects/{PID}", project_payload())
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "created"

    for lot, first in (("L1", 11), ("L2", 21)):
        bids = [
            bid_payload(f"{lot}-B{i}", i, f"{1_900_000 + i * 1000}.00")
            for i in range(first, first + 3)
        ]
        response = send(api, "post", f"/projects/{PID}/lots/{lot}/bids", bids)
        assert response.status_code == 200, response.content
        assert [r["outcome"] for r in response.json()["results"]] == ["created"] * 3

    # Events out of order, one of them twice (again in the same batch and in a later push).
    batch = [
        event_payload("E4", "opening", 25, lot="L1"),
        event_payload("E1", "announcement", 3),
        event_payload("E3", "bid_deadline", 24),
        event_payload("E1", "announcement", 3),
    ]
    response = send(api, "post", f"/projects/{PID}/events", batch)
    assert response.status_code == 200, response.content
    assert [r["outcome"] for r in response.json()["results"]] == [
        "created",
        "created",
        "created",
        "unchanged",
    ]
    # One event alone, not in a list; and the announcement once more.
    response = send(
        api, "post", f"/projects/{PID}/events", event_payload("E2", "tender_documents_issued", 5)
    )
    assert response.json()["results"][0]["outcome"] == "created"
    response = send(
        api, "post", f"/projects/{PID}/events", [event_payload("E1", "announcement", 3)]
    )
    assert response.json()["results"][0]["outcome"] == "unchanged"

    project = Project.objects.get(external_id=PID)
    assert ProcedureEvent.objects.filter(project=project, external_id="E1").count() == 1
    held = api.get(f"{BASE}/projects/{PID}").json()
    assert [e["external_id"] for e in held["events"]] == ["E1", "E2", "E3", "E4"]
    assert held["status"] == "evaluating"
    assert [len(lot["bids"]) for lot in held["lots"]] == [3, 3]
    assert held["must_tender"] is True

    receipts = FeedReceipt.objects.filter(system__code="hz-trading")
    assert receipts.count() == 1 + 6 + 4 + 1 + 1
    assert receipts.filter(record_type="event", external_id="E1").count() == 3
    assert receipts.filter(outcome="unchanged").count() == 2
    assert set(receipts.values_list("request_id", flat=True)) != {""}


def test_the_project_page_shows_the_pushed_timeline_once(api: Client, personas: Any) -> None:
    send(api, "put", f"/projects/{PID}", project_payload())
    send(
        api,
        "post",
        f"/projects/{PID}/events",
        [
            event_payload("E3", "opening", 25, lot="L1"),
            event_payload("E1", "announcement", 3),
            event_payload("E1", "announcement", 3),
        ],
    )
    send(api, "post", f"/projects/{PID}/events", [event_payload("E2", "clarification", 10)])
    send(api, "post", f"/projects/{PID}/events", [event_payload("E1", "announcement", 3)])
    project = Project.objects.get(external_id=PID)
    page = Client()
    page.force_login(personas.housing_officer)  # every department reads the ledger
    response = page.get(reverse("ledger:project_detail", args=[project.pk]))
    assert response.status_code == 200
    shown = re.findall(r"hz-trading · (E\d)", response.content.decode())
    assert shown == ["E1", "E2", "E3"]


def test_bad_payload_names_each_field_and_changes_nothing(api: Client) -> None:
    send(api, "put", f"/projects/{PID}", project_payload())
    before = counts()
    payload = project_payload(version=2)
    payload["tenderer"]["identifier"] = "91350100M000100Y44"  # check character should be 3
    payload["lots"][0]["ceiling_price"] = "-1.00"
    del payload["name"]
    payload["registered_at"] = "2026-03-02T09:00:00"  # no offset
    response = send(api, "put", f"/projects/{PID}", payload)
    assert response.status_code == 422
    body = response.json()
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"tenderer.identifier", "lots[0].ceiling_price", "name", "registered_at"}
    assert "check character" in fields["tenderer.identifier"]
    assert "should be 3" in fields["tenderer.identifier"]
    assert "negative" in fields["lots[0].ceiling_price"]
    assert "offset" in fields["registered_at"]
    assert counts() == before
    assert Project.objects.get().version == 1
    refused = FeedReceipt.objects.get(outcome="refused")
    assert (refused.record_type, refused.external_id, refused.version) == ("project", PID, 2)
    assert len(refused.errors) == 4


def test_one_bad_event_in_a_batch_refuses_the_batch(api: Client) -> None:
    send(api, "put", f"/projects/{PID}", project_payload())
    before = counts()
    batch = [
        event_payload("E1", "announcement", 3),
        {**event_payload("E2", "no_such_kind", 4)},
        {"external_id": "E3", "occurred_at": "2026-03-05T09:00:00+08:00"},
    ]
    response = send(api, "post", f"/projects/{PID}/events", batch)
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["[1].kind", "[2].kind"]
    assert counts() == before


def test_messages_are_chinese_by_default(feed: tuple[FeedSystem, str]) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {feed[1]}")
    payload = project_payload(registered_at="2026-03-02T09:00:00")
    response = send(client, "put", f"/projects/{PID}", payload)
    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert re.search(r"[\u4e00-\u9fff]", message), message


def test_without_or_with_a_wrong_token_401(feed: tuple[FeedSystem, str]) -> None:
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer tw_wrong"}, {"HTTP_AUTHORIZATION": "x"}):
        response = send(Client(**headers), "put", f"/projects/{PID}", project_payload())
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
    FeedSystem.objects.update(active=False)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {feed[1]}")
    assert send(client, "put", f"/projects/{PID}", project_payload()).status_code == 401
    assert Project.objects.count() == 0
    assert client.get(f"{BASE}/projects/{PID}").status_code == 401


def test_events_before_their_project_are_refused_409(api: Client) -> None:
    response = send(api, "post", "/projects/P-unknown/events", [event_payload("E1", "opening", 3)])
    assert response.status_code == 409
    assert response.json()["code"] == "project_unknown"
    assert "P-unknown" in response.json()["detail"]
    assert ProcedureEvent.objects.count() == 0
    assert FeedReceipt.objects.get().outcome == "refused"


def test_event_for_an_unknown_lot_is_refused_in_its_result(api: Client) -> None:
    send(api, "put", f"/projects/{PID}", project_payload())
    batch = [event_payload("E1", "announcement", 3), event_payload("E2", "opening", 25, lot="L9")]
    response = send(api, "post", f"/projects/{PID}/events", batch)
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["outcome"] == "created"
    assert second["outcome"] == "refused"
    assert "L9" in second["errors"][0]["message"]
    assert ProcedureEvent.objects.count() == 1


def test_version_conflict_is_409_and_stale_is_reported(api: Client) -> None:
    send(api, "put", f"/projects/{PID}", project_payload(version=2))
    conflict = send(api, "put", f"/projects/{PID}", project_payload(version=2, name="改名"))
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "version_conflict"
    stale = send(api, "put", f"/projects/{PID}", project_payload(version=1))
    assert stale.status_code == 200
    assert stale.json()["outcome"] == "stale"
    assert stale.json()["current_version"] == 2


def test_body_and_path_ids_must_agree(api: Client) -> None:
    response = send(api, "put", "/projects/P-other", project_payload())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "external_id"
    assert Project.objects.count() == 0
    receipt = FeedReceipt.objects.get()
    assert (receipt.outcome, receipt.external_id) == ("refused", "P-other")


def test_lot_records_through_the_api(api: Client) -> None:
    send(api, "put", f"/projects/{PID}", project_payload())
    send(
        api,
        "post",
        f"/projects/{PID}/lots/L1/bids",
        [bid_payload("B1", 11, "2800000.00"), bid_payload("B2", 12, "2850000.00")],
    )
    lot = f"/projects/{PID}/lots/L1"
    assert (
        send(api, "put", f"{lot}/opening", {"opened_at": "2026-03-25T09:30:00+08:00"}).json()[
            "outcome"
        ]
        == "created"
    )
    members = [
        {"name": f"专家{i}", "role": "expert", "expert_pool_id": f"HB-{i}"} for i in range(5)
    ]
    assert send(api, "put", f"{lot}/committee", {"members": members}).status_code == 200
    evaluation = {
        "results": [
            {"bid_external_id": "B1", "rank": 1, "total_score": "92.50"},
            {"bid_external_id": "B2", "rank": 2, "total_score": "90.00"},
        ]
    }
    assert send(api, "put", f"{lot}/evaluation", evaluation).json()["outcome"] == "created"
    award = {"bid_external_id": "B1", "amount": "2800000.00"}
    assert send(api, "put", f"{lot}/award", award).json()["outcome"] == "created"
    missing = send(api, "put", f"{lot}/award", {"version": 2, "bid_external_id": "B7"})
    assert missing.status_code == 409
    assert missing.json()["errors"][0]["field"] == "bid_external_id"
    contract = {"signed_at": "2026-04-20T10:00:00+08:00", "amount": "2800000.00"}
    assert send(api, "put", f"{lot}/contracts/C1", contract).json()["outcome"] == "created"
    assert send(api, "put", f"/projects/{PID}/lots/L9/award", award).status_code == 409
    held = api.get(f"{BASE}/projects/{PID}").json()["lots"][0]
    assert held["award"]["bid_external_id"] == "B1"
    assert held["contracts"][0]["external_id"] == "C1"
    assert (held["opening_version"], held["committee_version"], held["evaluation_version"]) == (
        1,
        1,
        1,
    )


def test_a_platform_sees_only_its_own_projects(api: Client) -> None:
    send(api, "put", f"/projects/{PID}", project_payload())
    _other, token = services.feed_system_add(code="wh-trading", name="武汉", actor=None)
    other = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert other.get(f"{BASE}/projects/{PID}").status_code == 404
    response = send(other, "post", f"/projects/{PID}/events", [event_payload("E1", "other", 3)])
    assert response.status_code == 409


def test_openapi_document_is_served_and_valid(client: Client, db: Any) -> None:
    import jsonschema_rs
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    OPENAPI_31_VALIDATOR.validate(document)  # the OpenAPI 3.1 meta-schema
    for schema in document["components"]["schemas"].values():
        jsonschema_rs.meta.validate(schema)  # each a valid JSON Schema 2020-12
    assert document["info"]["version"] == "1"
    assert "/api/v1/projects/{external_id}/events" in document["paths"]
    assert document["components"]["securitySchemes"]["FeedToken"]["scheme"] == "bearer"


def test_docs_page_loads_nothing_from_a_cdn(client: Client, db: Any) -> None:
    page = client.get(f"{BASE}/docs")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/api/v1/docs/assets/") for s in sources)
    for source in sources:
        response = client.get(source)
        assert response.status_code == 200
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert client.get(f"{BASE}/docs/assets/settings.py").status_code == 404
