from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class WebConfig(AppConfig):
    name = "tenderwatch.web"
    label = "web"
    verbose_name = _("Web shell")

    def ready(self) -> None:
        from django.contrib import admin

        from tenderwatch.web import nav, permissions, signals  # noqa: F401

        admin.site.site_header = _("Public Resource Trading Supervision Platform")
        admin.site.site_title = pgettext_lazy("nav", "Administration")
        admin.site.index_title = _("Master data and configuration")

        nav.register(
            # The audit app's entry: registered here because the shell owns the audit pages'
            # place in the navigation (audit/apps.py stays as the audit app wrote it).
            nav.NavItem(_("Audit trail"), "audit:list", "audit.view", order=90),
            nav.NavItem(
                pgettext_lazy("nav", "Administration"), "admin:index", "web.admin_site", order=99
            ),
        )
