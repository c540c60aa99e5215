from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "tenderwatch.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from tenderwatch.org import permissions  # noqa: F401
        from tenderwatch.web import nav

        nav.register(
            nav.NavItem(_("Departments"), "org:departments", "org.view", 60),
            nav.NavItem(_("Leading group"), "org:leading_group", "org.view", 61),
            nav.NavItem(_("Authority list"), "org:authority", "org.view", 62),
            nav.NavItem(_("Officer roster"), "org:officers", "org.officer.view", 63),
        )
