from django.apps import AppConfig


class CharteConfig(AppConfig):
    name = "charte"
    verbose_name = "Charte de fonctionnement"

    def ready(self):
        # The charter sets the decision rules and acts on its own decisions; `decisions` calls back.
        from charte.selectors import decision_rule_in_force
        from charte.services import on_proposition_closed
        from decisions.hooks import register_closing_handler
        from decisions.models import Proposition
        from decisions.rules import register_default_rule_provider

        register_default_rule_provider(decision_rule_in_force)
        register_closing_handler(Proposition.Kind.CHARTE, on_proposition_closed)
