"""Instructions to the trading platform: issue, deliver, retry with backoff, fail; all audited."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import DomainError, PermissionDenied
from tenderwatch.ledger import outbound, services
from tenderwatch.ledger.models import FeedSystem, Instruction, InstructionStatus, Project
from tenderwatch.ledger.tests.test_services import project_payload

SOURCE = "hz-trading"


class Platform:
    """A tiny trading platform on 127.0.0.1: answers with the queued statuses, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.received: list[dict[str, Any]] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                platform.received.append(
                    {"body": json.loads(body), "key": self.headers["Idempotency-Key"]}
                )
                status = platform.statuses.pop(0) if platform.statuses else 200
                answer = {"receipt": f"R-{len(platform.received)}"} if status == 200 else {}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/instructions"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Platform:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def project(db: Any) -> Project:
    system, _token = services.feed_system_add(code=SOURCE, name="交易中心", actor=None)
    return services.project_upsert(
        source=SOURCE, payload=project_payload(), actor=None, system=system
    ).obj


@pytest.fixture
def platform(project: Project) -> Iterator[Platform]:
    with Platform([500, 503]) as server:
        FeedSystem.objects.filter(code=SOURCE).update(
            outbound_adapter="http", outbound_url=server.url
        )
        yield server


def issue(project: Project, actor: Any, kind: str = "suspend") -> Instruction:
    return outbound.instruction_issue(
        project=project,
        kind=kind,
        reason="投诉处理期间暂停招标投标活动",
        basis="招标投标法实施条例 第六十二条",
        reference="TS-2026-0012",
        actor=actor,
    )


