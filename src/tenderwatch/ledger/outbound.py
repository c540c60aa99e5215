"""Instructions from the office to the trading platform (监督指令): suspend, resume, terminate.

电子招标投标办法 第五十七条 (and 第四十九条): the electronic supervision platform's instructions
are carried out by the trading platform. The office issues an instruction (`instruction_issue`);
the sweeper (`tenderwatch outbound send`, `outbound_send`) delivers it through the adapter the
platform's `FeedSystem.outbound_adapter` names, retrying with exponential backoff, and records
every attempt in the audit trail. The platform reports the suspension itself back through the
feed as a `suspension` procedure event; the instruction's own status shows on the project.

Settings (with their defaults): TW_OUTBOUND_MAX_ATTEMPTS = 8, TW_OUTBOUND_RETRY_SECONDS = 60
(first retry; doubled each time), TW_OUTBOUND_RETRY_MAX_SECONDS = 3600, TW_OUTBOUND_TIMEOUT = 10
(seconds per HTTP attempt).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tenderwatch.audit import services as audit
from tenderwatch.audit.services import snapshot
from tenderwatch.core.errors import DomainError
from tenderwatch.ledger.models import (
    FeedSystem,
    Instruction,
    InstructionKind,
    InstructionStatus,
    Lot,
    Project,
)
from tenderwatch.org.scoping import ensure_allowed

log = logging.getLogger("tenderwatch.ledger.outbound")


def max_attempts() -> int:
    return int(getattr(settings, "TW_OUTBOUND_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt after `attempts` failed ones: 1, 2, 4, … × the base."""
    base = float(getattr(settings, "TW_OUTBOUND_RETRY_SECONDS", 60))
    cap = float(getattr(settings, "TW_OUTBOUND_RETRY_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _timeout() -> float:
    return float(getattr(settings, "TW_OUTBOUND_TIMEOUT", 10))


# -- issuing -------------------------------------------------------------------------------------


INSTRUCTION_FIELDS = [
    "kind",
    "reason",
    "basis",
    "reference",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "delivered_at",
    "receipt",
]


@transaction.atomic
def instruction_issue(
    *,
    project: Project,
    kind: str,
    reason: str,
    basis: str = "",
    reference: str = "",
    actor: Any,
    lot: Lot | None = None,
) -> Instruction:
    """Instruct the project's trading platform, e.g. to suspend the procedure while a complaint
    is handled (招标投标法实施条例 第六十二条; 电子招标投标办法 第五十七条). Delivered by the
    sweeper; the office sees its status on the project."""
    ensure_allowed(actor, "ledger.instruct", project)
    if kind not in InstructionKind.values:
        raise DomainError(_("Unknown kind of instruction."), code="instruction_kind")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the instruction."), code="reason_missing")
    project = Project.objects.select_for_update().get(pk=project.pk)
    if lot is not None and lot.project_id != project.pk:
        raise DomainError(_("The lot is not part of this project."), code="lot_mismatch")
    system = FeedSystem.objects.filter(code=project.source, active=True).first()
    if system is None:
        raise DomainError(
            _(
                "Project %(code)s did not come from a connected trading platform; there is no "
                "platform to instruct."
            )
            % {"code": project.code},
            code="no_platform",
        )
    waiting = Instruction.objects.filter(
        project=project, lot=lot, kind=kind, status=InstructionStatus.PENDING
    ).exists()
    if waiting:
        raise DomainError(
            _("The same instruction is already waiting to be sent."), code="instruction_waiting"
        )
    instruction = Instruction.objects.create(
        project=project,
        lot=lot,
        system=system,
        kind=kind,
        reason=reason,
        basis=basis.strip()[:200],
        reference=reference.strip()[:100],
        issued_by=actor,
        next_attempt_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action="ledger.instruction.issued",
        obj=instruction,
        after={
            **snapshot(instruction, INSTRUCTION_FIELDS),
            "project": project.external_id,
            "system": system.code,
        },
    )
    return instruction


def instruction_message(instruction: Instruction) -> dict[str, Any]:
    """What the platform receives (JSON). `instruction_id` is stable across retries, so the
    platform can recognise a repeated delivery."""
    return {
        "instruction_id": f"tenderwatch-{instruction.pk}",
        "kind": instruction.kind,
        "project_external_id": instruction.project.external_id,
        "project_code": instruction.project.code,
        "lot_external_id": instruction.lot.external_id if instruction.lot else None,
        "reason": instruction.reason,
        "basis": instruction.basis,
        "reference": instruction.reference,
        "issued_at": instruction.issued_at.isoformat(),
        "issued_by": instruction.issued_by.display_name,
    }


# -- adapters ------------------------------------------------------------------------------------


class DeliveryError(Exception):
    """The platform did not take the instruction; the sweeper retries."""


class TradingPlatformAdapter(Protocol):
    def send(self, system: FeedSystem, message: dict[str, Any]) -> str:
        """Deliver `message`; return the platform's receipt or raise DeliveryError."""


class ConsoleAdapter:
    """For the demo and for platforms without an inbound interface: the instruction is written
    to the log (the console), to be carried out by hand."""

    def send(self, system: FeedSystem, message: dict[str, Any]) -> str:
        log.info(
            "INSTRUCTION to %s (%s): %s",
            system.name,
            system.code,
            json.dumps(message, ensure_ascii=False, sort_keys=True),
        )
        return f"console:{uuid.uuid4().hex[:12]}"


class HttpAdapter:
    """POST the instruction as JSON to the platform's `outbound_url`.

    Connects directly (no proxy from the environment): the platform sits on the same
    government network. Any 2xx answer is a delivery; its JSON `receipt` (or `id`) is kept.
    """

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = _timeout() if timeout is None else timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def send(self, system: FeedSystem, message: dict[str, Any]) -> str:
        url = system.outbound_url
        if urlsplit(url).scheme not in ("http", "https"):
            raise DeliveryError(f"outbound URL must be http(s): {url!r}")
        request = urllib.request.Request(  # noqa: S310 — scheme checked above
            url,
            data=json.dumps(message, ensure_ascii=False).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": str(message["instruction_id"]),
                "User-Agent": "tenderwatch-outbound/1",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                body = response.read(65536)
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace")
            raise DeliveryError(f"HTTP {exc.code}: {detail}".strip()) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        try:
            answer = json.loads(body) if body else {}
        except ValueError:
            answer = {}
        receipt = answer.get("receipt") or answer.get("id") if isinstance(answer, dict) else None
        return str(receipt or f"HTTP {status}")[:200]


ADAPTERS: dict[str, type[TradingPlatformAdapter]] = {
    "console": ConsoleAdapter,
    "http": HttpAdapter,
}


def adapter_for(system: FeedSystem) -> TradingPlatformAdapter:
    try:
        return ADAPTERS[system.outbound_adapter]()
    except KeyError:
        raise DeliveryError(f"unknown outbound adapter {system.outbound_adapter!r}") from None


# -- the sweeper ---------------------------------------------------------------------------------


@dataclass
class SendReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.delivered + self.retrying + self.failed


def _lease() -> dt.timedelta:
    # Long enough for one HTTP attempt; a sweeper that dies mid-delivery leaves the row to be
    # claimed again when the lease runs out.
    return dt.timedelta(seconds=max(60.0, 3 * _timeout()))


def claim_due(*, now: dt.datetime, limit: int = 50) -> list[int]:
    """Claim due PENDING instructions for this sweeper; several may run at once.

    A row is claimed by a conditional UPDATE (… WHERE status = 'pending' AND next_attempt_at
    <= now) that counts the attempt and moves next_attempt_at past a lease; only the sweeper
    whose UPDATE touched the row delivers it. On PostgreSQL the candidates are read with
    FOR UPDATE SKIP LOCKED so sweepers do not queue behind each other.
    """
    with transaction.atomic():
        due = Instruction.objects.filter(
            status=InstructionStatus.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "pk")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        candidates = list(due.values_list("pk", flat=True)[:limit])
        claimed = []
        for pk in candidates:
            updated = Instruction.objects.filter(
                pk=pk, status=InstructionStatus.PENDING, next_attempt_at__lte=now
            ).update(next_attempt_at=now + _lease(), attempts=F("attempts") + 1)
            if updated:
                claimed.append(pk)
    return claimed


def _deliver(pk: int, *, now: dt.datetime, report: SendReport) -> None:
    instruction = Instruction.objects.select_related("project", "lot", "system", "issued_by").get(
        pk=pk
    )
    error = ""
    receipt = ""
    try:
        receipt = adapter_for(instruction.system).send(
            instruction.system, instruction_message(instruction)
        )
    except DeliveryError as exc:
        error = str(exc)
    except Exception as exc:  # one broken delivery must not stop the sweep
        log.exception("outbound delivery of instruction %s crashed", pk)
        error = f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        row = Instruction.objects.select_for_update().get(pk=pk)
        if row.status != InstructionStatus.PENDING:
            return
        before = snapshot(row, INSTRUCTION_FIELDS)
        if not error:
            row.status = InstructionStatus.DELIVERED
            row.delivered_at = timezone.now()
            row.receipt = receipt[:200]
            row.last_error = ""
            row.next_attempt_at = None
            action = "ledger.instruction.delivered"
            report.delivered += 1
        elif row.attempts >= max_attempts():
            row.status = InstructionStatus.FAILED
            row.last_error = error[:2000]
            row.next_attempt_at = None
            action = "ledger.instruction.failed"
            report.failed += 1
            log.error("instruction %s FAILED after %s attempts: %s", pk, row.attempts, error)
        else:
            row.last_error = error[:2000]
            row.next_attempt_at = now + backoff(row.attempts)
            action = "ledger.instruction.delivery_failed"
            report.retrying += 1
            log.warning("instruction %s attempt %s failed: %s", pk, row.attempts, error)
        row.save(
            update_fields=["status", "delivered_at", "receipt", "last_error", "next_attempt_at"]
        )
        audit.record(
            actor=None,
            action=action,
            obj=row,
            before=before,
            after=snapshot(row, INSTRUCTION_FIELDS),
            note=f"outbound:{instruction.system.code} attempt {row.attempts}",
        )


def outbound_send(*, now: dt.datetime | None = None, limit: int = 50) -> SendReport:
    """Deliver what is due now; one audit entry per attempt."""
    now = now or timezone.now()
    report = SendReport()
    for pk in claim_due(now=now, limit=limit):
        _deliver(pk, now=now, report=report)
    return report
