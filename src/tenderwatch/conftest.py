"""Fixtures shared by every app's tests: audit anchors in a temporary file, personas, Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run there
# unless told that this is deliberate (the live server runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM:
        return
    if os.environ.get("TW_REQUIRE_BROWSER"):
        raise pytest.UsageError("TW_REQUIRE_BROWSER is set but Chromium is not installed")
    skip = pytest.mark.skip(
        reason="Chromium is not installed (apt-get install chromium): browser test skipped"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    browser = CHROMIUM or "NOT FOUND — browser tests will be SKIPPED"
    return f"tenderwatch: database={engine}; chromium={browser}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CHROMIUM:
        terminalreporter.write_line(
            "NOTE: Chromium not found; browser tests were skipped (apt-get install chromium).",
            yellow=True,
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(autouse=True)
def _audit_anchor_file(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Each test anchors the audit chain in its own file, starting from an empty memory."""
    from tenderwatch.audit import services

    path = tmp_path / "anchors.jsonl"
    settings.TW_AUDIT_ANCHOR_FILE = path
    services.reset_anchor_memory()
    yield path
    services.reset_anchor_memory()


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files and generated label files go to the test's own folder, never to ./var."""
    var = tmp_path / "var"
    settings.VAR_DIR = var
    settings.MEDIA_ROOT = var / "files"
    return var


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    """Personas are created by the dozen; a cheap hasher keeps that fast. Tests only."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _calendar_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with an empty calendar cache, and with the built-in schedules.

    Transactional tests (and the live server) flush every table afterwards, including the
    schedules the data migration seeded; put them back for the tests that follow.
    """
    from tenderwatch.workdays import calendar

    calendar.clear_cache()
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db")
    )
    if transactional:
        from tenderwatch.workdays.builtin import ensure_builtin

        request.getfixturevalue("transactional_db")
        ensure_builtin()
    yield
    calendar.clear_cache()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data sets (`tenderwatch.core.testdata`); tests that need them skip, with
    the reason, where they are absent — or fail when TW_REQUIRE_SHARED_DATA is set."""
    from tenderwatch.core.testdata import shared_data_dir

    found = shared_data_dir()
    if found is None:
        message = "the shared data sets (shared/data, or TW_SHARED_DATA) are not on this machine"
        if os.environ.get("TW_REQUIRE_SHARED_DATA"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def personas(db: Any) -> Any:
    """The named personas of `tenderwatch.org.testing` (office_clerk, housing_officer, …)."""
    from tenderwatch.org.testing import make_personas

    return make_personas()
