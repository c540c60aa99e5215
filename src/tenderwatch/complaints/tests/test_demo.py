"""The demo loader's matters past acceptance: each stage of part 2 is there with its records,
made through the services by the demo personas, and a second run changes nothing."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tenderwatch.approvals.models import ApprovalRequest, ApprovalStep, RequestStatus
from tenderwatch.audit.models import AuditEntry
from tenderwatch.complaints import handling
from tenderwatch.complaints.crypto import CODE_ALPHABET, CODE_LENGTH
from tenderwatch.complaints.demo import load_demo_complaints
from tenderwatch.complaints.models import (
    ArchiveIndex,
    InfoRequest,
    InquiryNote,
    Matter,
    NoticeKind,
    Routing,
    Service,
    Status,
    Transfer,
)
from tenderwatch.complaints.tests.conftest import china
from tenderwatch.core import timeutil
from tenderwatch.letters import services as letters
from tenderwatch.workdays import calendar

pytestmark = pytest.mark.usefixtures("district")

NOW = china(2026, 11, 27, 11, 30)  # a Friday


def _counts() -> dict[str, int]:
    models = (Matter, ApprovalRequest, ApprovalStep, Service, Transfer, ArchiveIndex, AuditEntry)
    return {m.__name__: m.objects.count() for m in models}


def test_demo_has_every_stage_of_part_two_and_loads_once(personas: Any) -> None:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        assert load_demo_complaints(stdout=out) == 15
    now = timeutil.now()

    # In investigation at the housing department: two officers, an inquiry, a request with its
    # working-day deadline.
    inquiry = Matter.objects.get(status=Status.INVESTIGATION)
    assert inquiry.routing == Routing.ASSIGN and inquiry.department is not None
    assert inquiry.department.code == "housing"
    assert {o.user.username for o in inquiry.officers.select_related("user")} == {
        "housing_officer",
        "enforcement_officer",
    }
    assert InquiryNote.objects.filter(matter=inquiry).count() == 1
    request = InfoRequest.objects.get(matter=inquiry)
    assert request.due_on == calendar.add_workdays(timeutil.china_date(request.sent_at), 5)
    assert request.answered_at is None

    # A draft decision waiting at level 2 (审核), which the demo's section head may sign.
    pending = Matter.objects.get(status=Status.DECISION_PENDING)
    approval = handling.latest_decision_request(pending)
    assert approval is not None and approval.status == RequestStatus.PENDING
    assert approval.current_level is not None and approval.current_level.order == 2
    assert approval.submitted_by.username == "office_clerk"

    # Decided and served: decision letter and service receipt, the notice on the tracking page.
    served = Matter.objects.get(status=Status.SERVED)
    service = Service.objects.get(matter=served)
    assert service.served_by.username == "office_clerk" and service.receipt_letter_number
    kinds = {lt.kind for lt in letters.letters_of(served)}
    assert {"complaints.handling_decision", "complaints.service_receipt"} <= kinds
    notice = served.notices.get(kind=NoticeKind.DECISION)
    assert notice.letter_number == served.decision.letter_number
    # Its filing number and tracking code are printed (the code: 12 characters of CODE_ALPHABET).
    line = next(ln for ln in out.getvalue().splitlines() if served.number in ln and "、" not in ln)
    code = re.search(rf"(?<![0-9A-Z])[{CODE_ALPHABET}]{{{CODE_LENGTH}}}(?![0-9A-Z])", line)
    assert code is not None
    # The filer signs in on the tracking page with them and downloads the decision letter.
    client = Client()
    signed_in = client.post(
        reverse("complaints:public_track"), {"number": served.number, "code": code.group(0)}
    )
    assert signed_in.status_code == 302
    status_page = client.get(reverse("complaints:public_status")).content.decode()
    link = reverse("complaints:public_letter", args=[notice.pk])
    assert link in status_page
    download = client.get(link)
    assert download.status_code == 200
    assert download.content[:2] == b"PK"  # a Word document
    signers = ApprovalStep.objects.filter(
        request=handling.latest_decision_request(served)
    ).values_list("approver__username", flat=True)
    assert {"section_head", "principal_head"} <= set(signers)

    # Transferred to discipline inspection, the receipt recorded.
    tip = Matter.objects.get(status=Status.TRANSFERRED)
    transfer = Transfer.objects.get(matter=tip)
    assert transfer.body is not None and transfer.body.code == "discipline"
    assert transfer.letter_number and transfer.receipt_on and transfer.receipt_file is not None
    assert "complaints.transfer_letter" in {lt.kind for lt in letters.letters_of(tip)}

    # Archived with its index, which lists the decision letter.
    archived = Matter.objects.get(status=Status.ARCHIVED)
    index = ArchiveIndex.objects.get(matter=archived)
    assert len(index.sha256) == 64
    entry_kinds = {e["kind"] for e in index.entries}
    assert {"letter:complaints.handling_decision", "inquiry", "decision", "service"} <= entry_kinds

    # Through the services, by the personas, with nothing dated in the future.
    for matter in (inquiry, pending, served, tip, archived):
        history = list(matter.history.all())
        assert all(h.at <= now for h in history)
        assert all(h.actor_id for h in history[1:])
    assert AuditEntry.objects.filter(action="complaints.decision.served").count() == 2
    assert AuditEntry.objects.filter(action="complaints.matter.archived").exists()
    assert not Matter.objects.filter(received_at__gt=now).exists()

    before = _counts()
    again = io.StringIO()
    with time_machine.travel(china(2026, 11, 27, 11, 45), tick=False):
        assert load_demo_complaints(stdout=again) == 0
    assert _counts() == before
