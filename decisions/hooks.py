"""What other rooms do when one of their propositions is closed or withdrawn.

`decisions` knows no charter nor project: an app that puts propositions of its kind to the
collective registers a handler here (from its AppConfig.ready()), and the handler runs inside
the closing transaction, so the decision and its effect commit together.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from communes.models import Agent

if TYPE_CHECKING:
    from decisions.models import Proposition

ClosingHandler = Callable[["Proposition", Agent | None], None]
_handlers: dict[str, list[ClosingHandler]] = {}


def register_closing_handler(kind: str, handler: ClosingHandler) -> None:
    handlers = _handlers.setdefault(kind, [])
    if handler not in handlers:
        handlers.append(handler)


def run_closing_handlers(proposition, by: Agent | None) -> None:
    """Called by the services once a proposition is closed (with a result) or withdrawn."""
    for handler in _handlers.get(proposition.kind, []):
        handler(proposition, by)
