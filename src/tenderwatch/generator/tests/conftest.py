from __future__ import annotations

from typing import Any

import pytest

from tenderwatch.generator.bundles import BundleBuilder
from tenderwatch.generator.model import Generator, GProject, Scale
from tenderwatch.generator.violations import Label
from tenderwatch.generator.workcal import WorkCalendar
from tenderwatch.ledger.ingest.bundle import ProcessBundle


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    """The built-in schedules: the same days the database is seeded with (a test checks it)."""
    return WorkCalendar.from_builtin()


def generate(
    calendar: WorkCalendar,
    *,
    lots: int,
    seed: int = 1,
    market: str = "district",
    rate_scale: float = 1.0,
    **kwargs: Any,
) -> tuple[Generator, list[GProject]]:
    generator = Generator(
        scale=Scale.custom(market, lots),
        seed=seed,
        calendar=calendar,
        rate_scale=rate_scale,
        **kwargs,
    )
    return generator, list(generator.projects())


def bundles_and_labels(
    calendar: WorkCalendar, **kwargs: Any
) -> tuple[Generator, list[ProcessBundle], list[Label]]:
    generator = Generator(
        scale=Scale.custom(kwargs.pop("market", "district"), kwargs.pop("lots")),
        calendar=calendar,
        **kwargs,
    )
    builder = BundleBuilder(generator)
    bundles: list[ProcessBundle] = []
    labels: list[Label] = []
    for project in generator.projects():
        bundles.append(builder.bundle(project))
        labels += project.labels
    return generator, bundles, labels
