from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
TEST_2027 = DATA / "schedule-2027-TEST-DATA.toml"  # invented test data, not the real notice
BAD_2027 = DATA / "schedule-2027-BAD.toml"


@pytest.fixture
def import_2027(personas: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Import the invented 2027 test schedule through the command, as the office would."""
    from django.core.management import call_command

    def run(*extra: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("workdays", "import", str(TEST_2027), "--user", "office_clerk", *extra)

    return run
