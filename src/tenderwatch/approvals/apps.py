from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "tenderwatch.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from tenderwatch.approvals import permissions  # noqa: F401
        from tenderwatch.web import nav

        nav.register(nav.NavItem(_("Approvals"), "approvals:inbox", "approvals.view", order=20))
