"""The stage pages through Django's client: another department's matter is "not found" on every
page and action, a skipped level is refused on the page too, the list filters and exports."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.test import Client

from tenderwatch.complaints import routing, services
from tenderwatch.complaints.models import Matter, Routing, Status
from tenderwatch.complaints.testing import complaint_filing, tip_off_filing
from tenderwatch.complaints.tests.conftest import china

pytestmark = pytest.mark.usefixtures("district")

D = dt.date


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _accepted(personas: Any, file: Any, filing: Any = None) -> Matter:
    with time_machine.travel(china(2026, 6, 8, 10, 0), tick=False):
        matter = file(
            filing
            or complaint_filing(
                knew_on=D(2026, 6, 3), objection_on=D(2026, 6, 3), objection_reply_on=D(2026, 6, 5)
            )
        ).matter
        services.matter_accept(matter=matter, actor=personas.office_clerk)
    matter.refresh_from_db()
    return matter


def test_routing_through_the_page(personas: Any, file: Any) -> None:
    matter = _accepted(personas, file)
    clerk = _client(personas.office_clerk)
    page = clerk.get(matter.get_absolute_url())
    assert page.status_code == 200 and 'id="routing-proposal"' in page.content.decode()
    response = clerk.post(f"/complaints/{matter.number}/route/", {"routing": "assign"})
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.status == Status.INVESTIGATION and matter.department.code == "housing"
    # A department officer cannot route.
    other = _accepted(personas, file, tip_off_filing(industry="housing_municipal"))
    response = _client(personas.housing_officer).post(
        f"/complaints/{other.number}/route/", {"routing": "self"}
    )
    other.refresh_from_db()
    assert other.status == Status.ACCEPTED
    assert response.status_code in (302, 403)


def test_a_housing_officer_gets_not_found_on_a_transport_matter(personas: Any, file: Any) -> None:
    matter = _accepted(personas, file)
    routing.matter_route(
        matter=matter,
        actor=personas.office_clerk,
        routing=Routing.ASSIGN,
        department=personas.dept("transport"),
        reason="公路标段",
    )
    housing = _client(personas.housing_officer)
    assert housing.get(matter.get_absolute_url()).status_code == 404
    for action, data in (
        ("officers", {"users": [personas.housing_officer.pk]}),
        ("inquiries", {"person": "x", "held_at": "2026-06-08T09:00", "text": "y"}),
        ("investigation/close", {}),
        ("decision", {"outcome": "dismissed", "facts": "x", "decision_text": "y"}),
    ):
        response = housing.post(f"/complaints/{matter.number}/{action}/", data)
        assert response.status_code == 404, action
    assert matter.officers.count() == 0 and matter.inquiries.count() == 0
    # The transport officer acts on it.
    transport = _client(personas.transport_officer)
    assert transport.get(matter.get_absolute_url()).status_code == 200
    response = transport.post(
        f"/complaints/{matter.number}/officers/", {"users": [personas.transport_officer.pk]}
    )
    assert response.status_code == 302 and matter.officers.count() == 1


def test_list_by_stage_and_department_exports_to_excel(personas: Any, file: Any) -> None:
    from openpyxl import load_workbook

    matter = _accepted(personas, file)
    routing.matter_route(matter=matter, actor=personas.office_clerk, routing=Routing.ASSIGN)
    _accepted(personas, file, tip_off_filing())
    clerk = _client(personas.office_clerk)
    housing = personas.dept("housing").pk
    page = clerk.get("/complaints/", {"status": "stages", "department": housing})
    body = page.content.decode()
    assert page.status_code == 200 and matter.number in body and "JB-2026" not in body
    export = clerk.get("/complaints/export.xlsx", {"status": "stages"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3  # header and two matters
    numbers = {r[0] for r in rows[1:]}
    assert matter.number in numbers
    # Masked filer only: the company's name in the clear is nowhere in the workbook.
    assert not any("湖北鸿达建设工程有限公司" in str(c) for r in rows for c in r if c)
    # A department's own list: the housing officer sees the housing matter only.
    mine = _client(personas.housing_officer).get("/complaints/export.xlsx")
    rows = list(load_workbook(io.BytesIO(mine.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [matter.number]


def test_the_filer_downloads_only_letters_of_the_tracked_filing(personas: Any) -> None:
    """With the number and the code the filer gets the letters addressed to them (here the
    acceptance notice), audited; a notice of another filing is "not found"."""
    from tenderwatch.audit.models import AuditEntry
    from tenderwatch.complaints.models import NoticeKind

    token = services.new_submission_token()
    with time_machine.travel(china(2026, 6, 8, 10, 0), tick=False):
        result = services.matter_file(
            filing=complaint_filing(
                knew_on=D(2026, 6, 3), objection_on=D(2026, 6, 3), objection_reply_on=D(2026, 6, 5)
            ),
            token=token,
        )
        services.matter_accept(matter=result.matter, actor=personas.office_clerk)
        other = services.matter_file(filing=tip_off_filing(), token=services.new_submission_token())
        services.matter_accept(matter=other.matter, actor=personas.office_clerk)
    notice = result.matter.notices.get(kind=NoticeKind.ACCEPTANCE)
    foreign = other.matter.notices.get(kind=NoticeKind.ACCEPTANCE)
    assert notice.letter_id and foreign.letter_id
    client = Client()
    url = f"/complaints/public/track/letters/{notice.pk}/"
    assert client.get(url).status_code == 302  # not tracked: to the tracking form
    client.post("/complaints/public/track/", {"number": result.matter.number, "code": result.code})
    response = client.get(url)
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert "no-store" in response["Cache-Control"]
    assert client.get(f"/complaints/public/track/letters/{foreign.pk}/").status_code == 404
    assert (
        AuditEntry.objects.filter(
            action="complaints.public.letter_downloaded", object_id=str(result.matter.pk)
        ).count()
        == 1
    )
