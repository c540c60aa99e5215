from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeneratorConfig(AppConfig):
    """Installed for its `generate` command only: no models, no pages."""

    name = "tenderwatch.generator"
    label = "generator"
    verbose_name = _("Data generator")
