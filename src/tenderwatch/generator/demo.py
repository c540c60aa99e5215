"""The demo's generated projects: district scale, seeded, loaded once (`tenderwatch demo`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from tenderwatch.core import context
from tenderwatch.generator.model import SCALES, SOURCE, Scale
from tenderwatch.generator.outputs import Options, Result, write_db
from tenderwatch.generator.workcal import WorkCalendar

DEMO_SEED = 2023


def load_demo_data(
    *,
    stdout: Any,
    seed: int = DEMO_SEED,
    scale: Scale | None = None,
    progress_file: Any = None,
) -> Result | None:
    """Fill the ledger with generated projects unless the generator's projects are there
    already (then nothing is generated: the demo stays idempotent and starts fast)."""
    from pathlib import Path

    from tenderwatch.ledger.models import Project

    existing = Project.objects.filter(source=SOURCE).count()
    if existing:
        stdout.write(_("Generated projects: %(n)s already there.") % {"n": existing})
        return None
    scale = scale or SCALES["district"]
    stdout.write(
        _("Generating projects of the %(scale)s scale (seed %(seed)s)…")
        % {"scale": scale.name, "seed": seed}
    )
    options = Options(
        scale=scale,
        seed=seed,
        out=Path(settings.VAR_DIR) / "generated",
        progress=progress_file is not None,
        progress_file=progress_file,
    )
    with context.bind(channel="cli"):
        result = write_db(options, WorkCalendar.from_database())
    report = result.report
    stdout.write(
        _(
            "Generated projects: %(created)s stored, %(refused)s refused, in %(seconds).0f s; "
            "the labels of the injected violations are in %(out)s."
        )
        % {
            "created": report.created,
            "refused": len(report.refused),
            "seconds": result.elapsed,
            "out": options.out,
        }
    )
    return result
