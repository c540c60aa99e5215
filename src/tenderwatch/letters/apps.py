from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "tenderwatch.letters"
    label = "letters"
    verbose_name = _("Official letters")

    def ready(self) -> None:
        from tenderwatch.letters import permissions  # noqa: F401
        from tenderwatch.web import nav

        nav.register(
            nav.NavItem(_("Letter templates"), "letters:templates", "letters.template.view", 85),
        )
