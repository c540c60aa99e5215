"""Fixtures for complaints: the district (departments, authority list, approval routes), keys of
the tests' own, and helpers to file as a filer and as the clerk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tenderwatch.audit.models import AuditEntry
from tenderwatch.complaints import services
from tenderwatch.complaints.models import Matter
from tenderwatch.core.timeutil import CHINA

TEST_KEYS = {"t1": "00112233445566778899aabbccddeeff", "t2": "ffeeddccbbaa99887766554433221100"}


@pytest.fixture(autouse=True)
def _complaint_keys(settings: Any) -> None:
    settings.TW_COMPLAINTS_KEYRING = dict(TEST_KEYS)
    settings.TW_COMPLAINTS_ACTIVE_KEY_ID = "t1"
    settings.TW_COMPLAINTS_HMAC_KEY = "0f" * 32
    settings.TW_COMPLAINTS_TIPOFF_DAY_TYPE = "workdays"
    settings.TW_COMPLAINTS_CONCLUSION_FROM = "receipt"
    settings.TW_COMPLAINTS_SUPPLEMENT_WORKDAYS = 5


@pytest.fixture
def district(personas: Any) -> Any:
    from tenderwatch.org.testing import load_district

    return load_district(actor=personas.admin)


def china(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHINA)  # type: ignore[misc]


@pytest.fixture
def file() -> Callable[..., services.FilingResult]:
    """File a filing online (actor None) or as `actor`, at `now`."""

    def run(filing: Any, *, actor: Any = None, now: dt.datetime | None = None) -> Any:
        return services.matter_file(
            filing=filing, token=services.new_submission_token(), actor=actor, now=now
        )

    return run


def actions(matter: Matter) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(object_type="complaints.matter", object_id=str(matter.pk))
        .order_by("seq")
        .values_list("action", "actor_name")
    )
