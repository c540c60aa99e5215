from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "tenderwatch.workdays"
    label = "workdays"
    verbose_name = _("Working-day calendar")

    def ready(self) -> None:
        from tenderwatch.web import nav
        from tenderwatch.workdays import permissions  # noqa: F401

        nav.register(nav.NavItem(_("Working-day calendar"), "workdays:list", "workdays.view", 80))
