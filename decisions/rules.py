"""Where a new proposition's default rule comes from.

The charter (a higher room) registers a provider that reads the rules in force; `decisions`
knows nothing of it. Until a territory has a charter: consent, quorum one half.
"""

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from communes.models import Territoire
from decisions.outcome import Majority, Mode, Rule

FALLBACK_RULE = Rule(Mode.CONSENTEMENT, Majority.SIMPLE, quorum_percent=50, colleges=False)

DefaultRuleProvider = Callable[[Territoire, datetime], Rule | None]
_providers: list[DefaultRuleProvider] = []


def register_default_rule_provider(provider: DefaultRuleProvider) -> None:
    """Called once from an AppConfig.ready(); the first provider that answers wins."""
    if provider not in _providers:
        _providers.append(provider)


def default_rule(territoire: Territoire, at: datetime | None = None) -> Rule:
    """The rule a new proposition of this territory is decided by, unless its author says otherwise."""
    at = at or timezone.now()
    for provider in _providers:
        rule = provider(territoire, at)
        if rule is not None:
            return rule
    return FALLBACK_RULE
