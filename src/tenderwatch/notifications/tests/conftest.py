"""Fixtures: the locmem SMS backend with an empty outbox, a registered test resolver, staff with
addresses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tenderwatch.notifications import backends, services

# The external people of the tests: key -> contact. Never stored by notifications itself.
FILERS: dict[str, services.Contact] = {
    "m-1": services.Contact(email="li.filer@example.cn", phone="13812345678"),
    "m-2": services.Contact(email=None, phone="13900001111"),
}


class Resolver:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, key: str) -> services.Contact | None:
        self.calls.append(key)
        return FILERS.get(key)


@pytest.fixture(autouse=True)
def _sms_locmem(settings: Any) -> Iterator[list[backends.SMS]]:
    settings.TW_NOTIFY_SMS_BACKEND = "tenderwatch.notifications.backends.LocmemSMSBackend"
    settings.TW_NOTIFY_SEND_ON_COMMIT = True
    settings.TW_NOTIFY_SITE_URL = "https://jg.example.gov.cn"
    backends.outbox.clear()
    yield backends.outbox
    backends.outbox.clear()


@pytest.fixture
def sms_outbox(_sms_locmem: list[backends.SMS]) -> list[backends.SMS]:
    return _sms_locmem


@pytest.fixture
def resolver() -> Iterator[Resolver]:
    fn = Resolver()
    previous = services._RESOLVERS.get("test.filer")
    services.register_resolver("test.filer", fn)
    yield fn
    if previous is None:
        services._RESOLVERS.pop("test.filer", None)
    else:
        services.register_resolver("test.filer", previous)


@pytest.fixture
def staff(personas: Any) -> Any:
    """Personas with an e-mail address and a mobile number."""
    personas.housing_officer.email = "housing.officer@hz.example.gov.cn"
    personas.housing_officer.phone = "13700000001"
    personas.housing_officer.save(update_fields=["email", "phone"])
    personas.office_clerk.email = "office.clerk@hz.example.gov.cn"
    personas.office_clerk.save(update_fields=["email"])
    return personas
