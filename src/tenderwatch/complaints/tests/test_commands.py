"""The sweeper and maintenance commands, and the demo data."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from tenderwatch.audit.models import AuditEntry
from tenderwatch.complaints.demo import load_demo_complaints
from tenderwatch.complaints.models import Escalation, Matter, Status
from tenderwatch.complaints.testing import complaint_filing
from tenderwatch.complaints.tests.conftest import china

pytestmark = pytest.mark.usefixtures("district")


def test_sweep_command(personas: Any, file: Any) -> None:
    with time_machine.travel(china(2026, 9, 30, 16, 0), tick=False):
        matter = file(complaint_filing()).matter
    out = io.StringIO()
    call_command("complaints", "sweep", "--now", "2026-10-09T09:00+08:00", stdout=out)
    assert matter.number in out.getvalue()
    assert re.search(r"(?<!\d)1(?!\d)", out.getvalue().splitlines()[-1])
    assert Escalation.objects.get().matter == matter
    assert AuditEntry.objects.get(action="complaints.deadline.escalated").channel == "cli"
    call_command("complaints", "sweep", "--now", "2026-10-09T09:05+08:00", stdout=io.StringIO())
    assert Escalation.objects.count() == 1


def test_recompute_and_rekey_commands(personas: Any, file: Any, settings: Any) -> None:
    with time_machine.travel(china(2026, 6, 8, 10, 0), tick=False):
        matter = file(complaint_filing()).matter
    settings.TW_COMPLAINTS_ACTIVE_KEY_ID = "t2"
    out = io.StringIO()
    call_command("complaints", "rekey", stdout=out)
    matter.refresh_from_db()
    assert matter.identity_key_id == "t2" and "1" in out.getvalue()
    out = io.StringIO()
    call_command("complaints", "recompute", stdout=out)
    assert re.search(r"(?<!\d)3(?!\d)", out.getvalue())


def test_demo_complaints_load_once(personas: Any) -> None:
    out = io.StringIO()
    with time_machine.travel(china(2026, 11, 27, 11, 30), tick=False):
        assert load_demo_complaints(stdout=out) == 15
        assert load_demo_complaints(stdout=io.StringIO()) == 0
    statuses = list(Matter.objects.order_by("pk").values_list("status", flat=True))
    assert statuses.count(Status.LINKED) == 1
    assert Status.ACCEPTED in statuses and Status.NOT_ACCEPTED in statuses
    assert Status.AWAITING_SUPPLEMENT in statuses
    assert Escalation.objects.exists()
    assert Matter.objects.filter(channel="assigned").get().deadlines.filter(clock="assigned")
    assert Matter.objects.filter(rule_set="procurement").get().department.code == "finance"
