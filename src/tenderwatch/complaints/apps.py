from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "tenderwatch.complaints"
    label = "complaints"
    verbose_name = _("Complaints and tip-offs")

    def ready(self) -> None:
        from tenderwatch.complaints import clocks, home, permissions  # noqa: F401
        from tenderwatch.web import nav
        from tenderwatch.workdays.deadlines import register_recompute

        nav.register(
            nav.NavItem(_("Complaints and tip-offs"), "complaints:list", "complaints.view", 30),
        )
        # Open matters' deadlines follow a change of the holiday schedule (workdays.deadlines).
        register_recompute(clocks.recompute_for_years, name="complaints.deadlines")
        home.register()
        # Letter kinds (complaints.letters, contracts.md) and the filer's contact resolver.
        from tenderwatch.complaints import integrations, panels

        integrations.register()
        panels.register()
