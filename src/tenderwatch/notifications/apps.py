"""Notifications: in the app, and by e-mail and SMS through pluggable backends."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "tenderwatch.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from tenderwatch.notifications import home, permissions  # noqa: F401

        home.register()
