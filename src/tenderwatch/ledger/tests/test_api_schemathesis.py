"""Property-based testing of the feed API from its own OpenAPI document (schemathesis).

Every operation is called with generated requests — valid ones, and in the negative mode ones
that break the document — and must never answer with a server error (`not_a_server_error`).
Each operation is also exercised against a project and lot that exist, so that the services
run and not only the validation.

schemathesis's own pytest plugin does not run on pytest 9.2 (it sets `Node._nodeid`, which
pytest removed), so the Hypothesis strategies it builds are driven here directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from tenderwatch.ledger import services
from tenderwatch.ledger.models import FeedReceipt, Lot
from tenderwatch.ledger.tests.test_services import bid_payload, project_payload

MAX_EXAMPLES = 10  # per operation, mode and path; the whole run stays well under a minute
KNOWN = {"external_id": "P-2026-001", "lot_external_id": "L1", "contract_external_id": "C1"}


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI application, kept from closing the test's database connection at the end
    and start of each request (Django's test client does the same)."""
    from tenderwatch.wsgi import application

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield application
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def test_no_server_error(db: Any, settings: Any, tmp_path: Any, wsgi_app: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    system, token = services.feed_system_add(code="hz-trading", name="交易中心", actor=None)
    services.project_upsert(
        source=system.code, payload=project_payload(), actor=None, system=system
    )
    services.bid_upsert(
        source=system.code,
        lot=Lot.objects.get(external_id="L1"),
        payload=bid_payload("B1", 11, "2800000.00"),
        actor=None,
        system=system,
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9
    statuses: dict[int, int] = {}

    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path in (None, {k: v for k, v in KNOWN.items() if k in names} or None):
                strategy = operation.as_strategy(mode, path_parameters=path)

                @given(case=strategy)
                @hypothesis_settings(
                    max_examples=MAX_EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                def call(case: Any) -> None:
                    response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

                call()

    assert not [code for code in statuses if code >= 500]
    # The run reached the services, not only the validation.
    assert statuses.get(200, 0) > 0
    assert statuses.get(422, 0) > 0
    assert FeedReceipt.objects.exclude(outcome="refused").exists()
