from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComptesConfig(AppConfig):
    """Authentication: password with a second factor, ProConnect, login throttling, the login journal."""

    name = "comptes"
    verbose_name = _("Comptes et connexion")

    def ready(self) -> None:
        from comptes import journal  # noqa: F401  (connects the login journal's receivers)
