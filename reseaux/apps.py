from django.apps import AppConfig


class ReseauxConfig(AppConfig):
    name = "reseaux"
    verbose_name = "Réseaux et projets"

    def ready(self):
        # A priorisation decided by the collective launches its projects; `decisions` calls back.
        from decisions.hooks import register_closing_handler
        from decisions.models import Proposition
        from reseaux import signals  # noqa: F401  (connects the receivers)
        from reseaux.services import on_priorisation_closed

        register_closing_handler(Proposition.Kind.PRIORISATION, on_priorisation_closed)
