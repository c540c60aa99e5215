"""The audit chain: append in the caller's transaction, refuse rewrites, and catch tampering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from tenderwatch.audit import chain, services
from tenderwatch.audit.models import AppendOnlyError, AuditEntry, ChainHead
from tenderwatch.core import context
from tenderwatch.org.models import Department, DepartmentKind


def _write_entries(n: int, actor=None) -> list[AuditEntry]:
    entries = []
    for i in range(n):
        with transaction.atomic():
            dept = Department.objects.create(
                code=f"d{i}-{AuditEntry.objects.count()}",
                name=f"测试部门{i}-{AuditEntry.objects.count()}",
                short_name=f"部门{i}",
                kind=DepartmentKind.MEMBER,
            )
            entries.append(
                services.record(
                    actor=actor,
                    action="org.department.created",
                    obj=dept,
                    after=services.snapshot(dept),
                    note=f"第{i}条",
                )
            )
    return entries


@pytest.mark.django_db(transaction=True)
def test_entries_chain_to_each_other_and_anchor_outside(_audit_anchor_file: Path) -> None:
    with context.bind(channel="cli", client_ip="10.0.0.8", request_id="req42"):
        entries = _write_entries(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == chain.GENESIS
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    stored = AuditEntry.objects.get(seq=2)
    assert stored.client_ip == "10.0.0.8"
    assert stored.request_id == "req42"
    assert stored.actor_name == "system:cli"
    assert stored.after["name"].startswith("测试部门1")
    assert stored.algorithm == chain.preferred_algorithm() == "sm3"
    head = ChainHead.objects.get()
    assert (head.seq, head.hash) == (3, entries[2].hash)
    anchors = [json.loads(line) for line in _audit_anchor_file.read_text().splitlines()]
    assert [(a["seq"], a["hash"]) for a in anchors] == [(e.seq, e.hash) for e in entries]
    report = services.verify()
    assert report.ok, report
    assert report.entries == 3 and report.anchors_checked == 3


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused() -> None:
    dept = Department.objects.create(code="x", name="x", short_name="x", kind="member")
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.record(actor=None, action="org.department.created", obj=dept)
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_entry_rolls_back_with_the_change() -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _write_entries(1)
        1 / 0  # noqa: B018
    assert AuditEntry.objects.count() == 0
    assert ChainHead.objects.get().seq == 0


@pytest.mark.django_db
def test_orm_refuses_update_and_delete() -> None:
    (entry,) = _write_entries(1)
    entry.note = "改写"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="改写")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


@pytest.mark.django_db
def test_database_refuses_update_even_in_raw_sql() -> None:
    (entry,) = _write_entries(1)
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE audit_auditentry SET note = %s WHERE id = %s", ["x", entry.pk])


def _drop_guards() -> None:
    """What someone with direct access to the database would do first."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")


@pytest.mark.django_db
def test_verify_names_the_row_changed_directly_in_the_database(capsys) -> None:
    _write_entries(5)
    _drop_guards()
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET note = %s WHERE seq = 3", ["悄悄改过"])
    report = services.verify()
    assert not report.ok
    assert report.first_broken is not None and report.first_broken.seq == 3
    assert "altered" in report.first_broken.reason
    with pytest.raises(CommandError):
        call_command("audit", "verify")
    err = capsys.readouterr().err
    assert "BROKEN at entry #3" in err


@pytest.mark.django_db
def test_verify_catches_a_consistently_rewritten_chain_by_its_anchors(
    capsys, django_capture_on_commit_callbacks
) -> None:
    for _ in range(4):  # four separate commits, each anchored
        with django_capture_on_commit_callbacks(execute=True):
            _write_entries(1)
    _drop_guards()
    # Rewrite entry 2 and then re-hash every entry after it, and the head: the chain is
    # internally consistent again, so only the anchors outside the database can tell.
    entries = list(AuditEntry.objects.order_by("seq"))
    entries[1].note = "改写后的内容"
    prev = entries[0].hash
    with connection.cursor() as cur:
        for e in entries[1:]:
            e.prev_hash = prev
            e.hash = chain.entry_hash(e)
            cur.execute(
                "UPDATE audit_auditentry SET note=%s, prev_hash=%s, hash=%s WHERE seq=%s",
                [e.note, e.prev_hash, e.hash, e.seq],
            )
            prev = e.hash
        cur.execute("UPDATE audit_chainhead SET hash=%s WHERE id=1", [prev])
    report = services.verify()
    assert report.first_broken is None  # the chain alone looks fine
    assert [p.seq for p in report.anchor_problems] == [2, 3, 4]
    assert not report.ok
    with pytest.raises(CommandError):
        call_command("audit", "verify")
    assert "ANCHOR MISMATCH at entry #2" in capsys.readouterr().err


@pytest.mark.django_db
def test_verify_catches_entries_deleted_from_the_end(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _write_entries(3)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cur.execute("DELETE FROM audit_auditentry WHERE seq = 3")
    report = services.verify()
    assert report.first_broken is not None  # the head still says #3
    assert any("missing" in p.reason for p in report.anchor_problems)


@pytest.mark.django_db
def test_verify_command_succeeds_on_an_intact_chain(capsys) -> None:
    _write_entries(2)
    call_command("audit", "verify")
    assert "audit chain OK" in capsys.readouterr().out
