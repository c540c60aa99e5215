from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "tenderwatch.ledger"
    label = "ledger"
    verbose_name = _("Project ledger")

    def ready(self) -> None:
        from tenderwatch.ledger import approved, permissions, views  # noqa: F401

        views.register_nav()

        from tenderwatch.ledger import views_ocds, views_tabular

        views_ocds.register_nav()
        views_tabular.register_nav()
