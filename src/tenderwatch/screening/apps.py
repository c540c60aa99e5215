"""Screening: the statutory rule engine, collusion and red-flag screens, the tender-document
clause check, and the warnings they raise with their handling to closure."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "tenderwatch.screening"
    label = "screening"
    verbose_name = _("Screening and warnings")

    def ready(self) -> None:
        from tenderwatch.screening import permissions, receivers, services, ui, views  # noqa: F401
        from tenderwatch.screening.collusion import panels as collusion_panels
        from tenderwatch.workdays.deadlines import register_recompute

        receivers.connect()
        register_recompute(services.recompute_deadlines, name="screening.warnings")
        views.register_nav()
        ui.register()
        collusion_panels.register_panels()
