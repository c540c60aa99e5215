from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from tenderwatch.screening.rules.days import DayTable
from tenderwatch.screening.rules.testing import builtin_table


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """Findings are read in Chinese: the explanations are checked as the office reads them."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture(scope="session")
def table() -> DayTable:
    return builtin_table()