def actions(instruction: Instruction) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="ledger.instruction", object_id=str(instruction.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_only_office_staff_instruct(personas: Any, project: Project) -> None:
    for outsider in (personas.housing_officer, personas.auditor, personas.section_head):
        with pytest.raises(PermissionDenied):
            issue(project, outsider)
    instruction = issue(project, personas.office_clerk)
    assert instruction.status == InstructionStatus.PENDING
    assert instruction.system.code == SOURCE
    assert actions(instruction) == ["ledger.instruction.issued"]
    with pytest.raises(DomainError):  # the same, still waiting
        issue(project, personas.office_clerk)


def test_a_project_entered_by_hand_has_no_platform_to_instruct(personas: Any, db: Any) -> None:
    manual = services.project_upsert(
        source="manual", payload=project_payload(), actor=personas.office_clerk
    ).obj
    with pytest.raises(DomainError) as caught:
        issue(manual, personas.office_clerk)
    assert caught.value.code == "no_platform"


def test_console_delivery_marks_delivered(
    personas: Any, project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    instruction = issue(project, personas.office_clerk)
    with caplog.at_level("INFO", logger="tenderwatch.ledger.outbound"):
        report = outbound.outbound_send()
    assert (report.delivered, report.retrying, report.failed) == (1, 0, 0)
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.DELIVERED
    assert instruction.receipt.startswith("console:")
    assert instruction.attempts == 1
    assert "TS-2026-0012" in caplog.text
    assert actions(instruction) == ["ledger.instruction.issued", "ledger.instruction.delivered"]
    assert outbound.outbound_send().claimed == 0  # nothing left to send


def test_http_delivery_retries_with_backoff_then_delivers(
    personas: Any, project: Project, platform: Platform, settings: Any
) -> None:
    settings.TW_OUTBOUND_RETRY_SECONDS = 60
    instruction = issue(project, personas.office_clerk)
    start = timezone.now()

    first = outbound.outbound_send(now=start)
    assert (first.delivered, first.retrying) == (0, 1)
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.PENDING
    assert "HTTP 500" in instruction.last_error
    assert instruction.next_attempt_at == start + dt.timedelta(seconds=60)
    # Not due yet: nothing is sent.
    assert outbound.outbound_send(now=start + dt.timedelta(seconds=59)).claimed == 0

    second = outbound.outbound_send(now=start + dt.timedelta(seconds=60))
    assert second.retrying == 1
    instruction.refresh_from_db()
    assert "HTTP 503" in instruction.last_error
    assert instruction.next_attempt_at == start + dt.timedelta(seconds=60 + 120)  # doubled

    third = outbound.outbound_send(now=start + dt.timedelta(seconds=180))
    assert third.delivered == 1
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.DELIVERED
    assert instruction.receipt == "R-3"
    assert instruction.attempts == 3
    assert instruction.last_error == ""

    assert len(platform.received) == 3
    assert {r["key"] for r in platform.received} == {f"tenderwatch-{instruction.pk}"}
    body = platform.received[0]["body"]
    assert (body["kind"], body["project_external_id"]) == ("suspend", "P-2026-001")
    assert actions(instruction) == [
        "ledger.instruction.issued",
        "ledger.instruction.delivery_failed",
        "ledger.instruction.delivery_failed",
        "ledger.instruction.delivered",
    ]
    failed = AuditEntry.objects.filter(action="ledger.instruction.delivery_failed").order_by("seq")
    assert [e.after["attempts"] for e in failed] == [1, 2]
    assert failed[0].note == f"outbound:{SOURCE} attempt 1"


def test_after_max_attempts_failed(personas: Any, project: Project, settings: Any) -> None:
    settings.TW_OUTBOUND_MAX_ATTEMPTS = 3
    with Platform([500] * 10) as server:
        FeedSystem.objects.filter(code=SOURCE).update(
            outbound_adapter="http", outbound_url=server.url
        )
        instruction = issue(project, personas.office_clerk)
        moment = timezone.now()
        for _ in range(5):
            outbound.outbound_send(now=moment)
            moment += dt.timedelta(days=1)
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.FAILED
    assert instruction.attempts == 3
    assert instruction.next_attempt_at is None
    assert len(server.received) == 3
    assert actions(instruction)[-1] == "ledger.instruction.failed"
    assert actions(instruction).count("ledger.instruction.delivery_failed") == 2


def test_unreachable_platform_is_a_failed_attempt(personas: Any, project: Project) -> None:
    with Platform([]) as server:
        url = server.url  # closed when the block ends: nothing listens there afterwards
    FeedSystem.objects.filter(code=SOURCE).update(outbound_adapter="http", outbound_url=url)
    instruction = issue(project, personas.office_clerk)
    assert outbound.outbound_send().retrying == 1
    instruction.refresh_from_db()
    assert "URLError" in instruction.last_error or "Connection" in instruction.last_error


def test_a_claimed_row_is_not_claimed_twice(personas: Any, project: Project) -> None:
    issue(project, personas.office_clerk)
    now = timezone.now()
    assert len(outbound.claim_due(now=now)) == 1
    # A second sweeper at the same moment finds nothing: the row is leased.
    assert outbound.claim_due(now=now) == []


def test_sweeper_command(personas: Any, project: Project) -> None:
    instruction = issue(project, personas.office_clerk)
    out = StringIO()
    call_command("outbound", "send", stdout=out)
    assert "delivered 1" in out.getvalue()
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.DELIVERED
    entry = AuditEntry.objects.get(action="ledger.instruction.delivered")
    assert entry.channel == "cli"


def test_feed_commands(db: Any) -> None:
    out = StringIO()
    call_command("feed", "add-system", "xg", "孝感市交易中心", stdout=out)
    token = out.getvalue().split("token (shown once, keep it safe): ")[1].strip()
    assert services.feed_system_for_token(token) is not None
    out = StringIO()
    call_command("feed", "rotate-token", "xg", stdout=out)
    assert services.feed_system_for_token(token) is None
    out = StringIO()
    call_command("feed", "list", stdout=out)
    assert "xg\t孝感市交易中心\tactive" in out.getvalue()
    assert token not in out.getvalue()
