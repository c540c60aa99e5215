from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared kernel: domain errors, the request context, small helpers every context uses."""

    name = "tenderwatch.core"
    label = "core"
