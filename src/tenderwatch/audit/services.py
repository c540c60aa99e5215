"""Writing to the audit trail, and verifying it.

`record` is called by every service that changes state, inside that service's transaction: the
entry commits or rolls back with the change it describes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from tenderwatch.audit import chain
from tenderwatch.audit.models import AuditEntry, ChainHead
from tenderwatch.core import context

anchor_log = logging.getLogger("tenderwatch.audit.anchor")


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of a model's concrete fields (foreign keys as ids), for before/after."""
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        out[f.attname] = getattr(obj, f.attname)
    return chain.json_safe(out)


def _actor_role(actor: Any) -> str:
    if actor is None:
        return ""
    from tenderwatch.org.scoping import scope_of

    return ",".join(sorted(scope_of(actor).roles))


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry, chained to the previous one, in the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the change")
    ctx = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    head = _locked_head()
    algorithm = chain.preferred_algorithm()
    entry = AuditEntry(
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(actor.get_username() if actor is not None else f"system:{ctx.channel}"),
        actor_role=_actor_role(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:300],
        before=chain.json_safe(before),
        after=chain.json_safe(after),
        note=note,
        client_ip=ctx.client_ip,
        request_id=ctx.request_id,
        channel=ctx.channel,
        algorithm=algorithm,
        prev_hash=head.hash,
    )
    entry.hash = chain.entry_hash(entry)
    entry.save(force_insert=True)
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    transaction.on_commit(anchor_head)
    return entry


def _locked_head() -> ChainHead:
    try:
        return ChainHead.objects.select_for_update().get(pk=1)
    except ChainHead.DoesNotExist:
        if AuditEntry.objects.exists():
            raise RuntimeError(
                "audit chain head is missing: run `tenderwatch audit verify`"
            ) from None
        ChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": chain.GENESIS})
        return ChainHead.objects.select_for_update().get(pk=1)


# -- anchoring -------------------------------------------------------------------------------

_last_anchored_seq = 0


def anchor_head() -> tuple[int, str] | None:
    """Write the committed head (seq, hash) to the log and the anchor file, once per head."""
    global _last_anchored_seq
    head = ChainHead.objects.filter(pk=1).values_list("seq", "hash").first()
    if head is None or head[0] == 0 or head[0] <= _last_anchored_seq:
        return None
    seq, digest = head
    line = {"seq": seq, "hash": digest, "at": timezone.now().isoformat()}
    anchor_log.info("audit head seq=%s hash=%s", seq, digest)
    path = Path(settings.TW_AUDIT_ANCHOR_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:  # O_APPEND: one short line is written whole
        fh.write(json.dumps(line) + "\n")
    _last_anchored_seq = seq
    return seq, digest


def reset_anchor_memory() -> None:
    """Forget what this process anchored (tests start from an empty database)."""
    global _last_anchored_seq
    _last_anchored_seq = 0


def read_anchors(path: Path | None = None) -> list[tuple[int, str, str]]:
    path = Path(path or settings.TW_AUDIT_ANCHOR_FILE)
    if not path.exists():
        return []
    anchors = []
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            raw = raw.strip()
            if raw:
                item = json.loads(raw)
                anchors.append((int(item["seq"]), str(item["hash"]), str(item.get("at", ""))))
    return anchors


# -- verification ----------------------------------------------------------------------------


@dataclass
class Problem:
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"#{self.seq}" if self.seq is not None else "chain"
        return f"{where}: {self.reason}"


@dataclass
class VerifyReport:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = ""
    first_broken: Problem | None = None
    anchors_checked: int = 0
    anchor_problems: list[Problem] = field(default_factory=list)
    checked_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def ok(self) -> bool:
        return self.first_broken is None and not self.anchor_problems


def verify(*, anchors: Iterable[tuple[int, str, str]] | None = None) -> VerifyReport:
    """Walk the chain from the first entry; name the first broken one; check the anchors."""
    report = VerifyReport()
    anchored: dict[int, list[tuple[str, str]]] = {}
    for seq, digest, at in anchors if anchors is not None else read_anchors():
        anchored.setdefault(seq, []).append((digest, at))
    prev_hash = chain.GENESIS
    expected_seq = 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        report.entries += 1
        if report.first_broken is None:
            problem = None
            if entry.seq != expected_seq:
                problem = f"sequence gap: expected #{expected_seq}, found #{entry.seq}"
            elif entry.prev_hash != prev_hash:
                problem = "previous-hash link does not match the entry before it"
            elif chain.entry_hash(entry) != entry.hash:
                problem = "content does not match its hash (the entry was altered)"
            if problem:
                report.first_broken = Problem(entry.seq, problem)
        for digest, at in anchored.pop(entry.seq, ()):
            report.anchors_checked += 1
            if digest != entry.hash:
                report.anchor_problems.append(
                    Problem(
                        entry.seq,
                        f"hash differs from the anchor written at {at}: the chain was rewritten",
                    )
                )
        prev_hash = entry.hash
        expected_seq = entry.seq + 1
        report.head_seq, report.head_hash = entry.seq, entry.hash
    for seq, items in sorted(anchored.items()):
        for _digest, at in items:
            report.anchors_checked += 1
            report.anchor_problems.append(
                Problem(seq, f"anchored at {at} but missing from the database")
            )
    head = ChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, chain.GENESIS)
    if report.first_broken is None and (
        head_seq != report.head_seq or (head_seq and head_hash != report.head_hash)
    ):
        report.first_broken = Problem(
            head_seq, "chain head does not match the newest entry (entries removed or added)"
        )
    return report
